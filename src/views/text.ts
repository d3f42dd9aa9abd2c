/**
 * The contract's shapes as text for people: a lock, a conflict, a task, a message, the board, a
 * history entry. Every face that shows text (the command line, the MCP tools' answers, the hooks)
 * renders these the same way; what differs between faces (next steps, argument names, refusal
 * headings) lives in each face's own renderer (cli/render.ts, mcp/render.ts, hooks/render.ts).
 * Text another agent wrote goes through `printable`.
 */
import { printable } from '../printable.js';
import { REASON_MAX, cut } from '../fields.js';

/**
 * Free text another agent wrote, for one line of a display: escaped, and cut (a forged record
 * carries no limit; each field's write limit is the most shown).
 */
const TITLE_SHOWN = 500;
const NOTE_SHOWN = 2000;
const COMMENT_SHOWN = 2048;
/** The most comments shown of one task (a record keeps 20; a forged one may hold more). */
const COMMENTS_SHOWN = 20;
const shown = (text: string, max = REASON_MAX) => cut(printable(text), max);
import type { LockView } from '../locks/locks.js';
import type { TaskView } from '../tasks/rules.js';
import type { MessageView, OutboxView } from '../messages/rules.js';
import type { HistoryEntry } from '../history/history.js';
import type { AgentView, Board } from './board.js';

/** What every face shows of a conflict: the contract's Conflict fields. */
export interface Held {
  /** What was asked for: a requested pattern or a checked path. */
  path: string;
  /** The holder's lock. */
  pattern: string;
  agent: string;
  reason: string;
  expiresAt: string | null;
}

export function expiry(l: { expiresAt: string | null }, none = 'no expiry'): string {
  return l.expiresAt ? `until ${l.expiresAt}` : none;
}

/** One conflict: what is held, by whom, why and until when. */
export function heldLine(c: Held, none = 'no expiry'): string {
  const why = c.reason ? ` ("${shown(c.reason)}")` : '';
  return `${printable(c.path)}: locked by ${c.agent} as ${printable(c.pattern)}${why}, ${expiry(c, none)}`;
}

/** A lock: the whole line, or with 'pattern' just its (printable) pattern. */
export function lockLine(l: LockView, only?: 'pattern'): string {
  if (only) return printable(l.pattern);
  return `${printable(l.pattern)}  ${l.agent}  ${expiry(l)}  token ${l.token}${l.reason ? `  "${shown(l.reason)}"` : ''}`;
}

/** A task on one line: id, priority, title, labels, status (and claimer). */
export function taskLine(t: TaskView): string {
  const status = t.status === 'claimed' ? `claimed by ${t.claimedBy}` : t.ready ? 'ready' : t.blockedBy.length ? `waits for ${t.blockedBy.join(', ')}` : t.status;
  return `${printable(t.id)}  p${t.priority}  ${shown(t.title, TITLE_SHOWN)}${t.labels.length ? `  [${t.labels.join(', ')}]` : ''}  (${status})`;
}

