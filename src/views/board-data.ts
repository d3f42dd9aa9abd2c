/**
 * Everything the web board shows, read in one place: the agents, the locks, the tasks (ready,
 * claimed, blocked, failed, recently done), the messages anyone can read with who acknowledged
 * them, the channels, and the history. Read through the concepts' own code (what `status`,
 * `agents`, `locks`, `task list`, `log` and `channel list` return) plus the message records, which
 * the board reads without being any one agent. Every list and text is capped, so what the board
 * serves stays small whatever agents wrote.
 */
import { readBoard, type AgentView } from './board.js';
import { history, type HistoryEntry } from '../history/history.js';
import { finishedAndDoneCount } from '../tasks/archive.js';
import { view as taskView } from '../tasks/rules.js';
import type { TaskView } from '../tasks/rules.js';
import type { LockView } from '../locks/locks.js';
import { Messages, type Channel } from '../messages/messages.js';
import { AckRecord, MessageRecord } from '../messages/schema.js';
import { expired, markCovers, type MessageView } from '../messages/rules.js';
import { readChains, wholeLedgers } from '../messages/box.js';
import { BCAST, BROADCASTS, CHANNELS, MESSAGES, agentMessagesRef } from '../store/layout.js';
import { decode, parseBody } from '../store/records.js';
import type { Coord } from '../session/coord.js';
import { iso } from '../time.js';

/** Caps: how many of each the board shows, and how long a text may be. */
export const CAPS = { agents: 200, locks: 500, tasks: 200, done: 25, messages: 200, history: 150, text: 2_000, title: 300 } as const;

/** A message as the board shows it: the contract's fields, whoever reads (no one reader's `acked`). */
export interface BoardMessage extends Omit<MessageView, 'acked'> {
  direct: boolean;
  /** Who acknowledged it, and when (for a direct message, each recipient: null until it did). */
  acks: Record<string, string | null>;
}

export interface BoardData {
  now: string;
  /** The repository's directory name, for the page's title. */
  repo: string;
  view: { remote: string; syncedAt: string | null } | null;
  agents: AgentView[];
  locks: LockView[];
  tasks: { ready: TaskView[]; claimed: TaskView[]; blocked: TaskView[]; failed: TaskView[]; done: TaskView[] };
  counts: { ready: number; claimed: number; blocked: number; failed: number; done: number; messages: number; locks: number };
  messages: BoardMessage[];
  channels: Channel[];
  history: HistoryEntry[];
}

function cut(s: string, n: number = CAPS.text): string {
  return s.length > n ? `${s.slice(0, n)}…` : s;
}

function capTask(t: TaskView): TaskView {
  return { ...t, title: cut(t.title, CAPS.title), body: cut(t.body), note: t.note && cut(t.note), reason: t.reason && cut(t.reason), locks: t.locks.slice(0, 20).map((l) => cut(l, CAPS.title)) };
}

function capLock(l: LockView): LockView {
  return { ...l, pattern: cut(l.pattern, CAPS.title), reason: l.reason && cut(l.reason) };
}

