/**
 * The ready index (docs/design.md, "Ready work without reading what is blocked"): each open-shelf
 * task whose record says `unblocked` is named once more under `tasks/ready/<queue name>`, a
 * mirror that taskChange (records.ts) moves with the record, so `claim --next` and `task list
 * --ready` list and read those and nothing blocked.
 *
 * The index is a superset: `unblocked` means every dependency was done when it was last decided;
 * a dependency reopened since leaves a stale entry, which costs the reader one record read (it
 * checks each candidate's dependencies), never a wrong answer. What must never happen is an open
 * task whose dependencies are all done without the flag. The rules that hold it under races:
 *
 * Doneness is the archive's (tasks/archive.ts): a dependency is done when it is found done
 * (`findFinished`: the archives, or the done shelf of a board written before them, read through
 * readTasks/readBoard and the snapshot's `isDone`); one on no shelf is not done for that. A
 * dependency not done is open (its open-shelf ref) or failed (an archive at its tip, or an old
 * failed-shelf ref), and a failed one becomes done only after a reopen has moved it back onto the
 * open shelf, in a swap of its own.
 *
 * - A write that decides the flag (add, import, depend, undepend, reopen, the index's build)
 *   sets it from the doneness it read; when it sets it false, it also rewrites every dependency it
 *   read as not done on a shelf, and verifies the archive tip of each failed one found archived
 *   (`touches`). A `task done` of such a dependency moves that same record (a reopen of an
 *   archived one moves its archive), so of the two swaps one fails and decides again on what the
 *   other wrote: a dependent added, or a dependency added or removed, while its last dependency is
 *   being finished is never missed.
 * - `task done` of a dependency (`dependents`) rewrites each open dependent it makes unblocked
 *   with the flag set, in the swap that archives the dependency; for a dependent still blocked by
 *   another task it verifies that task's ref (or archive tip) as read, so two dependencies of one
 *   task finished at once conflict (the second decides again and sets the flag).
 * - A reopen of a done dependency leaves its dependents' flags set: the index is a superset, and
 *   readers check each candidate's dependencies through the archives.
 * - Every other write keeps the flag as it was (the record is spread), and the mirror follows.
 *
 * Older boards have no index: the marker (READY_MARKER) is written with the one-time build of the
 * flags (`indexBoard`, one swap), which `task add` and `task import` run after their own swap the
 * first time they find the marker missing. Until then readers read the whole board, as before the index.
 */
import { iso } from '../time.js';
import { READY, READY_MARKER, readyRef } from '../store/layout.js';
import { answer, cas } from '../store/cas.js';
import { decode, type ReadMode, type RefEntry, type RefUpdate } from '../store/records.js';
import type { RecordChange } from '../store/journal.js';
import { UsageError } from '../errors.js';
import type { Coord } from '../session/coord.js';
import { TaskRecord } from './schema.js';
import type { IsDone } from './rules.js';
import { commitTasks, everyShelf, readBoard, readTasks, taskChange, type Held, type Snapshot } from './records.js';

/**
 * A local change that wrote this many task records or more (an import, the index's build) packs
 * the refs and loose objects after it (Store.pack, what `git gc` does, safe beside other git
 * processes): git reads a loose-ref directory whole, so thousands of loose task refs slowed every
 * later listing of the index, and reading a thousand records from loose objects took twice as
 * long as from a pack (docs/design.md, "Ready work"). Through a remote, the view is packed after
 * a fetch that leaves many loose refs (store/remote.ts).
 */
export const PACK_AFTER_RECORDS = 100;

/** Packs the repository after a local change of `records` task records, when that is many (PACK_AFTER_RECORDS). */
export async function packAfter(ctx: Coord, records: number): Promise<void> {
  if (ctx.store.remote !== null || records < PACK_AFTER_RECORDS) return;
  const problem = await ctx.store.pack();
  if (problem) ctx.warn(`could not pack the refs and objects: ${problem}`);
}

/** Whether every dependency in `deps` is done. */
export function allDone(deps: readonly string[], isDone: IsDone): boolean {
  return deps.every((d) => isDone(d));
}

