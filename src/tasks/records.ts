/**
 * Task records on their refs: where a task lives (its shelf, and the queue), reading them back
 * (`snapshot`), the change that writes a task's new state, and the refusals every task command
 * shares. store/layout.ts has the layout.
 */
import { RefusedError, UsageError } from '../errors.js';
import { printable } from '../printable.js';
import { ARCHIVE, QUEUE, READY, READY_MARKER, TASKS, TASK_SHELVES, journalRef, queueRef, readyRef, taskRef, taskShelf, unescapeComponent, type TaskShelf } from '../store/layout.js';
import { changeUpdates, type RecordChange } from '../store/journal.js';
import { type ReadMode, type RefEntry, type RefUpdate } from '../store/records.js';
import { again, commit, type Decision } from '../store/cas.js';
import type { Coord } from '../session/coord.js';
import type { Locks } from '../locks/locks.js';
import { TaskRecord, type TaskAction, type TaskStatus } from './schema.js';
import type { IsDone } from './rules.js';
import { archiveUpdates, findFinished, mergeUpdates, routed } from './archive.js';
import { shelfRecords, type Held } from './held.js';

/** A task record as read, with where it lives (held.ts). */
export type { Held };

export interface Snapshot {
  tasks: Map<string, Held>;
  journal: string | null;
  /** Entries read that are neither tasks nor this agent's journal (presence, journals). */
  others: RefEntry[];
  isDone: IsDone;
  /** Task refs read whose record cannot be used (not JSON, wrong id, a blob...): ref -> why. */
  unreadable: Map<string, string>;
  /** The session (commitTasks writes the archives through it). */
  ctx: Coord;
  /** The read met the ready index's marker (meaningful only when READY_MARKER was among the patterns). */
  indexed: boolean;
  /**
   * Finished tasks looked up as dependencies of the open ones read (findFinished, with
   * `assumeDone`), by id: where each was found (an archive at its tip, or an old shelf's ref).
   */
  found: Map<string, Held>;
}

/** What the task commands share within one session (the Tasks service). */
export interface TaskSession {
  readonly ctx: Coord;
  /** Swaps `claim --next` lost to another agent in this session (the benchmark reports them). */
  lostRaces: number;
  /** The locks service, loaded only by the commands that lock. */
  locks(): Promise<Locks>;
}

export function shelfOf(status: TaskStatus): TaskShelf {
  return status === 'done' ? 'done' : status === 'failed' ? 'failed' : 'open';
}

/** The refs a task id may live on, one per shelf. */
export function everyShelf(id: string): string[] {
  return TASK_SHELVES.map((s) => taskRef(s, id));
}

/** Every task record, on every shelf (not the queue, which holds the same records again). */
export const ALL_SHELVES = TASK_SHELVES.map(taskShelf);

/**
 * Reads refs matching `patterns` (and `me`'s journal head) in one call; see `snapshot`. A pattern
 * on the done or failed shelf (a task's ref there, or the whole shelf) also finds the tasks
 * archived (tasks/archive.ts), with `archived` set. `assumeDone`: see readBoard.
 */
export async function readTasks(ctx: Coord, patterns: string[], me: string | null, mode: ReadMode, assumeDone: boolean, opts: { failed?: boolean; lookup?: string[] } = {}): Promise<Snapshot> {
  const jref = me ? journalRef(me) : null;
  const entries = await ctx.store.entries(jref ? [...patterns, jref] : patterns, mode);
  return withFinished(ctx, snapshot(ctx, entries, jref, false), opts.lookup ?? patterns, mode, assumeDone, opts);
}