/** A task in full; with `children` (as `task show` reads them), its children's titles and statuses. */
export function taskText(t: TaskView, children?: { id: string; title: string; status: string }[]): string {
  const lines = [
    `${printable(t.id)}  ${shown(t.title, TITLE_SHOWN)}`,
    `  status      ${t.status}${t.ready ? ' (ready)' : ''}`,
    `  priority    ${t.priority}`,
  ];
  if (t.labels.length) lines.push(`  labels      ${t.labels.join(', ')}`);
  if (t.dependsOn.length) lines.push(`  depends on  ${t.dependsOn.join(', ')}${t.blockedBy.length ? ` (waiting for ${t.blockedBy.join(', ')})` : ''}`);
  if (t.claimedBy) lines.push(`  claimed by  ${t.claimedBy}${t.claimExpiresAt ? ` until ${t.claimExpiresAt}` : t.status === 'claimed' ? ' (no expiry)' : ''}`);
  if (t.locks.length) lines.push(`  locks       ${t.locks.map(printable).join(', ')}`);
  if (t.note) lines.push(`  note        ${shown(t.note, NOTE_SHOWN)}`);
  if (t.reason) lines.push(`  reason      ${shown(t.reason)}`);
  if (t.parent) lines.push(`  parent      ${printable(t.parent)}`);
  lines.push(`  created     ${t.createdAt} by ${t.createdBy}`);
  if (t.body) lines.push('', ...t.body.split('\n').map((l) => `  ${printable(l)}`));
  if (t.children.length) {
    lines.push('', `  children (${t.children.length}):`);
    const known = new Map((children ?? []).map((c) => [c.id, c]));
    for (const id of t.children) {
      const c = known.get(id);
      lines.push(c ? `    ${printable(id)}  ${c.status}  ${shown(c.title, TITLE_SHOWN)}` : `    ${printable(id)}`);
    }
  }
  if (t.comments.length) {
    lines.push('', `  comments (${t.comments.length}${t.commentsDropped ? `; ${t.commentsDropped} older in the task's history` : ''}):`);
    for (const c of t.comments.slice(-COMMENTS_SHOWN)) {
      lines.push(`    ${c.at} ${c.agent}:`, ...cut(c.text, COMMENT_SHOWN).replace(/\n$/, '').split('\n').map((l) => `      | ${printable(l)}`));
    }
  }
  return lines.join('\n');
}

/**
 * What an agent taking a task should know beyond its title, as short lines: its parent, its
 * children, its body (cut), its comments (each cut), every line printable.
 */
export function taskNotes(t: TaskView, max = 400): string[] {
  const cutTo = (x: string, n: number) => (x.length > n ? `${x.slice(0, n - 1).replace(/[\ud800-\udbff]$/, '')}…` : x);
  const lines: string[] = [];
  if (t.parent) lines.push(`parent: ${printable(t.parent)}`);
  if (t.children.length) lines.push(`children: ${t.children.map(printable).join(', ')}`);
  if (t.body) lines.push(...cutTo(t.body, max).split('\n').map((l) => `body: ${printable(l)}`));
  for (const c of t.comments.slice(-COMMENTS_SHOWN)) lines.push(`comment by ${c.agent} at ${c.at}: ${printable(cutTo(c.text, max))}`);
  return lines;
}

/** A claim as granted. */
export function claimedText(t: TaskView): string {
  return `claimed ${t.id}${t.claimExpiresAt ? ` until ${t.claimExpiresAt}` : ''}${t.locks.length ? `, with ${t.locks.map(printable).join(', ')}` : ''}`;
}

/** A message. Body lines are quoted so none can pass for output. */
export function messageText(m: MessageView): string {
  const flags = [m.ack ? 'ack requested' : '', m.acked ? 'acknowledged' : ''].filter(Boolean);
  const lines = [`${m.id}  p${m.priority}  from ${m.from} to ${m.to.join(',')}  ${printable(m.sentAt)}${flags.length ? `  (${flags.join(', ')})` : ''}`];
  if (m.subject) lines.push(`  subject: ${shown(m.subject)}`);
  if (m.thread !== m.id || m.replyTo) lines.push(`  thread ${m.thread}${m.replyTo ? `, reply to ${m.replyTo}` : ''}`);
  for (const l of m.body.replace(/\n$/, '').split('\n')) lines.push(`  | ${printable(l)}`);
  return lines.join('\n');
}

export function outboxText(m: OutboxView): string {
  const acks = Object.entries(m.acks).map(([a, t]) => `${a} ${t ? `acknowledged ${printable(t)}` : 'not yet'}`);
  return [
    messageText(m),
    `  ${m.dead ? 'DEAD LETTER: expired before every recipient acknowledged it; ' : ''}${m.expiresAt ? `expires ${printable(m.expiresAt)}` : 'no expiry'}`,
    ...(acks.length ? [`  acks: ${acks.join('; ')}`] : []),
  ].join('\n');
}

/** Messages acknowledged (and already acknowledged). */
export function ackText(r: { acked: { id: string }[]; already: string[] }): string {
  return [...r.acked.map((m) => `acknowledged ${m.id}`), ...r.already.map((id) => `already acknowledged ${id}`)].join('\n') || 'nothing to acknowledge';
}

export function agentLine(a: AgentView, me: string | null): string {
  const parts = [`${a.locks.length} lock${a.locks.length === 1 ? '' : 's'}`];
  if (a.task) parts.push(`task ${printable(a.task)}`);
  if (a.role) parts.push(`role ${shown(a.role, 200)}`);
  parts.push(a.active ? 'active' : a.lastSeen ? `last seen ${a.lastSeen}` : 'not seen yet');
  return `${a.id}${a.id === me ? ' (you)' : ''}: ${parts.join(', ')}`;
}

/** The board (as `status` shows it): agents with their locks, then the task sections. */
export function boardText(b: Board): string {
  const lines = [`you are ${b.agent ?? '(no agent id set)'}`];
  for (const a of b.agents) {
    lines.push(agentLine(a, b.agent));
    for (const l of a.locks) lines.push(`  ${printable(l.pattern)}  ${expiry(l)}${l.reason ? `  "${shown(l.reason)}"` : ''}`);
  }
  if (b.agents.every((a) => a.locks.length === 0)) lines.push('no locks held');
  const section = (title: string, ts: TaskView[]) => {
    if (ts.length > 0) lines.push('', `${title} (${ts.length}):`, ...ts.slice(0, 20).map((t) => `  ${taskLine(t)}`), ...(ts.length > 20 ? [`  ... and ${ts.length - 20} more (git-coord task list)`] : []));
  };
  section('claimed', b.claimed);
  section('ready', b.ready);
  section('blocked', b.blocked);
  section('failed', b.failed);
  if (b.context?.length) {
    lines.push('', `shared context (${b.context.length}, most recently set first; git-coord context get <key>):`);
    lines.push(...b.context.slice(0, 20).map((k) => `  ${k.key}  v${k.version}  ${k.agent}  ${k.at}`), ...(b.context.length > 20 ? [`  ... and ${b.context.length - 20} more (git-coord context list)`] : []));
  }
  return lines.join('\n');
}

export function historyLine(e: HistoryEntry): string {
  return `${e.at}  ${e.agent}  ${printable(e.action)} ${shown(e.subject)}${e.other ? ` (${e.other}'s)` : ''}${e.reason ? `  "${shown(e.reason)}"` : ''}`;
}

/** Which view of a remote a read used and how old it is (a note for people). */
export function viewLine(view: { remote: string; ageMs: number | null }): string {
  const age = view.ageMs === null ? 'never synced' : `synced ${Math.round(view.ageMs / 1000)}s ago`;
  return `view of remote '${view.remote}', ${age} (git-coord sync, or --fresh, to refresh)`;
}
