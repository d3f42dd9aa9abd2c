/**
 * An agent's view of where it stands: the short briefing that `prime` prints and a Claude Code
 * session starts with, and what changed since the agent last saw it (told on the next prompt, and
 * nothing at all when nothing changed, so a quiet session costs no context).
 *
 * The briefing takes locks, the agent's tasks and its unread messages from this repository.
 */
import type { Coord } from '../session/coord.js';
import type { ReadMode } from '../store/records.js';
import { Locks, liveness, type LockView } from '../locks/locks.js';
import { claimLive } from '../tasks/rules.js';
import { TASK_ID } from '../tasks/schema.js';
import type { LockRecord } from '../locks/schema.js';
import { history } from '../history/history.js';
import { Messages } from '../messages/messages.js';
import { CONTEXT, LOCKS, taskShelf } from '../store/layout.js';
import { recentKeysLine } from '../context/rules.js';
import { contextKeys } from './board.js';
import { Tasks, type TaskView } from '../tasks/tasks.js';
import { printable } from '../printable.js';

/** A briefing never takes more of an agent's context than this many characters. */
export const BRIEFING_LIMIT = 1500;
/** The briefing names this many of the most urgent ready tasks, and counts the rest. */
const READY_SHOWN = 5;

/** A task as the briefing shows it (a subset of the task's JSON). */
export interface TaskLine {
  id: string;
  title: string;
  priority: number;
  claimExpiresAt?: string | null;
}

/** A message as the briefing shows it (a subset of the message's JSON; `body` cut to BODY_EXCERPT). */
export interface MessageLine {
  id: string;
  from: string;
  subject: string;
  body: string;
  priority: number;
  sentAt: string;
}

/** The most of a message's body a briefing carries, in JSON too: `inbox` shows the rest. */
export const BODY_EXCERPT = 200;

export interface Briefing {
  agent: string | null;
  /** The agent's unexpired locks. */
  locks: LockView[];
  /** Locks other agents hold, and how many agents hold them. */
  others: { agents: number; locks: number };
  /** The task the agent has claimed (null: none); absent where tasks are not kept. */
  task?: TaskLine | null;
  /** Unread messages, most urgent first; absent where messages are not kept. */
  unread?: MessageLine[];
  /** Tasks ready to claim, the most urgent few, most urgent first; absent where tasks are not kept. */
  ready?: TaskLine[];
  /** How many tasks are ready in all (`ready` names the first few). */
  readyCount?: number;
  /** The shared context keys, most recently set first (no values); absent where not read. */
  context?: { key: string; version: number; agent: string; at: string }[];
  /** The three commands the agent most likely needs next. */
  next: string[];
}

/** The refs a briefing reads: with a remote, brought up to date together, in one fetch. */
export function briefingRefs(ctx: Coord): string[] {
  const agent = ctx.agent();
  // The shelves a briefing reads tasks from (open and failed: Tasks.briefing), with the locks and the inbox.
  return [LOCKS, taskShelf('open'), taskShelf('failed'), CONTEXT, ...(agent ? new Messages(ctx).inboxRefs(agent) : [])];
}

/** Reads what the briefing says. Hooks read the local view (`mode`), so a slow remote never delays them. */
export async function gatherBriefing(ctx: Coord, mode: ReadMode): Promise<Briefing> {
  const agent = ctx.agent();
  if (mode === 'refresh') {
    await ctx.store.refresh(briefingRefs(ctx), mode);
    mode = 'view';
  }
  const [all, unread, tasks, context] = await Promise.all([
    new Locks(ctx).list({ mode }),
    unreadOf(ctx, agent, mode),
    new Tasks(ctx).briefing(mode),
    ctx.store.entries([CONTEXT], mode).then((e) => contextKeys(ctx, e)),
  ]);
  const locks = all.filter((l) => l.agent === agent);
  const others = all.filter((l) => l.agent !== agent);
  const facts = {
    agent,
    locks,
    others: { agents: new Set(others.map((l) => l.agent)).size, locks: others.length },
    task: tasks.claimed[0] ? taskLine(tasks.claimed[0]) : null,
    ready: tasks.ready.slice(0, READY_SHOWN).map(taskLine),
    readyCount: tasks.ready.length,
    unread,
    context,
  };
  return { ...facts, next: nextCommands(facts) };
}

