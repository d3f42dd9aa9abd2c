/**
 * Claims: taking a task (`claim`, `claimNext`), keeping it (`renewClaims`), and ending it
 * (`endClaim`: done, fail, release). A claim is a compare-and-swap of the task's own record
 * from the state that was read; the locks taken with a claim are granted in the same swap and
 * released with it (docs/design.md, "Tasks and claims").
 */
import { AlongsideMoved, commitWithJournal } from '../store/journal.js';
import { RefusedError, UsageError } from '../errors.js';
import { printable } from '../printable.js';
import { iso } from '../time.js';
import { QUEUE, READY, journalRef, queueRef, readyRef, taskRef } from '../store/layout.js';
import { again, answer, cas, lost, rounds, won } from '../store/cas.js';
import { decode, type RefUpdate } from '../store/records.js';
import { patternFromText, type Pattern } from '../patterns/pattern.js';
import { TaskRecord, type TaskAction } from './schema.js';
import { byUrgency, claimLive, claimOrder, isFree, isReady, view, type IsDone, type TaskView } from './rules.js';
import { unique, validateLabel, validateNote, validateReason, validateTaskId } from './checks.js';
import { readListed } from './listed.js';
import { findFinished, mergeUpdates } from './archive.js';
import { indexListing } from './ready.js';
import { claimedRefusal, commitTasks, everyShelf, notFound, readBoard, readTasks, taskChange, type Held, type TaskSession } from './records.js';

/** `claim --next` reads the records of this many of the most urgent queued tasks at a time. */
const CANDIDATES_PER_READ = 32;

export interface ClaimOptions {
  /** Lease in ms, null for none; undefined: the configured default (`tasks.ttl`). */
  ttlMs?: number | null;
  /** Patterns to lock with the claim, all or nothing. */
  locks?: string[];
}

export interface EndOptions {
  /** End another agent's claim; needs `reason`, which the history records. */
  force?: boolean;
  reason?: string;
  /** A note on a finished task. */
  note?: string;
}

/** The claim of `rec` by `me` at `now`: a new claim, a renewal of mine, or a takeover of an expired one. */
function claimed(rec: TaskRecord, me: string, now: number, ttlMs: number | null, locks: string[]): { rec: TaskRecord; action: TaskAction; from?: string } {
  const mine = rec.status === 'claimed' && rec.claimedBy === me;
  const from = rec.status === 'claimed' && rec.claimedBy !== me && rec.claimedBy !== null ? rec.claimedBy : undefined;
  const action: TaskAction = mine && claimLive(rec, now) ? 'renew' : from ? 'takeover' : 'claim';
  return {
    action,
    ...(from ? { from } : {}),
    rec: {
      ...rec,
      status: 'claimed',
      claimedBy: me,
      claimedAt: action === 'renew' ? rec.claimedAt : iso(now),
      claimExpiresAt: ttlMs === null ? null : iso(now + ttlMs),
      claimTtlMs: ttlMs,
      locks,
      updatedAt: iso(now),
      event: { action, by: me, at: iso(now), ...(from ? { from } : {}) },
    },
  };
}

async function claimTtl(s: TaskSession, ttlMs: number | null | undefined): Promise<number | null> {
  return ttlMs === undefined ? (await s.ctx.config()).tasks.ttlMs : ttlMs;
}

/**
 * Claims one task: refused (exit 3) while another agent's claim on it is live, or when it is
 * done or failed; claiming a task you hold renews it. With `locks`, the patterns are locked in
 * the same step: the claim and every lock are granted together, or nothing changes.
 */
export async function claim(s: TaskSession, id: string, opts: ClaimOptions = {}): Promise<TaskView> {
  const ctx = s.ctx;
  const me = ctx.requireAgent();
  validateTaskId(id);
  const ttlMs = await claimTtl(s, opts.ttlMs);
  const asked: Pattern[] = opts.locks && opts.locks.length > 0 ? (await s.locks()).parse(opts.locks) : [];
  return cas(ctx.store, me, async () => {
    const snap = await readTasks(ctx, everyShelf(id), me, 'authority', false);
    const held = snap.tasks.get(id);
    if (!held) throw notFound(id);
    const now = ctx.now();
    const rec = held.record;
    if (rec.status === 'done' || rec.status === 'failed') {
      throw new RefusedError(`cannot claim ${printable(id)}: it is ${rec.status}`, { kind: 'finished', task: id, status: rec.status, action: 'claim' });
    }
    if (claimLive(rec, now) && rec.claimedBy !== me) throw claimedRefusal('cannot claim', rec);
    // A renewal keeps the locks taken with the claim (and renews them); new patterns join them.
    const keep = rec.claimedBy === me ? rec.locks.map(patternFromText) : [];
    const pats = [...new Map([...keep, ...asked].map((p) => [p.text, p])).values()];
    const next = claimed(rec, me, now, ttlMs, pats.map((p) => p.text));
    const change = taskChange(held, next.rec, next.action, undefined, next.from);
    if (pats.length > 0) {
      // The lock grant commits the claim in its own transaction.
      try {
        await (await s.locks()).lockParsed(pats, { ttlMs, reason: `task ${id}: ${rec.title}`, alongside: [change] });
        return answer(view(next.rec, now, () => true));
      } catch (e) {
        if (e instanceof AlongsideMoved) return again({ pause: false });
        throw e;
      }
    }
    return commitTasks(snap, [change], now, view(next.rec, now, () => true));
  });
}

