/**
 * Token marks: the highest fencing token released in a directory (store/layout.ts, tokenRef).
 * A released lock's ref is deleted; its directory's mark rises to its token in the same swap, so
 * the next grant of the same pattern is above it whatever the clocks say.
 */
import { tokenRef } from '../store/layout.js';
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

export type Marks = Map<string, Mark>;

/** The mark for `pattern` as read (none yet: max 0). */
export function markOf(marks: Marks, pattern: string): Mark {
  return marks.get(tokenRef(patternFromText(pattern))) ?? { oid: null, max: 0 };
}

/** The token marks that removing `changes` raises: one new mark record per directory (no journal entry). */
export function raisedMarks(changes: Change[], marks: Marks): RecordChange[] {
  const highest = new Map<string, number>();
  for (const c of changes) {
    if (!c.remove) continue;
    const ref = tokenRef(patternFromText(c.rec.pattern));
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
 * Lock changes as the store commits them: each with its journal entry, and the token marks their
 * removals raise. A change marked `remove` records its final state in the journal and deletes its
 * ref: the live set shrinks, the history stays reachable from the journal.
 */
export function lockChanges(changes: Change[], marks: Marks): RecordChange[] {
  return [...changes.map(recorded), ...raisedMarks(changes, marks)];
}