/** `snap`, read with `patterns` (those on the done and failed shelves ask for the archives), completed by the archives (see readTasks). */
export async function withFinished(ctx: Coord, snap: Snapshot, patterns: string[], mode: ReadMode, assumeDone: boolean, opts: { failed?: boolean } = {}): Promise<Snapshot> {
  const finishedShelves = [taskShelf('done'), taskShelf('failed')];
  const whole = patterns.filter((p) => finishedShelves.includes(p));
  // (A task found on a shelf is in no archive: finishing and reopening move it in one swap.)
  const ids = [...new Set(patterns.filter((p) => finishedShelves.some((f) => p.startsWith(f) && p.length > f.length)).map((p) => unescapeComponent(p.slice(p.lastIndexOf('/') + 1))))].filter(
    (id) => !snap.tasks.has(id),
  );
  const want = whole.length > 0 ? null : opts.failed ? 'failed' : ids;
  if (want === null || want === 'failed' || want.length > 0) {
    const archived = await findFinished(ctx, want, mode);
    for (const [id, h] of archived) {
      if (whole.length === 1 && h.shelf !== (whole[0] === taskShelf('done') ? 'done' : 'failed')) continue;
      if (!snap.tasks.has(id)) snap.tasks.set(id, h);
    }
  }
  if (assumeDone) {
    // Readiness: a dependency not on the open shelf is looked up (archives, old shelves).
    const deps = [...new Set([...snap.tasks.values()].filter((h) => h.shelf === 'open').flatMap((h) => h.record.dependsOn))].filter((d) => !snap.tasks.has(d));
    const known = deps.length > 0 ? await findFinished(ctx, deps, mode, { shelves: true }) : new Map<string, Held>();
    snap.isDone = (id) => (snap.tasks.get(id) ?? known.get(id))?.record.status === 'done';
    snap.found = known;
  }
  return snap;
}

/**
 * The open and failed shelves (and `extra`), with what readiness needs: a dependency not on the
 * open shelf is done when found done (findFinished: the archives, the old done shelf). With
 * `failed`, the failed tasks of the archives too (the board and `list --status failed` show them).
 */
export function readBoard(ctx: Coord, me: string | null, mode: ReadMode, extra: string[] = [], opts: { failed?: boolean } = {}): Promise<Snapshot> {
  // (The failed shelf is read for boards written before the archive; it asks for no archive.)
  return readTasks(ctx, [taskShelf('open'), taskShelf('failed'), ...extra], me, mode, true, { ...opts, lookup: extra });
}

/**
 * The tasks among `entries` (others are passed through), and this agent's journal head.
 * `assumeDone`: a task not among them is taken as done. The task reads pass false: a task on no
 * shelf read is not done for that (it may be archived, or open and unread); withFinished looks
 * the dependencies up (findFinished) and sets `isDone`.
 */
export function snapshot(ctx: Coord, entries: RefEntry[], jref: string | null, assumeDone: boolean): Snapshot {
  const taskEntries: RefEntry[] = [];
  const others: RefEntry[] = [];
  let journal: string | null = null;
  let indexed = false;
  for (const e of entries) {
    if (e.ref === jref) journal = e.oid;
    if (e.ref === READY_MARKER) indexed = true;
    if (e.ref.startsWith(QUEUE) || e.ref.startsWith(READY) || e.ref.startsWith(ARCHIVE)) continue;
    if (e.ref.startsWith(TASKS)) taskEntries.push(e);
    else others.push(e);
  }
  const { held, unreadable } = shelfRecords(ctx, taskEntries);
  const tasks = new Map(held.map((h) => [h.record.id, h]));
  const isDone: IsDone = (id) => {
    const t = tasks.get(id);
    return t ? t.record.status === 'done' : assumeDone;
  };
  return { tasks, journal, others, isDone, unreadable, ctx, indexed, found: new Map() };
}

/**
 * Refuses a write onto a task ref that holds an unreadable record (a forged or damaged one). The
 * swap expects such a ref to be absent, so it would lose every round until it gave up: exit 2 at
 * once instead, naming the record and how to remove it. Every task write commits through here.
 */