/**
 * Claims the most urgent ready task (with every label in `labels`), or refuses (exit 3) when
 * none is free. The queue's ref names sort most urgent first, so one read returns this agent's
 * journal head and the records of the first few candidates only: the cost hardly grows with
 * the board. A swap lost to another agent moves on to the next candidate.
 */
export async function claimNext(s: TaskSession, opts: { labels?: string[]; ttlMs?: number | null } = {}): Promise<TaskView> {
  const ctx = s.ctx;
  const me = ctx.requireAgent();
  const labels = (opts.labels ?? []).map(validateLabel);
  const ttlMs = await claimTtl(s, opts.ttlMs);
  const jref = journalRef(me);
  // A round tries every ready candidate it read, each its own compare-and-swap.
  return rounds(async () => {
    let ready: Held[] = [];
    let isDone: IsDone = () => false;
    // The dependencies found done, by id: a claim verifies in its swap the refs they were read on.
    let doneHeld = new Map<string, Held>();
    const now = ctx.now();
    // The board's order from names alone (no record read), then the records of the first
    // candidates; when none of them is ready, of the next ones, until the list ends. The
    // candidates are the ready index's (ready.ts), or on a board without it, the whole queue.
    const listing = ctx.store.list([jref, READY], 'authority');
    if (ctx.store.remote === null) ctx.store.warmReader(); // the candidates are read by id: cat-file starts while git lists
    const names = await listing;
    const journal = names.find((n) => n.ref === jref)?.oid ?? null;
    const indexed = indexListing(names);
    const queued = indexed ?? (await ctx.store.list([QUEUE], 'authority')).sort((a, b) => (a.ref < b.ref ? -1 : 1));
    const listedAs = indexed ? readyRef : queueRef;
    for (let at = 0; at < queued.length && ready.length === 0; at += CANDIDATES_PER_READ) {
      const entries = await readListed(ctx, queued.slice(at, at + CANDIDATES_PER_READ), 'authority');
      const { records, corrupt } = decode(TaskRecord, entries);
      for (const c of corrupt) ctx.warn(`skipping unreadable task record ${c.ref} (${c.oid.slice(0, 10)}): ${c.problem}`);
      const free = records.filter((r) => r.ref === listedAs(r.record) && isFree(r.record, now) && labels.every((l) => r.record.labels.includes(l)));
      // A dependency is done when found done (an archive, or the old done shelf): look up just those of these candidates.
      const deps = unique(free.flatMap((r) => r.record.dependsOn));
      const found = await findFinished(ctx, deps, 'authority', { shelves: true });
      doneHeld = new Map([...found].filter(([, h]) => h.record.status === 'done'));
      isDone = (id) => doneHeld.has(id);
      ready = free
        .filter((r) => isReady(r.record, now, isDone))
        .map((r) => ({ ref: taskRef('open', r.record.id), oid: r.oid, shelf: 'open' as const, record: r.record }))
        .sort((a, b) => byUrgency(a.record, b.record));
    }
    if (ready.length === 0) {
      throw new RefusedError(`nothing to claim: no ready task${labels.length ? ` labelled ${labels.join(', ')}` : ''} is free`, { kind: 'nothing-ready', ready: 0, labels });
    }
    const byId = new Map(ready.map((h) => [h.record.id, h]));
    for (const rec of claimOrder(ready.map((h) => h.record), me)) {
      const next = claimed(rec, me, now, ttlMs, []);
      // Each dependency still done: a reopen landing after the read fails the swap.
      const verify = mergeUpdates(doneStill(rec, doneHeld), []) ?? [];
      if ((await commitWithJournal(ctx.store, me, [taskChange(byId.get(rec.id)!, next.rec, next.action, undefined, next.from)], journal, now, verify)).ok) {
        return won(view(next.rec, now, isDone));
      }
      s.lostRaces++;
    }
    return lost();
  });
}

/**
 * Verifications (old and new value equal) that each dependency of `rec` is still where it was
 * read done: its archive at the tip read (a reopen drops it from there), or its old done ref.
 */
function doneStill(rec: TaskRecord, done: Map<string, Held>): RefUpdate[] {
  return rec.dependsOn.map((d) => {
    const h = done.get(d);
    if (h === undefined) throw new Error(`claiming ${rec.id}: dependency ${d} was not read as done`);
    return { ref: h.ref, oldOid: h.oid, newOid: h.oid };
  });
}

