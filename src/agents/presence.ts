/**
 * Presence: who is around. An agent is seen when it changes anything (its journal's newest entry,
 * written in the same swap as the change, carries the time: no extra write, no extra git process)
 * or when it sends a heartbeat, which rewrites its own presence ref alone. Both refs are the
 * agent's own, so presence never contends with another agent's writes.
 */
import { UsageError, FailedError } from '../errors.js';
import { AGENTS, JOURNAL, MESSAGES, agentMessagesRef, presenceRef } from '../store/layout.js';
import { decode, type RefEntry } from '../store/records.js';
import { lost, rounds, won } from '../store/cas.js';
import { commitUnrecorded } from '../store/journal.js';
import type { Coord } from '../session/coord.js';
import type { PresenceRecord } from './schema.js';
// A task id has an agent id's form (tasks/schema.ts TASK_ID), checked without loading the task schemas.
import { AGENT_ID_RE as TASK_ID } from '../fields.js';
import { printable } from '../printable.js';
import { checkLine } from '../fields.js';
import { iso } from '../time.js';

export interface Seen {
  id: string;
  /** ISO 8601: the newer of its last change and its last heartbeat. */
  lastSeen: string;
  role: string | null;
  /** The task its last heartbeat named. */
  task: string | null;
}

const MAX_ROLE = 200;

/**
 * The presence schema, loaded on first use (with zod): a heartbeat starts its read first and
 * loads it while git works. The journal's event schema loads only to list agents.
 */
let loading: Promise<typeof import('./schema.js')> | undefined;
const presenceSchemas = () => (loading ??= import('./schema.js'));

/** Every agent seen in `entries` (presence refs and journal heads; others are ignored). */
export async function seen(entries: RefEntry[]): Promise<Map<string, Seen>> {
  const [{ PresenceRecord }, { EventRecord }] = await Promise.all([presenceSchemas(), import('../history/schema.js')]);
  const out = new Map<string, Seen>();
  const note = (id: string, at: string, role?: string | null, task?: string | null) => {
    const prev = out.get(id);
    const lastSeen = prev && Date.parse(prev.lastSeen) > Date.parse(at) ? prev.lastSeen : at;
    out.set(id, { id, lastSeen, role: role !== undefined ? role : (prev?.role ?? null), task: task !== undefined ? task : (prev?.task ?? null) });
  };
  for (const r of decode(PresenceRecord, entries.filter((e) => e.ref.startsWith(AGENTS))).records) note(r.record.agent, r.record.at, r.record.role, r.record.task);
  for (const r of decode(EventRecord, entries.filter((e) => e.ref.startsWith(JOURNAL))).records) note(r.record.agent, r.record.at);
  return out;
}

export function isActive(s: Seen, now: number, activeMs: number): boolean {
  return now - Date.parse(s.lastSeen) <= activeMs;
}

/** `heartbeat`: records this agent's presence, role and task on its own ref. */
export async function heartbeat(ctx: Coord, opts: { role?: string; task?: string } = {}): Promise<Seen> {
  const me = ctx.requireAgent();
  if (opts.role !== undefined) checkLine('role', opts.role, MAX_ROLE);
  if (opts.task !== undefined && opts.task !== '' && !TASK_ID.test(opts.task)) throw new UsageError(`bad task id ${JSON.stringify(opts.task)}`);
  const ref = presenceRef(me);
  const store = ctx.store;
  const keep = (given: string | undefined, old: string | null | undefined) => (given === undefined ? (old ?? null) : given === '' ? null : given);
  // Presence needs no history: each record stands alone and the last replaces the one before.
  // Only processes of the same agent write this ref, and presence is last-writer-wins among them:
  // a heartbeat that lost its swap to a record at least as new as its own was superseded by a
  // later write of the same agent, which is an answer, not a failure.
  const read = async () => {
    const reading = store.entries([ref], 'authority');
    const schemas = presenceSchemas();
    const [cur] = await reading;
    return { cur, prev: cur ? decode((await schemas).PresenceRecord, [cur]).records[0]?.record : undefined };
  };
  const asSeen = (r: PresenceRecord): Seen => ({ id: me, lastSeen: r.at, role: r.role, task: r.task });
  return rounds(
    async () => {
      // A role or task not given is kept from the last heartbeat; an empty one clears it.
      const { cur, prev } = await read();
      const now = ctx.now();
      const rec: PresenceRecord = { v: 1, type: 'presence', agent: me, at: iso(now), role: keep(opts.role, prev?.role), task: keep(opts.task, prev?.task) };
      const change = { ref, oldOid: cur?.oid ?? null, fresh: true, record: rec, subject: `heartbeat ${me}` };
      if ((await commitUnrecorded(store, me, [change], now)).ok) return won(asSeen(rec));
      const after = (await read()).prev;
      if (after && after.agent === me && Date.parse(after.at) >= now) return won(asSeen(after));
      return lost();
    },
    {
      exhausted: () => {
        throw new FailedError(`cannot record the heartbeat of ${printable(me)}: its presence ref keeps changing (another process of the same agent?)`, { kind: 'lost-races' });
      },
    },
  );
}

/**
 * `prune`: forgets the agents not seen (no change, no heartbeat) for `forgetMs`: their presence
 * ref and their channel memberships, and, once every message they could have acknowledged has
 * expired (`messagesTtlMs` shorter than `forgetMs`), their acknowledgement records. Their journal
 * stays: it is their history. One leased delete per round; an agent seen meanwhile (its refs
 * moved) is decided again. Returns the agents forgotten.
 */
export async function forget(ctx: Coord, forgetMs: number, messagesTtlMs: number | null, budget = Infinity): Promise<string[]> {
  const kinds: ('member' | 'acks' | 'receipts')[] = messagesTtlMs !== null && messagesTtlMs < forgetMs ? ['member', 'acks', 'receipts'] : ['member'];
  return rounds(
    async () => {
      const entries = await ctx.store.entries([AGENTS, JOURNAL, ...kinds.map((k) => `${MESSAGES}${k}/`)], 'authority');
      const now = ctx.now();
      const byRef = new Map(entries.map((e) => [e.ref, e.oid]));
      const gone = [...(await seen(entries)).values()].filter((s) => now - Date.parse(s.lastSeen) > forgetMs).slice(0, budget).map((s) => s.id);
      const updates = gone.flatMap((id) =>
        [presenceRef(id), ...kinds.map((k) => agentMessagesRef(k, id))].filter((ref) => byRef.has(ref)).map((ref) => ({ ref, newOid: null, oldOid: byRef.get(ref)! })),
      );
      if (updates.length === 0) return won([]);
      if (!(await ctx.store.swap(updates)).ok) return lost();
      return won([...new Set(updates.map((u) => gone.find((id) => u.ref === presenceRef(id) || kinds.some((k) => u.ref === agentMessagesRef(k, id)))!))].sort());
    },
    { max: 10 },
  );
}