function taskLine(t: TaskView): TaskLine {
  return { id: t.id, title: t.title, priority: t.priority, claimExpiresAt: t.claimExpiresAt };
}

/** The agent's unacknowledged messages, most urgent first (none without an identity). */
async function unreadOf(ctx: Coord, agent: string | null, mode: ReadMode): Promise<MessageLine[]> {
  if (!agent) return [];
  const inbox = await new Messages(ctx).inbox({ mode });
  return inbox.map((m) => ({ id: m.id, from: m.from, subject: m.subject, body: excerpt(m.body, BODY_EXCERPT), priority: m.priority, sentAt: m.sentAt }));
}

/** The next commands, most pressing first: an identity, messages, the task, then the lock cycle. */
export function nextCommands(b: Omit<Briefing, 'next'>): string[] {
  const c: string[] = [];
  if (!b.agent) c.push('git-coord whoami --set <your-name>');
  if (b.unread?.length) c.push('git-coord inbox');
  if (b.task) c.push(`git-coord task done ${b.task.id} --note "<what you did>"`);
  else if (b.ready?.length) c.push('git-coord claim --next');
  c.push('git-coord lock <path>... --reason "<what you will change>"');
  c.push(b.locks.length > 0 ? 'git-coord unlock --all (after you commit)' : 'git-coord check <path>...');
  c.push('git-coord status');
  return c.slice(0, 3);
}

/** "2026-11-25T14:05Z": minutes are enough for a lease. */
function short(iso: string | null | undefined): string {
  return iso ? `${iso.slice(0, 16)}Z` : 'no expiry';
}

