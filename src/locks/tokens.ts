/**
 * Token marks: the highest fencing token released in a directory, one mark per directory and
 * releasing agent (store/layout.ts, tokenRef). A released lock's ref is deleted; in the same swap
 * the releasing agent's own mark in its directory rises to its token. A grant reads every mark of
 * its directory after its pending write and takes a token above the highest.
 *
 * Why the token still rises strictly for every grant of a pattern P (the marks of P's directory
 * D are `D/t-<agent>` for each releasing agent, and the old shared `D/t`):
 *   - A grant g2 that follows a grant g1 of P either replaces g1's record on P's ref (a takeover
 *     of an expired lock, or a renewal: the pending record's token is g1's + 1, rules.ts) or
 *     creates P's ref after g1's ref was deleted by a release (unlock, expiry, a claim's end).
 *   - That release deleted P's ref and raised the releaser's own mark in D to at least g1's
 *     token in one atomic swap. Each agent's mark only rises (raisedMarks writes it only when
 *     above what was read, and its swap is leased on what was read).
 *   - g2's pending write created P's ref, so it landed after that release; g2's read of D's
 *     marks comes after its pending write, so it sees the releaser's mark at g1's token or
 *     above, and g2's token is above every mark it read (rules.ts, grantedChange).
 *   - `prune` deletes a mark only when its token is older than the allowed clock skew
 *     (`tokens.skew`): every later pending record takes a token at least its writer's clock
 *     (rules.ts, pendingRecord), which is then above the deleted mark.
 * Different agents write different marks, so releases by different agents in one directory
 * never make each other's swaps fail; two processes of one agent still may, and retry.
 */
import { LOCKS, TOKENS, tokenDir, tokenRef } from '../store/layout.js';
import type { RecordChange } from '../store/journal.js';
import { patternFromText } from '../patterns/pattern.js';
import type { TokenMark } from './schema.js';
import { recorded, type Change } from './rules.js';

/** A token mark as read: its commit (null: none yet) and the highest token released there. */
export interface Mark {
  oid: string | null;
  max: number;
  /** An unreadable mark whose object is missing: replaced, not built on. */
  missing?: true;
}

/** Token marks as read, by ref. */
export type Marks = Map<string, Mark>;

/** Whether `ref` is a token mark of the directory `dir` (its own `t-<agent>` marks or the old `t`). */
function inDir(ref: string, dir: string): boolean {
  if (!ref.startsWith(dir)) return false;
  const leaf = ref.slice(dir.length);
  return leaf === 't' || (leaf.startsWith('t-') && !leaf.includes('/'));
}

/** The highest token released in `pattern`'s directory, over every agent's mark read (none: 0). */
export function markOf(marks: Marks, pattern: string): { max: number } {
  const dir = tokenDir(patternFromText(pattern));
  let max = 0;
  for (const [ref, m] of marks) if (inDir(ref, dir)) max = Math.max(max, m.max);
  return { max };
}

/**
 * The token marks that removing `changes` raises: `me`'s own mark in each directory where a
 * removed lock's token is above what that mark holds (no journal entry).
 */
export function raisedMarks(changes: Change[], marks: Marks, me: string): RecordChange[] {
  const highest = new Map<string, number>();
  for (const c of changes) {
    if (!c.remove) continue;
    const ref = tokenRef(patternFromText(c.rec.pattern), me);
    highest.set(ref, Math.max(highest.get(ref) ?? 0, c.rec.token));
  }
  const out: RecordChange[] = [];
  for (const [ref, max] of highest) {
    const cur = marks.get(ref) ?? { oid: null, max: 0 };
    if (max <= cur.max) continue;
    const mark: TokenMark = { v: 1, type: 'tokens', max };
    out.push({ ref, oldOid: cur.oid, ...(cur.missing ? { fresh: true } : {}), record: mark, subject: `tokens ${max}`, event: [] });
  }
  return out;
}

/**
 * Lock changes as `me` commits them: each with its journal entry, and the token marks their
 * removals raise. A change marked `remove` records its final state in the journal and deletes its
 * ref: the live set shrinks, the history stays reachable from the journal.
 */
export function lockChanges(changes: Change[], marks: Marks, me: string): RecordChange[] {
  return [...changes.map(recorded), ...raisedMarks(changes, marks, me)];
}

/**
 * How far apart agents' clocks may be. A token mark whose token is older than this (every token
 * is at least its grant's clock, rules.ts) protects nothing any more: a new grant's token is
 * already above it. `prune` removes such marks where no lock ref stands in their directory.
 */
export const ALLOWED_SKEW_MS = 3_600_000;

/** The token marks `prune` may delete: older than the allowed skew, no lock ref in or below their directory. */
export function staleMarks(marks: Marks, lockRefs: Iterable<string>, now: number): { ref: string; oid: string }[] {
  // A lock ref lives under its directory's anchor (a file's: one level deeper): any lock ref
  // below a mark's directory keeps the mark.
  const locks = [...lockRefs];
  const out: { ref: string; oid: string }[] = [];
  for (const [ref, m] of marks) {
    const dir = LOCKS + ref.slice(TOKENS.length, ref.lastIndexOf('/') + 1);
    if (m.oid === null || locks.some((l) => l.startsWith(dir))) continue;
    if (m.missing || m.max < now - ALLOWED_SKEW_MS) out.push({ ref, oid: m.oid });
  }
  return out.sort((a, b) => a.ref.localeCompare(b.ref));
}