/**
 * The dependencies `deps` as they stand, for a write that decides the flag (null: none): each
 * read on every shelf and looked up in the archives (readTasks), so the snapshot's `isDone` is
 * the archive's and `tasks` holds where each not done one is (for `touches`).
 */
export async function readDependencies(ctx: Coord, deps: readonly string[], mode: ReadMode = 'authority'): Promise<Snapshot | null> {
  return deps.length === 0 ? null : readTasks(ctx, deps.flatMap(everyShelf), null, mode, false);
}

/** The dependencies of `deps` read as not done (open, or failed: on a shelf or archived), as read (`lookup`); one not found is left out. */
export function notDone(deps: readonly string[], lookup: (id: string) => Held | undefined): Held[] {
  return deps.flatMap((d) => {
    const h = lookup(d);
    return h && h.record.status !== 'done' ? [h] : [];
  });
}

/** The refs `changes` and `extra` already update or verify (a ref may appear only once in a swap). */
export function refsIn(changes: RecordChange[], extra: RefUpdate[] = []): Set<string> {
  return new Set([...changes.flatMap((c) => [c.ref, ...(c.movedFrom ? [c.movedFrom.ref] : [])]), ...extra.map((u) => u.ref)]);
}

/**
 * What a write setting the flag false does to the not-done dependencies `deps` it read, so that a
 * `task done` of any of them conflicts with its swap (see above): each one on a shelf is
 * rewritten, the record as it is (a new commit on the old one; no history entry: the dependent's
 * change has it), and the archive of each failed one found archived is verified at the tip read
 * (it becomes done only after a reopen, which moves that archive). Records `changes`/`extra`
 * already write or verify are left out.
 */
export function touches(deps: Held[], changes: RecordChange[], extra: RefUpdate[] = []): { changes: RecordChange[]; verify: RefUpdate[] } {
  const skip = refsIn(changes, extra);
  const seen = new Set<string>();
  const out: RecordChange[] = [];
  const verify: RefUpdate[] = [];
  for (const h of deps) {
    if (skip.has(h.ref) || seen.has(h.ref)) continue;
    seen.add(h.ref);
    if (h.archived) {
      verify.push({ ref: h.ref, oldOid: h.oid, newOid: h.oid });
      continue;
    }
    const c = taskChange(h, h.record, 'depend');
    c.subject = `dependent of ${h.record.id}`;
    delete c.event;
    out.push(c);
  }
  return { changes: out, verify };
}

/**
 * What `task done` of `finishing` does to their dependents on the board read (`snap`: readBoard,
 * the open shelf, with the dependencies of its tasks looked up in the archives): `unblock` the
 * open ones whose every dependency is done afterwards (`after`) and whose flag is not set yet;
 * `verify` where each not-done dependency of those still blocked was read (its open or failed
 * ref, or its archive's tip), not those already in `changes`/`extra`.
 */
export function dependents(snap: Snapshot, finishing: Set<string>, after: IsDone, changes: RecordChange[], extra: RefUpdate[] = []): { unblock: Held[]; verify: RefUpdate[] } {
  const unblock: Held[] = [];
  const verify = new Map<string, RefUpdate>();
  const skip = refsIn(changes, extra);
  for (const h of snap.tasks.values()) {
    if (h.shelf !== 'open' || finishing.has(h.record.id) || !h.record.dependsOn.some((d) => finishing.has(d))) continue;
    if (allDone(h.record.dependsOn, after)) {
      if (h.record.unblocked !== true) unblock.push(h);
      continue;
    }
    for (const b of notDone(h.record.dependsOn, (id) => (finishing.has(id) ? undefined : (snap.tasks.get(id) ?? snap.found.get(id))))) {
      if (!skip.has(b.ref)) verify.set(b.ref, { ref: b.ref, oldOid: b.oid, newOid: b.oid });
    }
  }
  // A blocker unblocked in the same step is rewritten, which conflicts as well as a verification.
  for (const h of unblock) verify.delete(h.ref);
  return { unblock, verify: [...verify.values()] };
}