/** Why a claim may not be ended by `me` (thrown), else the task's next record and the claimer ended by force. */
export function decideEnd(rec: TaskRecord, me: string, action: 'done' | 'fail' | 'release', opts: EndOptions, now: number): { next: TaskRecord; claimer: string | null; other?: string } {
  const id = rec.id;
  const verb = action === 'fail' ? 'fail' : action === 'done' ? 'finish' : 'release';
  if (rec.status === 'done' || rec.status === 'failed') {
    throw new RefusedError(`cannot ${verb} ${printable(id)}: it is ${rec.status} already`, { kind: 'finished', task: id, status: rec.status, action });
  }
  const claimer = rec.status === 'claimed' ? rec.claimedBy : null;
  if (claimer !== me && !opts.force) {
    if (claimer === null) {
      throw new RefusedError(`cannot ${verb} ${printable(id)}: nobody claimed it`, { kind: 'unclaimed', task: id, action });
    }
    throw claimedRefusal(`cannot ${verb}`, rec, action);
  }
  const other = claimer !== null && claimer !== me ? claimer : undefined;
  const next: TaskRecord = {
    ...rec,
    status: action === 'done' ? 'done' : action === 'fail' ? 'failed' : 'open',
    ...(action === 'release' ? { claimedBy: null, claimedAt: null } : {}),
    claimExpiresAt: null,
    claimTtlMs: null,
    locks: [],
    note: action === 'done' ? (opts.note ?? null) : rec.note,
    reason: action === 'fail' ? opts.reason! : rec.reason,
    updatedAt: iso(now),
    event: { action, by: me, at: iso(now), ...(opts.reason ? { reason: opts.reason } : {}), ...(other ? { from: other } : {}) },
  };
  return { next, claimer, ...(other ? { other } : {}) };
}

/** The checks every end of a claim makes before reading anything. */
export function checkEndOptions(action: 'done' | 'fail' | 'release', opts: EndOptions): void {
  validateReason(opts.reason);
  validateNote(opts.note);
  if (opts.force && !opts.reason) {
    throw new UsageError(`ending another agent's claim needs a reason: the history records why it was ended`, { kind: 'force-needs-reason' });
  }
  if (action === 'fail' && !opts.reason?.trim()) throw new UsageError('failing a task needs a reason', { kind: 'fail-needs-reason' });
}

/** Ends a claim: `fail` (needs a reason) or `release`; with `force`, another agent's. Releases the claim's locks. (Done: finish.ts.) */
export async function endClaim(s: TaskSession, id: string, action: 'fail' | 'release', opts: EndOptions): Promise<TaskView> {
  const ctx = s.ctx;
  const me = ctx.requireAgent();
  validateTaskId(id);
  checkEndOptions(action, opts);
  return cas(ctx.store, me, async () => {
    const snap = await readTasks(ctx, everyShelf(id), me, 'authority', false);
    const held = snap.tasks.get(id);
    if (!held) throw notFound(id);
    const rec = held.record;
    const now = ctx.now();
    const { next, claimer, other } = decideEnd(rec, me, action, opts, now);
    const why = opts.force && other ? opts.reason : opts.reason;
    const changes = [taskChange(held, next, action, why, other)];
    // The locks taken with the claim go in the same swap, where their holder still has them.
    if (claimer !== null && rec.locks.length > 0) changes.push(...(await (await s.locks()).releasing(rec.locks, claimer, other ? opts.reason : undefined)));
    return commitTasks(snap, changes, now, view(next, now, () => true));
  });
}

/**
 * Extends this agent's claims (all of them, or those named) by each claim's own lease or
 * `ttlMs`. A claim of yours that expired and that nobody took is renewed too. (The locks taken
 * with a claim are renewed by Locks.renew.)
 */
export async function renewClaims(s: TaskSession, opts: { ids?: string[]; ttlMs?: number | null } = {}): Promise<TaskView[]> {
  const ctx = s.ctx;
  const me = ctx.requireAgent();
  const ids = opts.ids?.map((i) => validateTaskId(i));
  return cas(ctx.store, me, async () => {
    const snap = await readBoard(ctx, me, 'authority');
    const mine = [...snap.tasks.values()].filter((h) => h.record.status === 'claimed' && h.record.claimedBy === me && (!ids || ids.includes(h.record.id)));
    if (ids) {
      const missing = ids.filter((i) => !mine.some((h) => h.record.id === i));
      if (missing.length > 0) throw new RefusedError(`cannot renew: not claimed by you\n${missing.map((m) => `  ${printable(m)}`).join('\n')}`, { kind: 'not-claimed', tasks: missing });
    }
    if (mine.length === 0) return answer([]);
    const now = ctx.now();
    const nexts = mine.map((h) => ({ held: h, next: claimed(h.record, me, now, opts.ttlMs === undefined ? h.record.claimTtlMs : opts.ttlMs, h.record.locks) }));
    const changes = nexts.map(({ held, next }) => taskChange(held, next.rec, next.action));
    return commitTasks(snap, changes, now, nexts.map(({ next }) => view(next.rec, now, snap.isDone)));
  });
}