/** The messages any agent could read: @all, channels, and direct ones (waiting, or kept by their recipient's receipt). */
async function readMessages(ctx: Coord, now: number): Promise<BoardMessage[]> {
  const inboxes = `${MESSAGES}to/`;
  const entries = await wholeLedgers(ctx, await ctx.store.entries([BCAST, BROADCASTS, CHANNELS, inboxes, `${MESSAGES}acks/`, `${MESSAGES}receipts/`], ctx.readMode()));
  const isMessage = (ref: string) => ref.startsWith(BROADCASTS) || ref.startsWith(CHANNELS) || ref.startsWith(inboxes) || ref.startsWith(BCAST);
  const msgs = new Map<string, MessageRecord>();
  const chains = await readChains(ctx, entries.filter((e) => e.ref.startsWith(BCAST)), []);
  for (const c of chains.values()) for (const m of c.messages) msgs.set(m.record.id, m.record);
  const { records, corrupt } = decode(MessageRecord, entries.filter((e) => isMessage(e.ref) && !e.ref.startsWith(BCAST)));
  for (const c of corrupt) ctx.warn(`skipping unreadable message ${c.ref} (${c.oid.slice(0, 10)}): ${c.problem}`);
  for (const s of records) if (s.record.id === s.ref.slice(s.ref.lastIndexOf('/') + 1)) msgs.set(s.record.id, s.record);
  // Who acknowledged what, from every agent's own records.
  const ackers = new Map<string, Map<string, string>>();
  const kept: { id: string; oid: string }[] = [];
  const acks = decode(AckRecord, entries.filter((e) => !isMessage(e.ref)));
  for (const s of acks.records) {
    const kind = s.ref.startsWith(`${MESSAGES}acks/`) ? 'acks' : 'receipts';
    if (agentMessagesRef(kind, s.record.agent) !== s.ref) continue;
    // What it acknowledged in order on each sender's chain (at or before the time its mark moved).
    for (const [sender, mark] of Object.entries(s.record.marks ?? {})) {
      for (const m of chains.get(sender)?.messages ?? []) {
        if (!markCovers(mark, m.record)) continue;
        const who = ackers.get(m.record.id) ?? new Map<string, string>();
        if (!who.has(s.record.agent)) who.set(s.record.agent, mark.at);
        ackers.set(m.record.id, who);
      }
    }
    for (const a of s.record.acks) {
      const m = ackers.get(a.id) ?? new Map<string, string>();
      m.set(s.record.agent, a.at);
      ackers.set(a.id, m);
      if (kind === 'receipts' && !msgs.has(a.id)) kept.push(a);
    }
  }
  // Direct messages already acknowledged: their refs are gone, their records kept by the receipts.
  if (kept.length > 0) {
    const bodies = await ctx.store.bodies([...new Set(kept.map((k) => k.oid))]);
    for (const k of kept) {
      const body = bodies.get(k.oid);
      const r = body === undefined ? null : parseBody(MessageRecord, body);
      if (r?.ok && r.value.id === k.id) msgs.set(k.id, r.value);
    }
  }
  const out: BoardMessage[] = [];
  for (const m of msgs.values()) {
    if (expired(m, now)) continue;
    const who = ackers.get(m.id) ?? new Map<string, string>();
    const direct = m.to.filter((a) => a !== '@all' && !a.startsWith('#'));
    const ackMap: Record<string, string | null> = {};
    for (const a of direct) ackMap[a] = who.get(a) ?? null;
    for (const [a, at] of who) ackMap[a] = at;
    out.push({
      id: m.id,
      from: m.from,
      to: m.to,
      subject: cut(m.subject, CAPS.title),
      body: cut(m.body),
      priority: m.priority,
      thread: m.thread,
      replyTo: m.replyTo,
      sentAt: m.sentAt,
      expiresAt: m.expiresAt,
      ack: m.ack,
      direct: direct.length === m.to.length,
      acks: ackMap,
    });
  }
  return out.sort((a, b) => Date.parse(b.sentAt) - Date.parse(a.sentAt) || (a.id < b.id ? 1 : -1));
}

/** The whole board, for the web page. */
export async function readBoardData(ctx: Coord): Promise<BoardData> {
  const board = await readBoard(ctx);
  const now = ctx.now();
  const messages = await readMessages(ctx, now);
  const channels = await new Messages(ctx).channels();
  const events = await history(ctx, CAPS.history);
  // Recently done: the tasks the recent history finished, looked up by id, and the count from the
  // archives' own records: never every finished task (30,000 took seconds at every refresh).
  const mode = ctx.readMode();
  const recent = [...new Set(events.filter((e) => e.action === 'done').map((e) => e.subject))];
  const { found, done: doneCount } = await finishedAndDoneCount(ctx, recent, mode);
  const done = [...found.values()]
    .filter((h) => h.record.status === 'done')
    .map((h) => taskView(h.record, now, () => true))
    .sort((a, b) => Date.parse(b.updatedAt) - Date.parse(a.updatedAt));
  const locks = board.agents.flatMap((a) => a.locks).sort((a, b) => (a.expiresAt ?? '9') < (b.expiresAt ?? '9') ? -1 : 1);
  const view = ctx.viewInfo();
  const tasks = (ts: TaskView[], n: number = CAPS.tasks) => ts.slice(0, n).map(capTask);
  const top = ctx.repo.top ?? ctx.repo.commonDir;
  return {
    now: iso(now),
    repo: cut(top.slice(top.lastIndexOf('/') + 1), 100),
    view: view ? { remote: view.remote, syncedAt: view.syncedAt } : null,
    agents: board.agents.slice(0, CAPS.agents).map((a) => ({ ...a, role: a.role && cut(a.role, CAPS.title), task: a.task, locks: a.locks.slice(0, 20).map(capLock) })),
    locks: locks.slice(0, CAPS.locks).map(capLock),
    tasks: {
      ready: tasks(board.ready),
      claimed: tasks(board.claimed),
      blocked: tasks(board.blocked),
      failed: tasks(board.failed),
      done: tasks(done, CAPS.done),
    },
    counts: {
      ready: board.ready.length,
      claimed: board.claimed.length,
      blocked: board.blocked.length,
      failed: board.failed.length,
      done: Math.max(doneCount, done.length),
      messages: messages.length,
      locks: locks.length,
    },
    messages: messages.slice(0, CAPS.messages),
    channels: channels.slice(0, 100),
    history: events.map((e) => ({ ...e, subject: cut(e.subject, CAPS.title), ...(e.reason ? { reason: cut(e.reason) } : {}) })),
  };
}
