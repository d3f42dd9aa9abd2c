/**
 * Recording changes. Every concept changes its records the same way: write the new record states
 * and one journal entry per change, then swap every ref at once (the records' refs, the acting
 * agent's journal, and any extra refs the caller adds) in one compare-and-swap. Either all of it
 * lands or none does, so the history never shows a change that did not happen.
 *
 * Journal entries chain on the agent's journal ref: each has the previous entry as first parent
 * and the record it describes as second, so `git log --first-parent` walks the journal alone,
 * and a record whose ref is deleted (a released lock) stays reachable for the history
 * (src/history reads it back).
 */
import { journalRef } from './layout.js';
import type { NewRecord, RefUpdate, Store } from './records.js';
import { iso } from '../time.js';

export interface RecordChange {
  /** The record's ref, and the value it must still hold (null: must not exist yet). */
  ref: string;
  oldOid: string | null;
  /** The record's new state; with `remove`, its final state before the ref is deleted. */
  record: unknown;
  /** The record commit's subject line (what `git log <ref>` shows). */
  subject: string;
  remove?: boolean;
  /**
   * The value the ref holds names a missing object: the new record starts a history of its own
   * (no parent) while the swap still expects that value.
   */
  fresh?: boolean;
  /** The new record's parents, when not the state it replaces (a chain re-rooted: the new root's copies). */
  parents?: string[];
  /** More refs, which must not exist yet, created pointing at the same new record (a message to several addresses). */
  alsoRefs?: string[];
  /**
   * What the history says of this change: one entry, several (one record acknowledging several
   * messages), or none (an index kept beside records whose changes are recorded already).
   */
  event?: JournalEvent | JournalEvent[];
  /**
   * The record moves to `ref` from another ref (a task changing shelf): that ref is deleted in
   * the same swap, expected to hold `oid`, and the record's state there becomes its parent.
   */
  movedFrom?: { ref: string; oid: string };
  /**
   * Other refs that hold the same record under another name (an index): each is set to the new
   * record, or with `remove` deleted, expected to hold `oldOid` (null: must not exist).
   */
  mirrors?: { ref: string; oldOid: string | null; remove?: boolean }[];
}

/**
 * One journal entry: what happened (`action`, one of the history schema's actions), to what
 * (`subject`), why, and the other agent concerned. The concepts type their actions; the store
 * writes them as given.
 */
export interface JournalEvent {
  action: string;
  subject: string;
  reason?: string | undefined;
  other?: string | undefined;
}

/** One entry of the history as it reads: when, who, what happened to what, why, and the other agent concerned. */
export interface JournalEntry {
  at: string;
  agent: string;
  action: string;
  subject: string;
  reason?: string;
  other?: string;
}

/** The journal record as written (the history's EventRecord schema reads it back). */
type JournalRecord = { v: 1; type: 'event' } & JournalEntry;

/**
 * Changes of one concept committed in another's transaction (a task's claim in a lock grant)
 * whose refs moved before the commit: nothing was committed; re-read and decide again.
 */
export class AlongsideMoved extends Error {}

/** The record commit a change writes: `store.ids([recordOf(...)])` is its id before it is written. */
export function recordOf(c: RecordChange, me: string, now: number): NewRecord {
  const parents = c.parents ? c.parents : c.movedFrom ? [c.movedFrom.oid] : c.oldOid && !c.fresh ? [c.oldOid] : [];
  return { subject: c.subject, record: c.record, parents, agent: me, timeMs: now };
}

/** The ref updates of `changes`, whose new records have the ids `recordOids`. */
export function changeUpdates(changes: RecordChange[], recordOids: string[]): RefUpdate[] {
  return changes.flatMap((c, i) => [
    { ref: c.ref, newOid: c.remove ? null : recordOids[i]!, oldOid: c.oldOid },
    ...(c.alsoRefs ?? []).map((ref) => ({ ref, newOid: recordOids[i]!, oldOid: null })),
    ...(c.movedFrom ? [{ ref: c.movedFrom.ref, newOid: null, oldOid: c.movedFrom.oid }] : []),
    ...(c.mirrors ?? []).map((m) => ({ ref: m.ref, newOid: m.remove || c.remove ? null : recordOids[i]!, oldOid: m.oldOid })),
  ]);
}

/**
 * Commits `changes` and their journal entries atomically. `journal` is the agent's journal head
 * as read (null: none yet; a parentless `join` entry starts it). `extra` updates ride along in
 * the same transaction (presence, say). Returns false when any ref moved meanwhile (a lost race:
 * re-read and decide again); also returns the ids written, for callers that chain further.
 */
export async function commitWithJournal(
  store: Store,
  me: string,
  changes: RecordChange[],
  journal: string | null,
  now: number,
  extra: RefUpdate[] = [],
): Promise<{ ok: boolean; records: string[]; journal: string }> {
  const records = changes.map((c) => recordOf(c, me, now));
  const recordOids = store.ids(records);
  const entries: NewRecord[] = [];
  if (journal === null) {
    const join: JournalRecord = { v: 1, type: 'event', at: iso(now), agent: me, action: 'join', subject: me };
    entries.push({ subject: `join ${me}`, record: join, parents: [], agent: me, timeMs: now });
  }
  let prev = journal ?? store.ids(entries)[0]!;
  for (const [i, c] of changes.entries()) {
    for (const e of c.event === undefined ? [] : Array.isArray(c.event) ? c.event : [c.event]) {
      const ev: JournalRecord = {
        v: 1,
        type: 'event',
        at: iso(now),
        agent: me,
        action: e.action,
        subject: e.subject,
        ...(e.reason ? { reason: e.reason } : {}),
        ...(e.other ? { other: e.other } : {}),
      };
      const entry: NewRecord = { subject: `${e.action} ${e.subject}`, record: ev, parents: [prev, recordOids[i]!], agent: me, timeMs: now };
      prev = store.ids([entry])[0]!;
      entries.push(entry);
    }
  }
  await store.write([...records, ...entries]);
  const updates = changeUpdates(changes, recordOids);
  updates.push({ ref: journalRef(me), newOid: prev, oldOid: journal }, ...extra);
  const ok = (await store.swap(updates)).ok;
  store.warmSoon();
  return { ok, records: recordOids, journal: prev };
}

/**
 * Commits `changes` without journal entries: states the history does not keep (a lock's pending
 * record, which is granted or withdrawn within seconds; an agent's presence). Their events are
 * ignored. `extra` updates ride along (values verified unchanged, say); `transient`: the new
 * values are about to be replaced again (see Store.swap); `swapping` is called once the swap has
 * started (to start other work meanwhile). Returns whether the swap won, and the ids written.
 */
export async function commitUnrecorded(
  store: Store,
  me: string,
  changes: RecordChange[],
  now: number,
  opts: { extra?: RefUpdate[]; transient?: boolean; swapping?: () => void } = {},
): Promise<{ ok: boolean; records: string[] }> {
  const records = await store.write(changes.map((c) => recordOf(c, me, now)));
  const swap = store.swap([...changeUpdates(changes, records), ...(opts.extra ?? [])], { transient: opts.transient ?? false });
  opts.swapping?.();
  return { ok: (await swap).ok, records };
}

/**
 * Puts refs back to values they held before (`to`: an id, or null to delete), each expected to
 * hold `from` still: a withdrawal, which writes no record. Returns whether the swap won.
 */
export async function putBack(store: Store, refs: { ref: string; from: string; to: string | null }[]): Promise<boolean> {
  return (await store.swap(refs.map((r) => ({ ref: r.ref, newOid: r.to, oldOid: r.from })))).ok;
}