/** The change that marks an open dependent unblocked (no history entry: the done that caused it has one). */
export function unblockChange(h: Held): RecordChange {
  const c = taskChange(h, { ...h.record, unblocked: true }, 'depend');
  c.subject = `unblocked ${h.record.id}`;
  delete c.event;
  return c;
}

/**
 * The one-time build: every open-shelf task gets the flag its dependencies call for (records
 * already right are left alone), the not-done dependencies of the blocked ones are rewritten
 * (as any write that sets the flag false does), and the marker is created, all in one swap.
 * Returns false when the board cannot be indexed in one step (too many refs for one push to a
 * remote): readers then go on reading the whole board.
 */
export async function indexBoard(ctx: Coord, me: string): Promise<boolean> {
  try {
    const built = await cas<true | number>(ctx.store, me, async () => {
      // The open shelf, with its tasks' dependencies looked up in the archives (readBoard).
      const snap = await readBoard(ctx, me, 'authority', [READY_MARKER]);
      if (snap.indexed) return answer(true);
      const now = ctx.now();
      const changes: RecordChange[] = [];
      const blockers: Held[] = [];
      for (const h of snap.tasks.values()) {
        if (h.shelf !== 'open') continue;
        const flag = allDone(h.record.dependsOn, snap.isDone);
        if (!flag) blockers.push(...notDone(h.record.dependsOn, (id) => snap.tasks.get(id) ?? snap.found.get(id)));
        if (h.record.unblocked === flag) continue;
        const c = taskChange(h, { ...h.record, unblocked: flag }, 'depend');
        c.subject = `index ${h.record.id}`;
        delete c.event;
        changes.push(c);
      }
      const touched = touches(blockers, changes);
      changes.push(...touched.changes);
      changes.push({ ref: READY_MARKER, oldOid: null, record: { v: 1, type: 'ready-index', at: iso(now), by: me }, subject: 'index ready tasks' });
      return commitTasks(snap, changes, now, changes.length, touched.verify);
    });
    if (built !== true) await packAfter(ctx, built);
    return true;
  } catch (e) {
    if (e instanceof UsageError && (e.detail as { code?: string } | undefined)?.code === 'too-many-refs') return false;
    throw e;
  }
}

/**
 * Builds the index after a change that found the board without it (`task add`, `task import`),
 * which has succeeded whatever happens here: a failure is a warning, and readers go on reading the
 * whole board until a later change builds it.
 */
export async function indexAfter(ctx: Coord, me: string): Promise<void> {
  try {
    if (!(await indexBoard(ctx, me))) ctx.warn('the board is too big to index in one push to the remote: claim --next and task list --ready read it whole');
  } catch (e) {
    ctx.warn(`could not index the ready tasks: ${(e as Error).message}`);
  }
}

/**
 * The ready index as listed (names and record ids; no record read), most urgent first, or null
 * when the board keeps none (no marker): the caller reads the whole board then.
 */
export function indexListing(names: { ref: string; oid: string }[]): { ref: string; oid: string }[] | null {
  if (!names.some((n) => n.ref === READY_MARKER)) return null;
  return names.filter((n) => n.ref.startsWith(READY) && n.ref !== READY_MARKER).sort((a, b) => (a.ref < b.ref ? -1 : 1));
}

/** The records of the ready index's entries that are where the index says (a ref whose record names another place is skipped, with a warning). */
export function indexRecords(ctx: Coord, entries: RefEntry[]): Held[] {
  const { records, corrupt } = decode(TaskRecord, entries.filter((e) => e.ref !== READY_MARKER));
  for (const c of corrupt) ctx.warn(`skipping unreadable task record ${c.ref} (${c.oid.slice(0, 10)}): ${c.problem}`);
  return records.filter((r) => r.ref === readyRef(r.record)).map((r) => ({ ref: r.ref, oid: r.oid, shelf: 'open' as const, record: r.record }));
}

/** Reads the ready index's records (null: the board keeps no index). */
export async function readIndex(ctx: Coord, mode: ReadMode): Promise<Held[] | null> {
  const entries = await ctx.store.entries([READY], mode);
  if (!entries.some((e) => e.ref === READY_MARKER)) return null;
  return indexRecords(ctx, entries);
}
