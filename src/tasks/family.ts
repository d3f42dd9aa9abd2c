/**
 * Parents and children. A child names its parent (`parent`), and the parent lists its children
 * (`children`), so that finishing a parent can look each child up by name instead of scanning
 * every shelf. The rule: a parent cannot be done while a child is not done or failed.
 *
 * Why it holds under races (docs/design.md, "Parents"): adding a child rewrites the parent's
 * record (its `children`) in the same swap that creates the child, and `task done` of a parent
 * rewrites (moves) that same record; so of a child being added and its parent being done, one
 * swap fails and decides again on what the other wrote. Done also verifies, in its swap, the
 * ref each child was read on (done or failed); a reopen of a child verifies its parent's ref and
 * is refused while the parent is done. So no sequence of swaps leaves a done parent with a child
 * that is open or claimed.
 */
import { RefusedError, UsageError } from '../errors.js';
import { printable } from '../printable.js';
import { iso } from '../time.js';
import type { RecordChange } from '../store/journal.js';
import type { RefUpdate } from '../store/records.js';
import type { TaskRecord } from './schema.js';
import { MAX_CHILDREN } from './checks.js';
import { everyShelf, notFound, taskChange, type Held } from './records.js';

/** The parent's change that names a new child (no history entry of its own: the child's `add` has it). */
export function adoptChange(parent: Held, childIds: string[], now: number): RecordChange {
  const rec = parent.record;
  const next: TaskRecord = { ...rec, children: [...(rec.children ?? []), ...childIds], updatedAt: iso(now) };
  const change = taskChange(parent, next, 'child');
  delete change.event;
  return change;
}

/** The parent a new child may join: it exists, is not done, and has room. */
export function checkParent(parent: Held | undefined, id: string, adding = 1): Held {
  if (!parent) throw new UsageError(`no task ${printable(id)}: a parent must exist`, { kind: 'no-task', tasks: [id] });
  const rec = parent.record;
  if (rec.status === 'done') {
    throw new RefusedError(`cannot add a child to ${printable(id)}: it is done`, { kind: 'parent-done', task: id, parent: id, action: 'add' });
  }
  const n = (rec.children ?? []).length;
  if (n + adding > MAX_CHILDREN) {
    throw new RefusedError(`cannot add a child to ${printable(id)}: it has ${n} children (at most ${MAX_CHILDREN})`, { kind: 'too-many-children', task: id, children: n, max: MAX_CHILDREN });
  }
  return parent;
}

/**
 * Of the parents being done (`ids`), the children that stand in the way: neither done nor failed
 * nor being done in the same step. `lookup` finds a child's record as read (undefined: not read,
 * taken as not there). Also returns the refs the swap verifies: each child's ref as read.
 */
export function childrenCheck(parents: Held[], lookup: (id: string) => Held | undefined, finishing: Set<string>): { open: { parent: string; children: string[] }[]; verify: RefUpdate[] } {
  const open: { parent: string; children: string[] }[] = [];
  const verify: RefUpdate[] = [];
  for (const p of parents) {
    const blocking: string[] = [];
    for (const c of p.record.children ?? []) {
      const held = lookup(c);
      if (finishing.has(c)) continue;
      if (!held) {
        // Not on any shelf read: gone (archived, or a record deleted by hand), or moving between
        // shelves while they were read (a read of several refs is not one instant). Verified
        // absent from every shelf, so a child that was moving fails the swap and is read again.
        verify.push(...everyShelf(c).map((ref) => ({ ref, newOid: null, oldOid: null })));
        continue;
      }
      if (held.record.status === 'done' || held.record.status === 'failed') verify.push({ ref: held.ref, newOid: held.oid, oldOid: held.oid });
      else blocking.push(c);
    }
    if (blocking.length > 0) open.push({ parent: p.record.id, children: blocking });
  }
  return { open, verify };
}

/**
 * Parents with children neither done nor failed: the first parent as `task` and its `children`,
 * and every such parent in `open` (a `task done` of several may meet more than one).
 */
export function openChildrenRefusal(open: { parent: string; children: string[] }[]): RefusedError {
  const text = open.map((o) => `${printable(o.parent)} has children not done or failed: ${o.children.map(printable).join(', ')}`).join('; ');
  return new RefusedError(`cannot finish: ${text}`, { kind: 'open-children', task: open[0]!.parent, children: open[0]!.children, open, action: 'done' });
}

/**
 * A reopen of a child whose parent is done is refused. Otherwise the parent's record is rewritten
 * in the reopen's swap (its `updatedAt`), so that a reopen and the parent's done, which rewrites
 * that record too, conflict on one ref wherever the swap is decided (a remote checks the refs a
 * push changes; a value pushed unchanged it may not check at all).
 */
export function reopenCheck(child: TaskRecord, parent: Held | undefined, now: number): { changes: RecordChange[]; verify: RefUpdate[] } {
  if (!child.parent) return { changes: [], verify: [] };
  // A parent on no shelf read is gone, or was moving while read: verified absent everywhere.
  if (!parent) return { changes: [], verify: everyShelf(child.parent).map((ref) => ({ ref, newOid: null, oldOid: null })) };
  if (parent.record.status === 'done') {
    throw new RefusedError(`cannot reopen ${printable(child.id)}: its parent ${printable(parent.record.id)} is done`, { kind: 'parent-done', task: child.id, parent: parent.record.id, action: 'reopen' });
  }
  const change = taskChange(parent, { ...parent.record, updatedAt: iso(now) }, 'child');
  delete change.event;
  return { changes: [change], verify: [] };
}

export { notFound };
