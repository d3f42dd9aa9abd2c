/**
 * Releasing locks: `unlock` (one's own, or with force another agent's, recorded with the reason),
 * `prune` (dead records), and `releasing` (the changes a caller commits with its own: ending a
 * claim releases the locks taken with it). Each release deletes the lock's ref and raises its
 * directory's token mark in the same swap.
 */
import { RefusedError, UsageError } from '../errors.js';
import { printable } from '../printable.js';
import { lockRef } from '../store/layout.js';
import type { RecordChange } from '../store/journal.js';
import { answer, cas, commit } from '../store/cas.js';
import type { Corrupt } from '../store/records.js';
import type { Coord } from '../session/coord.js';
import { patternFromText, type Pattern } from '../patterns/pattern.js';
import type { LockRecord } from './schema.js';
import { writerGone } from './writer.js';
import { expiredChange, liveness, releasedChange, view, type Change, type LockView } from './rules.js';
import { lockChanges, staleMarks } from './tokens.js';
import { EVERYTHING, exact, readLocks } from './query.js';

export interface UnlockOptions {
  /** Every lock of this agent (then no patterns). */
  all?: boolean;
  /** Another agent's lock too (needs `reason`, which the history records). */
  force?: boolean;
  reason?: string;
}

/** Why a pattern asked to be unlocked cannot be: nobody holds it, or another agent does. */
export interface NotHeld {
  pattern: string;
  /** The other agent holding it; null: nobody. */
  agent: string | null;
  reason: string | null;
}

/** The neutral checks of an unlock's arguments (a face may check its own flags first). */
export function checkUnlock(patterns: number, opts: UnlockOptions): void {
  if (opts.all && patterns > 0) throw new UsageError('give patterns or ask for all locks, not both', { kind: 'patterns-and-all' });
  if (opts.all && opts.force) throw new UsageError('a forced unlock breaks the locks it names: name their patterns rather than all', { kind: 'force-with-all' });
  if (opts.force && !opts.reason) throw new UsageError('a forced unlock needs a reason: the history records why a lock was broken', { kind: 'force-needs-reason' });
}

/**
 * Releases locks: `me`'s own (`pats`, or every one with null), or with `force` another agent's
 * (the history records who broke it and why). All or nothing.
 */
export async function unlock(ctx: Coord, me: string, pats: Pattern[] | null, opts: UnlockOptions): Promise<LockView[]> {
  return cas(ctx.store, me, async () => {
    const now = ctx.now();
    const state = await readLocks(ctx, pats ? exact(pats) : EVERYTHING, me);
    const changes: Change[] = [];
    if (pats) {
      const notHeld: NotHeld[] = [];
      for (const p of pats) {
        const cur = state.byRef.get(lockRef(p));
        const rec = cur?.record;
        const live = rec ? liveness(rec, now) : null;
        if (!cur || !rec || rec.state === 'released' || (rec.agent !== me && !live)) notHeld.push({ pattern: p.text, agent: null, reason: null });
        else if (rec.agent !== me && !opts.force) notHeld.push({ pattern: p.text, agent: rec.agent, reason: rec.reason });
        else changes.push(releasedChange(me, { ref: lockRef(p), oid: cur.oid }, rec, now, opts.reason));
      }
      if (notHeld.length > 0) throw notHeldRefusal(notHeld);
    } else {
      for (const r of state.records) if (r.record.agent === me && r.record.state !== 'released') changes.push(releasedChange(me, r, r.record, now));
      if (changes.length === 0) return answer([]);
    }
    return commit(lockChanges(changes, state.marks, me), state.journal, now, changes.map((c) => view(c.rec)));
  });
}

function notHeldRefusal(notHeld: NotHeld[]): RefusedError {
  const lines = notHeld.map((n) =>
    n.agent === null
      ? `  ${printable(n.pattern)}: not locked`
      : `  ${printable(n.pattern)}: held by ${n.agent}${n.reason ? ` (${printable(n.reason)})` : ''}`,
  );
  return new RefusedError(`cannot unlock: not held by you\n${lines.join('\n')}`, { kind: 'not-held', notHeld });
}

/**
 * Removes dead records: locks past their lease and pending records their writer abandoned
 * (timed out, or its process is known to have exited). Each is an ordinary compare-and-swap
 * delete (a lock renewed or taken over meanwhile makes it retry), recorded in `me`'s history
 * as `expire`. Refs naming a missing object hold nothing: they are deleted too, with a warning.
 * Token marks no longer needed (staleMarks) are deleted in the same swap. Keeps the set of live
 * refs small.
 */
export async function prune(ctx: Coord, me: string, budget = Infinity): Promise<{ removed: LockView[]; tokens: string[] }> {
  const { removed, broken, tokens } = await cas(ctx.store, me, async () => {
    const now = ctx.now();
    const state = await readLocks(ctx, EVERYTHING, me);
    const dead = (r: LockRecord) => r.state !== 'released' && (liveness(r, now) === null || (r.state === 'pending' && writerGone(r.writer)));
    const broken: Corrupt[] = state.corrupt.filter((c) => c.missing).slice(0, budget);
    const changes = state.records.filter((r) => dead(r.record)).slice(0, budget).map((r) => expiredChange(me, r, r.record, now));
    // Token marks nobody needs: no lock ref left in their directory (after this prune) and a
    // token older than the allowed clock skew (tokens.ts has why that is safe).
    const left = [...state.byRef.keys()].filter((ref) => !changes.some((c) => c.slot.ref === ref) && !broken.some((b) => b.ref === ref));
    // The marks this prune raises are written, not deleted: leave those directories' marks alone.
    const raising = new Set(changes.map((c) => c.slot.ref));
    const stale = staleMarks(state.marks, [...left, ...raising], now).slice(0, budget);
    if (changes.length === 0 && broken.length === 0 && stale.length === 0) return answer({ removed: [] as LockView[], broken: [] as Corrupt[], tokens: [] as string[] });
    const deletions = [
      ...broken.map((c) => ({ ref: c.ref, newOid: null, oldOid: c.oid })),
      ...stale.map((m) => ({ ref: m.ref, newOid: null, oldOid: m.oid })),
    ];
    return commit(lockChanges(changes, state.marks, me), state.journal, now, { removed: changes.map((c) => view(c.rec)), broken, tokens: stale.map((m) => m.ref) }, deletions);
  });
  for (const c of broken) ctx.warn(`removed ${c.ref}: it named ${c.oid.slice(0, 10)}, which is missing from the repository or is not a commit`);
  return { removed, tokens };
}

/**
 * The changes that release `patterns` where `holder` still holds them (granted, expired or
 * not), for a caller that commits them with its own changes: ending a claim releases the
 * locks taken with it. Patterns no longer the holder's (broken, taken over) are left alone.
 * The token marks of their directories rise with them, as for any release.
 */
export async function releasing(ctx: Coord, me: string, patterns: string[], holder: string, reason?: string): Promise<RecordChange[]> {
  if (patterns.length === 0) return [];
  const state = await readLocks(ctx, exact(patterns.map(patternFromText)), null);
  const now = ctx.now();
  const changes = state.records
    .filter((r) => r.record.agent === holder && r.record.state === 'granted')
    .map((r) => releasedChange(me, r, r.record, now, reason));
  return lockChanges(changes, state.marks, me);
}
