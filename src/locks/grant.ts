/**
 * The grant protocol. A lock on pattern P lives on its own ref (store/layout.ts), so locks on
 * unrelated paths never touch the same ref. Two *different* patterns may still overlap (`src/`
 * and `src/a.ts`), and no single ref swap can see a lock that appears elsewhere at the same
 * moment. So a grant takes two steps (docs/design.md has the proof):
 *
 *   1. write a `pending` record for P (compare-and-swap on P's own ref);
 *   2. read every lock that could overlap P: if one is granted, or pending with a lower ticket,
 *      withdraw; if one that was already there at the first read is pending with a higher
 *      ticket, wait for it to settle; else
 *   3. swap the pending record to `granted`.
 *
 * Because each side writes before it reads, of two overlapping racers at least one sees the
 * other, and the ticket order decides between them: never two holders.
 */
import { RefusedError } from '../errors.js';
import { lockRef } from '../store/layout.js';
import { AlongsideMoved, commitUnrecorded, commitWithJournal, putBack, type RecordChange } from '../store/journal.js';
import { jitter, lost, rounds, sleep, won } from '../store/cas.js';
import type { Coord } from '../session/coord.js';
import { patternFromText, type Pattern } from '../patterns/pattern.js';
import { overlaps } from '../patterns/overlap.js';
import type { LockRecord } from './schema.js';
import { thisWriter, writerGone } from './writer.js';
import {
  GRANT_DEADLINE_MS,
  SETTLE_MS,
  conflict,
  conflictsWith,
  grantedChange,
  liveness,
  pendingRecord,
  refusal,
  renewedChange,
  ticketLess,
  view,
  type Conflict,
  type LockView,
} from './rules.js';
import { lockChanges, markOf, type Marks } from './tokens.js';
import { forGrant, readLocks, type Current } from './query.js';

/** A pattern of a request and what its ref holds now (null: nothing). */
interface Slot {
  pattern: Pattern;
  ref: string;
  current: Current | null;
}

/** How a request decides: see `acquire`. */
export interface Attempt {
  /** Write pending records before reading (assumes the refs do not exist yet). */
  optimistic: boolean;
  /** The ticket's time: a waiting request keeps the time of its first attempt, so it ages. */
  ticketAt?: number;
  /**
   * Other records' changes committed in the grant's own transaction (a task's claim): the locks
   * and these land together or not at all. If one of their refs moves meanwhile, the request is
   * withdrawn and AlongsideMoved thrown: the caller re-reads and decides again.
   */
  alongside?: RecordChange[];
}

/** All or nothing: every pattern is granted (or renewed, if already held by `me`), or none is. */
export async function acquire(ctx: Coord, me: string, pats: Pattern[], ttlMs: number | null, reason: string | undefined, attempt: Attempt): Promise<LockView[]> {
  // The read after the pending write also reads the token marks of the patterns' directories.
  const query = forGrant(pats);
  const alongside = attempt.alongside ?? [];
  const settleStart = performance.now();
  return rounds(async (round) => {
    const now = ctx.now();
    // First try optimistically: assume the patterns' refs do not exist yet (the common case)
    // and write pending records straight away; the read after that write decides. If a ref
    // exists (a renewal, a takeover, a holder of the same pattern) the swap fails and the
    // next round reads first. A renewal knows its refs exist and starts with the read.
    if (round === 0 && attempt.optimistic) {
      const slots = pats.map((p) => ({ pattern: p, ref: lockRef(p), current: null }));
      const result = await twoPhase(ctx, me, query, slots, [], ttlMs, reason, attempt.ticketAt, alongside);
      if (result !== 'retry') return won(result);
      if (await moved(ctx, alongside)) throw new AlongsideMoved();
      return lost({ pause: false });
    }
    const state = await readLocks(ctx, query, me);
    const slots: Slot[] = pats.map((p) => {
      const ref = lockRef(p);
      return { pattern: p, ref, current: state.byRef.get(ref) ?? null };
    });
    // A pending record on one of our own refs whose writer has exited (killed mid-lock) is
    // replaced by our own pending write: a swap from its exact value, so if it was granted
    // after all, the swap fails and we read again.
    const abandoned = new Set(
      slots.filter((s) => s.current?.record?.state === 'pending' && writerGone(s.current.record.writer)).map((s) => s.ref),
    );
    const found = conflictsWith(pats, state.records.filter((r) => !abandoned.has(r.ref)), me, now);
    const held = found.filter((c) => c.state === 'granted');
    if (held.length > 0) throw refusal(held);
    // Another live process of this same agent mid-grant on one of our refs: let it finish.
    const ownPending = slots.some(
      (s) => s.current?.record?.agent === me && !abandoned.has(s.ref) && liveness(s.current.record, now) === 'pending',
    );
    if (found.length > 0 || ownPending) {
      if (performance.now() - settleStart > SETTLE_MS) {
        if (found.length > 0) throw refusal(found);
        throw new RefusedError(`cannot lock: another git-coord process of ${me} is locking the same pattern right now; try again`, {
          kind: 'own-pending',
          patterns: slots.filter((s) => s.current?.record?.agent === me).map((s) => s.pattern.text),
        });
      }
      return lost();
    }
    const renewing = slots.filter((s) => s.current?.record?.agent === me && liveness(s.current.record, now) === 'granted');
    const creating = slots.filter((s) => !renewing.includes(s));
    const result = creating.length === 0
      ? await grant(ctx, me, [], renewing, ttlMs, reason, state.journal, state.marks, alongside)
      : await twoPhase(ctx, me, query, creating, renewing, ttlMs, reason, attempt.ticketAt, alongside);
    if (result === 'retry') {
      if (await moved(ctx, alongside)) throw new AlongsideMoved();
      return lost();
    }
    return won(result);
  });
}