/** At most `max` characters of `text`, marked when cut (never inside a surrogate pair). */
function excerpt(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1).replace(/[\ud800-\udbff]$/, '')}…`;
}

/** Another agent's text for the briefing: printable, and at most `max` characters. */
function cut(text: string, max: number): string {
  return excerpt(printable(text), max);
}

function listOf<T>(items: T[], n: number, line: (x: T) => string, total = items.length): string {
  const shown = items.slice(0, n).map(line).join('; ');
  const more = total - Math.min(n, items.length);
  return more > 0 ? `${shown ? `${shown}; ` : ''}+${more} more` : shown;
}

const lockItem = (l: LockView) => `${cut(l.pattern, 60)} (until ${short(l.expiresAt)}${l.reason ? `, "${cut(l.reason, 40)}"` : ''})`;
const taskItem = (t: TaskLine) => `${t.id} P${t.priority} "${cut(t.title, 50)}"`;
const messageItem = (m: MessageLine) => `${m.id} P${m.priority} from ${m.from}${m.subject ? ` (${cut(m.subject, 50)})` : ''}: "${cut(m.body, 80)}"`;

/** The briefing as text, at most BRIEFING_LIMIT characters: lists shrink until it fits. */
export function briefingText(b: Briefing, limit = BRIEFING_LIMIT): string {
  for (let n = 5; ; n--) {
    const lines = [
      b.agent
        ? `git-coord: you are ${b.agent}. Other agents work in this repository too: lock what you change; edits to files another agent holds are refused.`
        : 'git-coord: you have no agent id yet, so you hold nothing and cannot lock: set one first.',
      b.locks.length === 0 ? 'You hold no locks.' : `You hold ${b.locks.length} lock${b.locks.length === 1 ? '' : 's'}: ${listOf(b.locks, n, lockItem)}.`,
    ];
    if (b.task !== undefined) lines.push(b.task ? `Your task: ${taskItem(b.task)}, claimed until ${short(b.task.claimExpiresAt)}.` : 'You have no task claimed.');
    if (b.unread?.length) lines.push(`Unread messages (${b.unread.length}, most urgent first): ${listOf(b.unread, n, messageItem)}.`);
    if (b.ready?.length && !b.task) lines.push(`Ready tasks (${b.readyCount ?? b.ready.length}, most urgent first): ${listOf(b.ready, n, taskItem, b.readyCount)}.`);
    // The keys most recently set, as many as a line of this size holds (it shrinks with the lists).
    if (b.context?.length) lines.push(recentKeysLine(b.context.map((k) => ({ ...k, key: cut(k.key, 64), value: '' })), 60 + 50 * n));
    if (b.others.locks > 0) lines.push(`Others: ${b.others.agents} agent${b.others.agents === 1 ? ' holds' : 's hold'} ${b.others.locks} lock${b.others.locks === 1 ? '' : 's'} (git-coord status).`);
    lines.push(`Next: ${b.next.join(' | ')}`, 'The git-coord MCP tools, where present, take the same arguments.');
    const text = lines.join('\n');
    if (text.length <= limit) return text;
    if (n === 0) return `${text.slice(0, limit - 1)}…`;
  }
}

/** What the agent has seen: kept between prompts in a small per-worktree file. */
export interface Seen {
  agent: string | null;
  locks: { pattern: string; token: number; expiresAt: string | null }[];
  task?: { id: string } | null;
  messages?: string[];
}

export function seenOf(b: Briefing): Seen {
  return {
    agent: b.agent,
    locks: b.locks.map((l) => ({ pattern: l.pattern, token: l.token, expiresAt: l.expiresAt })),
    ...(b.task !== undefined ? { task: b.task ? { id: b.task.id } : null } : {}),
    ...(b.unread ? { messages: b.unread.map((m) => m.id) } : {}),
  };
}

/** What became of a lock the agent held and holds no more. */
export type Fate =
  | { kind: 'expired'; at: string | null }
  | { kind: 'taken'; by: string }
  | { kind: 'broken'; by: string; reason?: string }
  | { kind: 'pruned'; by: string }
  | { kind: 'released' }
  | { kind: 'mine' };

/** What became of the task the agent had claimed and holds no more. */
export type TaskFate =
  | { kind: 'expired'; at: string | null }
  | { kind: 'taken'; by: string }
  | { kind: 'ended'; by: string; action: string; reason?: string }
  | { kind: 'mine' };

/**
 * Why the claimed task seen before is the agent's no more (undefined when it still is, or is not
 * known): its claim expired, another agent claims it now, another agent ended it, or the agent
 * ended it itself. The task's record says, through its last event.
 */
export async function taskFate(ctx: Coord, prev: Seen, b: Briefing, mode: ReadMode): Promise<TaskFate | undefined> {
  if (!prev.task || prev.agent !== b.agent || b.task === undefined || b.task?.id === prev.task.id) return undefined;
  // The seen file is the worktree's own, but may be damaged: an id that is no task id is not asked about.
  if (typeof prev.task.id !== 'string' || !TASK_ID.test(prev.task.id)) return undefined;
  const me = ctx.agent();
  const rec = await new Tasks(ctx).record(prev.task.id, mode);
  if (!rec) return undefined;
  if (rec.status === 'claimed' && rec.claimedBy === me) return claimLive(rec, ctx.now()) ? { kind: 'mine' } : { kind: 'expired', at: rec.claimExpiresAt };
  if (rec.status === 'claimed' && rec.claimedBy) return { kind: 'taken', by: rec.claimedBy };
  if (rec.event.by === me) return { kind: 'mine' };
  return { kind: 'ended', by: rec.event.by, action: rec.event.action, ...(rec.event.reason ? { reason: rec.event.reason } : {}) };
}

/** The locks seen before and held no more: the patterns to ask `lockFates` about. */
export function lostLocks(prev: Seen, b: Briefing): Seen['locks'] {
  if (prev.agent !== b.agent) return [];
  const held = new Set(b.locks.map((l) => l.pattern));
  return prev.locks.filter((l) => !held.has(l.pattern));
}

/**
 * Why each lost lock went: its record still there and expired, another agent's now, or gone (the
 * history says whether the agent released it itself, or another agent broke or pruned it).
 */
export async function lockFates(ctx: Coord, lost: Seen['locks'], mode: ReadMode): Promise<Map<string, Fate>> {
  const out = new Map<string, Fate>();
  if (lost.length === 0) return out;
  const me = ctx.agent();
  const now = ctx.now();
  const current = await new Locks(ctx).current(lost.map((l) => l.pattern), mode);
  const gone: string[] = [];
  for (const l of lost) {
    const rec: LockRecord | undefined = current.get(l.pattern);
    if (rec && rec.agent === me && rec.state === 'granted' && !liveness(rec, now)) out.set(l.pattern, { kind: 'expired', at: rec.expiresAt });
    else if (rec && rec.agent !== me && rec.state !== 'released') out.set(l.pattern, { kind: 'taken', by: rec.agent });
    else gone.push(l.pattern);
  }
  if (gone.length > 0) {
    const events = await history(ctx, 200);
    for (const p of gone) {
      const e = events.find((x) => x.subject === p && ['unlock', 'break', 'expire', 'takeover'].includes(x.action));
      if (!e) out.set(p, { kind: 'released' });
      else if (e.agent === me) out.set(p, { kind: 'mine' });
      else if (e.action === 'break') out.set(p, { kind: 'broken', by: e.agent, ...(e.reason ? { reason: e.reason } : {}) });
      else if (e.action === 'expire') out.set(p, { kind: 'pruned', by: e.agent });
      else out.set(p, { kind: 'taken', by: e.agent });
    }
  }
  return out;
}

/**
 * What changed since `prev`, most pressing first; empty when nothing did. `cmd`: how the agent runs
 * git-coord from its shell; waits suggested fit a shell tool's 2 minutes.
 */
export function changesSince(prev: Seen, b: Briefing, fates: Map<string, Fate>, task?: TaskFate, cmd = 'git-coord'): string[] {
  if (prev.agent !== b.agent) return [];
  const out: string[] = [];
  if (b.unread) {
    const known = new Set(prev.messages ?? []);
    const fresh = b.unread.filter((m) => !known.has(m.id));
    if (fresh.length > 0) out.push(`New messages (${fresh.length}, most urgent first): ${listOf(fresh, 5, messageItem)}. Read them: ${cmd} inbox`);
  }
  if (prev.task && b.task !== undefined && b.task?.id !== prev.task.id && task?.kind !== 'mine') {
    const id = cut(String(prev.task.id), 64);
    if (task?.kind === 'expired') out.push(`Your claim on task ${id} expired at ${short(task.at)}: others may take it. To keep it: ${cmd} claim ${id}`);
    else if (task?.kind === 'taken') out.push(`Your claim on task ${id} expired and ${cut(task.by, 64)} claims it now. Stop working on it; ask them, or ${cmd} claim --next`);
    else if (task?.kind === 'ended') out.push(`Your task ${id} was ended by ${cut(task.by, 64)} (${task.action}${task.reason ? `: "${cut(task.reason, 80)}"` : ''}). Stop working on it: ${cmd} task show ${id}`);
    else out.push(`Your claim on task ${id} has ended (expired, or released by another agent): ${cmd} task show ${id}`);
  }
  for (const l of lostLocks(prev, b)) {
    const f = fates.get(l.pattern) ?? { kind: 'released' };
    const p = cut(l.pattern, 80);
    if (f.kind === 'mine') continue;
    if (f.kind === 'expired') out.push(`Your lock on ${p} expired at ${short(f.at)}: others may take it. To keep it: ${cmd} lock ${p}`);
    else if (f.kind === 'taken') out.push(`Your lock on ${p} is gone: ${f.by} holds it now. Do not edit it; ask them, or ${cmd} lock --wait 90s ${p}`);
    else if (f.kind === 'broken') out.push(`Your lock on ${p} was broken by ${f.by}${f.reason ? ` ("${cut(f.reason, 80)}")` : ''}. Lock it again before editing: ${cmd} lock ${p}`);
    else if (f.kind === 'pruned') out.push(`Your lock on ${p} expired and ${f.by} pruned it. Lock it again before editing: ${cmd} lock ${p}`);
    else out.push(`Your lock on ${p} was released. Lock it again before editing: ${cmd} lock ${p}`);
  }
  const text = out.join('\n');
  return text.length <= BRIEFING_LIMIT ? out : [`${text.slice(0, BRIEFING_LIMIT - 1)}…`];
}