export function refuseUnreadable(snap: Snapshot, changes: RecordChange[], extra: RefUpdate[] = []): void {
  const refs = [...changes.flatMap((c) => [c.ref, ...(c.mirrors ?? []).map((m) => m.ref)]), ...extra.map((u) => u.ref)];
  for (const ref of refs) {
    const problem = snap.unreadable.get(ref);
    if (problem === undefined) continue;
    throw new UsageError(`cannot write ${printable(ref)}: it holds an unreadable task record (${problem}); remove it first (git update-ref -d ${printable(ref)})`, {
      kind: 'unreadable-record',
      ref,
    });
  }
}

/** `snap` knowing the unreadable refs of further reads in the same round too (so commitTasks refuses them as well). */
export function alsoUnreadable(snap: Snapshot, ...more: (Snapshot | null)[]): Snapshot {
  const unreadable = new Map(snap.unreadable);
  for (const m of more) for (const [ref, why] of m?.unreadable ?? []) unreadable.set(ref, why);
  return { ...snap, unreadable };
}

/**
 * `commit` (store/cas.ts) of task changes, after refuseUnreadable, with the archives' new
 * commits for the tasks finished, reopened or rewritten there (tasks/archive.ts) in the same swap.
 */
export async function commitTasks<T>(snap: Snapshot, changes: RecordChange[], now: number, result: T, extra: RefUpdate[] = []): Promise<Decision<T>> {
  refuseUnreadable(snap, changes, extra);
  const archive = await archiveUpdates(snap.ctx, changes, now);
  const all = archive === null ? null : mergeUpdates(extra, archive, changeUpdates(changes, changes.map(() => '')));
  if (all === null) return again({ pause: false });
  return commit(changes, snap.journal, now, result, all);
}

/**
 * The change that writes `rec` for a task read as `held` (null: a new task), moving shelves with
 * its status. The queue and the ready index hold open-shelf records once more: they enter, follow
 * and leave with the record, in the same swap.
 */
export function taskChange(held: Held | null, rec: TaskRecord, action: TaskAction, reason?: string, other?: string): RecordChange {
  const shelf = shelfOf(rec.status);
  const ref = taskRef(shelf, rec.id);
  const moving = held !== null && held.shelf !== shelf;
  const wasOpen = held !== null && held.shelf === 'open';
  // The queue: every open-shelf task. Its name carries the priority: a priority change renames it.
  const mirrors = [
    ...mirrorMoves(held, wasOpen ? queueRef(held.record) : null, shelf === 'open' ? queueRef(rec) : null),
    // The ready index: the open-shelf tasks whose record says unblocked (tasks/ready.ts).
    ...mirrorMoves(held, wasOpen && held.record.unblocked === true ? readyRef(held.record) : null, shelf === 'open' && rec.unblocked === true ? readyRef(rec) : null),
  ];
  return routed(held, rec, {
    ref,
    oldOid: held && !moving ? held.oid : null,
    ...(moving ? { movedFrom: { ref: held.ref, oid: held.oid } } : {}),
    mirrors,
    record: rec,
    subject: `${action} ${rec.id}`,
    event: { action, subject: rec.id, reason, other },
  });
}

/** A mirror ref's update: kept (before = after), renamed, created or removed with the record. */
function mirrorMoves(held: Held | null, before: string | null, after: string | null): NonNullable<RecordChange['mirrors']> {
  if (before !== null && before === after) return [{ ref: after, oldOid: held!.oid }];
  return [...(before !== null ? [{ ref: before, oldOid: held!.oid, remove: true }] : []), ...(after !== null ? [{ ref: after, oldOid: null }] : [])];
}

export function notFound(id: string): UsageError {
  return new UsageError(`no task ${printable(id)}`, { kind: 'no-task', task: id });
}

export function claimedRefusal(verb: string, rec: TaskRecord, action?: string): RefusedError {
  return new RefusedError(
    `${verb} ${printable(rec.id)}: claimed by ${rec.claimedBy} ${rec.claimExpiresAt ? `until ${rec.claimExpiresAt}` : '(no expiry)'}`,
    { kind: 'claimed', task: rec.id, claimedBy: rec.claimedBy, claimExpiresAt: rec.claimExpiresAt, ...(action ? { action } : {}) },
  );
}