/**
 * A request that waits: retries while refused, until granted or `waitMs` has passed (then the
 * last refusal). Every attempt carries the ticket time of the first: among requests racing for
 * the same paths, the one waiting longest wins. Retries read before they write, so a waiter
 * polling a held lock costs one read and never disturbs others' grants with pending records.
 * `pace`: the first pause and its cap (ms).
 */
export async function acquireWaiting(
  ctx: Coord,
  me: string,
  pats: Pattern[],
  ttlMs: number | null,
  reason: string | undefined,
  waitMs: number,
  pace: { base: number; cap: number },
): Promise<LockView[]> {
  const deadline = performance.now() + waitMs;
  const ticketAt = ctx.now();
  // Polls back off while the same locks stand in the way. When they change (someone else got
  // in between two polls: this waiter was passed over), polling starts fast again, so a long
  // waiter is not the slowest to notice the next release; when several notice it at once, the
  // oldest ticket wins.
  let backoff = 0;
  let blockers = '';
  for (let attempt = 0; ; attempt++) {
    try {
      return await acquire(ctx, me, pats, ttlMs, reason, { optimistic: attempt === 0, ticketAt });
    } catch (e) {
      const left = deadline - performance.now();
      if (!(e instanceof RefusedError) || left <= 0) throw e;
      const now = JSON.stringify((e.detail.conflicts as Conflict[] | undefined)?.map((c) => [c.agent, c.pattern, c.expiresAt]) ?? []);
      if (now !== blockers) [backoff, blockers] = [0, now];
      await sleep(Math.min(left, Math.min(pace.cap, pace.base * 1.5 ** backoff++) * (0.5 + Math.random())));
    }
  }
}

/**
 * A ticket's tie-breaker between requests of the same agent in the same millisecond: 48 random
 * bits. It orders, it guards nothing: Math.random (seeded per process) spares loading node:crypto.
 */
function nonce(): string {
  return Math.floor(Math.random() * 0x1000000000000).toString(16).padStart(12, '0');
}

