/**
 * The board: every agent seen, with its role, its claimed tasks and its locks; the ready tasks;
 * the blocked ones and what blocks them. One read of the refs that matter (presence, journal
 * heads, the open and failed task shelves, the locks), never the finished tasks.
 */
import { AGENTS, CONTEXT, JOURNAL, LOCKS, contextRef, taskShelf } from '../store/layout.js';
import { decode, type RefEntry } from '../store/records.js';
import { ContextRecord } from '../context/schema.js';
import { byRecency } from '../context/rules.js';
import type { Coord } from '../session/coord.js';
import { LockRecord } from '../locks/schema.js';
import { liveness, view as lockView, type LockView } from '../locks/locks.js';
import { snapshot, withFinished } from '../tasks/tasks.js';
import { byUrgency, claimLive, isFree, view as taskView, type TaskView } from '../tasks/rules.js';
import { isActive, seen } from '../agents/presence.js';

export interface AgentView {
  id: string;
  /** ISO 8601, or null for an agent never seen (you, before your first change). */
  lastSeen: string | null;
  /** Seen within `agents.active` (default 15m). */
  active: boolean;
  role: string | null;
  /** The task it works on: its newest live claim, else the task its last heartbeat named. */
  task: string | null;
  /** Every task it holds a live claim on. */
  tasks: string[];
  locks: LockView[];
}

export interface Board {
  /** You, or null when no agent id is set. */
  agent: string | null;
  agents: AgentView[];
  /** Claimable now, most urgent first. */
  ready: TaskView[];
  /** Free but waiting for dependencies (`blockedBy` names them). */
  blocked: TaskView[];
  /** Claimed by someone, live. */
  claimed: TaskView[];
  failed: TaskView[];
  /** The shared context keys that exist, most recently set first (no values: `context get` has them). */
  context: ContextKeyView[];
}

/** A shared context key as the board and the briefing show it: who set it when, at which version. */
export interface ContextKeyView {
  key: string;
  version: number;
  agent: string;
  at: string;
}

/** The live keys among `entries` (records under CONTEXT), most recently set first; tombstones and misplaced records left out. */
export function contextKeys(ctx: Coord, entries: RefEntry[]): ContextKeyView[] {
  const { records, corrupt } = decode(ContextRecord, entries.filter((e) => e.ref.startsWith(CONTEXT)));
  for (const c of corrupt) ctx.warn(`skipping unreadable context record ${c.ref} (${c.oid.slice(0, 10)}): ${c.problem}`);
  return records
    .filter((r) => r.ref === contextRef(r.record.key) && r.record.value !== null)
    .map(({ record: r }) => ({ key: r.key, version: r.version, agent: r.agent, at: r.at }))
    .sort((a, b) => byRecency({ ...a, value: '' }, { ...b, value: '' }));
}

export async function readBoard(ctx: Coord): Promise<Board> {
  const me = ctx.agent();
  const entries = await ctx.store.entries([AGENTS, JOURNAL, taskShelf('open'), taskShelf('failed'), LOCKS, CONTEXT], ctx.readMode());
  const now = ctx.now();
  const { activeMs } = (await ctx.config()).agents;
  const context = contextKeys(ctx, entries);
  // The failed tasks of the archives too, and the dependencies of open tasks looked up there.
  const snap = await withFinished(ctx, snapshot(ctx, entries.filter((e) => !e.ref.startsWith(CONTEXT)), null, false), [], ctx.readMode(), true, { failed: true });
  const decoded = decode(LockRecord, snap.others.filter((e) => e.ref.startsWith(LOCKS)));
  for (const c of decoded.corrupt) ctx.warn(`skipping unreadable lock record ${c.ref} (${c.oid.slice(0, 10)}): ${c.problem}`);
  const locks = decoded.records.filter((s) => liveness(s.record, now) === 'granted').map((s) => lockView(s.record));
  const tasks = [...snap.tasks.values()].map((h) => h.record);
  const views = tasks.map((t) => taskView(t, now, snap.isDone)).sort(byUrgency);
  const claims = tasks.filter((t) => claimLive(t, now)).sort((a, b) => Date.parse(b.claimedAt ?? '') - Date.parse(a.claimedAt ?? ''));
  const who = await seen(snap.others);
  const ids = new Set([...who.keys(), ...locks.map((l) => l.agent), ...claims.map((t) => t.claimedBy!), ...(me ? [me] : [])]);
  const agents = [...ids].sort().map((id): AgentView => {
    const s = who.get(id);
    const mine = claims.filter((t) => t.claimedBy === id).map((t) => t.id);
    return {
      id,
      lastSeen: s?.lastSeen ?? null,
      active: s ? isActive(s, now, activeMs) : false,
      role: s?.role ?? null,
      task: mine[0] ?? s?.task ?? null,
      tasks: mine,
      locks: locks.filter((l) => l.agent === id).sort((a, b) => (a.pattern < b.pattern ? -1 : a.pattern > b.pattern ? 1 : 0)),
    };
  });
  return {
    agent: me,
    agents,
    ready: views.filter((t) => t.ready),
    blocked: views.filter((t) => t.blockedBy.length > 0 && isFree(snap.tasks.get(t.id)!.record, now)),
    claimed: views.filter((t) => claimLive(snap.tasks.get(t.id)!.record, now)),
    failed: views.filter((t) => t.status === 'failed'),
    context,
  };
}