/** Steps 1 and 2 (then 3, `grant`): 'retry' when the request was withdrawn and may try again. */
async function twoPhase(
  ctx: Coord,
  me: string,
  query: string[],
  creating: Slot[],
  renewing: Slot[],
  ttlMs: number | null,
  reason: string | undefined,
  ticketAt: number | undefined,
  alongside: RecordChange[],
): Promise<LockView[] | 'retry'> {
  const store = ctx.store;
  const now = ctx.now();
  const ticket = { at: ticketAt ?? now, nonce: nonce() };
  const writer = thisWriter();
  const pendingRecords = creating.map((s) => pendingRecord(me, s.pattern, s.current?.record ?? null, { ttlMs, reason, ticket, writer }, now));
  // Step 1: the pending records (not in the history: each is granted or withdrawn within
  // seconds), and our renewed refs verified unchanged, in one swap.
  let t0 = performance.now();
  const pending = await commitUnrecorded(
    store,
    me,
    creating.map((s, i) => ({
      ref: s.ref,
      oldOid: s.current?.oid ?? null,
      ...(s.current?.missing ? { fresh: true } : {}),
      record: pendingRecords[i]!,
      subject: `pending ${pendingRecords[i]!.pattern}`,
    })),
    now,
    {
      extra: renewing.map((s) => ({ ref: s.ref, newOid: s.current!.oid, oldOid: s.current!.oid })),
      transient: true,
      // Start the processes the read and the grant will need while the pending write is under
      // way (spawning costs main-thread time; here it overlaps the wait instead of preceding it).
      swapping: () => {
        t0 = performance.now();
        store.warm();
      },
    },
  );
  if (!pending.ok) return 'retry';
  const mine = creating.map((s, i) => ({ ...s, previous: s.current, current: { oid: pending.records[i]!, record: pendingRecords[i]! } }));
  // Withdrawing puts back what our pending records replaced (an expired lock keeps its token
  // that way) or deletes them; `still` limits it to the ones still ours, so one taken over
  // meanwhile does not make the whole (atomic) withdrawal fail.
  const withdraw = async (still: (ref: string) => boolean = () => true) => {
    const back = (s: (typeof mine)[number]) => (s.previous && !s.previous.missing ? s.previous.oid : null);
    await putBack(store, mine.filter((s) => still(s.ref)).map((s) => ({ ref: s.ref, from: s.current.oid, to: back(s) })));
  };
  // Step 2: read after our own write. Pending records of higher tickets seen at the first
  // read may have read before our write and be granted: wait for those to settle. One that
  // appears later was written after our write, so it reads ours and yields to our lower
  // ticket: waiting for it too would let a stream of newcomers hold us off for ever.
  let settling: Set<string> | null = null;
  let marks: Marks = new Map();
  let journal: string | null = null;
  const written = new Map(mine.map((s) => [s.current.oid, s.current.record]));
  for (let round = 0; ; round++) {
    const state = await readLocks(ctx, query, me, 'authority', written);
    journal = state.journal;
    marks = state.marks;
    const isOurs = (ref: string) => state.byRef.get(ref)?.oid === mine.find((m) => m.ref === ref)?.current.oid;
    if (mine.some((s) => !isOurs(s.ref))) {
      await withdraw(isOurs);
      return 'retry';
    }
    const nowR = ctx.now();
    const blocking: Conflict[] = [];
    const higher = new Set<string>();
    for (const s of state.records) {
      if (s.record.agent === me) continue;
      const live = liveness(s.record, nowR);
      if (!live) continue;
      const theirs = patternFromText(s.record.pattern);
      for (const m of mine) {
        if (!overlaps(m.pattern, theirs)) continue;
        if (live === 'granted' || ticketLess(s.record, m.current.record)) blocking.push(conflict(m.pattern.text, s.record, live));
        else higher.add(s.oid);
      }
    }
    settling ??= higher;
    const waitFor = [...higher].some((oid) => settling!.has(oid));
    if (blocking.length > 0) {
      await withdraw();
      // A granted lock is a refusal; a lower-ticket pending one may still be withdrawn: retry.
      if (blocking.some((c) => c.state === 'granted')) throw refusal(blocking.filter((c) => c.state === 'granted'));
      return 'retry';
    }
    if (!waitFor) break;
    if (performance.now() - t0 > GRANT_DEADLINE_MS / 2) {
      await withdraw();
      return 'retry';
    }
    await sleep(jitter(round));
  }
  if (performance.now() - t0 > GRANT_DEADLINE_MS) {
    await withdraw();
    return 'retry';
  }
  const result = await grant(ctx, me, mine, renewing, ttlMs, reason, journal, marks, alongside);
  if (result === 'retry') await withdraw();
  return result;
}

/** Step 3 (and plain renewal): pending → granted, held → renewed, with the journal entries. */
async function grant(
  ctx: Coord,
  me: string,
  pending: { ref: string; current: { oid: string; record: LockRecord } }[],
  renewing: Slot[],
  ttlMs: number | null,
  reason: string | undefined,
  journal: string | null,
  marks: Marks,
  alongside: RecordChange[] = [],
): Promise<LockView[] | 'retry'> {
  // A lost swap whose lock refs are still as we left them lost only to another process of this
  // agent (its journal moved): try again at once, a few times.
  return rounds<LockView[] | 'retry'>(
    async () => {
      const now = ctx.now();
      const changes = [
        ...pending.map((s) => grantedChange(me, { ref: s.ref, oid: s.current.oid }, s.current.record, ttlMs, markOf(marks, s.current.record.pattern).max, now)),
        ...renewing.map((s) => renewedChange(me, { ref: s.ref, oid: s.current!.oid }, s.current!.record!, ttlMs, reason, now)),
      ];
      if ((await commitWithJournal(ctx.store, me, [...lockChanges(changes, marks, me), ...alongside], journal, now)).ok) return won(changes.map((c) => view(c.rec)));
      // Otherwise someone else changed a lock under us, or a record committed alongside.
      const state = await readLocks(ctx, changes.map((c) => c.slot.ref), me);
      if (changes.some((c) => state.byRef.get(c.slot.ref)?.oid !== c.slot.oid)) return won('retry');
      if (await moved(ctx, alongside)) return won('retry');
      journal = state.journal;
      return lost({ pause: false });
    },
    { max: 5, exhausted: () => 'retry' },
  );
}

/** Whether any `alongside` record's ref no longer holds the value its change expects. */
async function moved(ctx: Coord, alongside: RecordChange[]): Promise<boolean> {
  if (alongside.length === 0) return false;
  const now = new Map((await ctx.store.entries(alongside.map((c) => c.ref))).map((e) => [e.ref, e.oid]));
  return alongside.some((c) => (now.get(c.ref) ?? null) !== c.oldOid);
}
