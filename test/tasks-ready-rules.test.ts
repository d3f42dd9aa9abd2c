/** The ready index's pure rules (src/tasks/ready.ts) and how taskChange moves its mirror, without git. */
import { describe, expect, it } from 'vitest';
import { READY, READY_MARKER, queueRef, readyRef, taskRef } from '../src/store/layout.js';
import { taskChange, type Held, type Snapshot } from '../src/tasks/records.js';
import { allDone, dependents, indexListing, notDone, refsIn, touchChanges, unblockChange } from '../src/tasks/ready.js';
import type { TaskRecord } from '../src/tasks/schema.js';

const NOW = Date.parse('2026-01-01T12:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

function task(id: string, over: Partial<TaskRecord> = {}): TaskRecord {
  return {
    v: 1, type: 'task', id, title: id, body: '', priority: 2, labels: [], dependsOn: [], status: 'open',
    createdAt: iso(NOW - 60_000), createdBy: 'a', claimedBy: null, claimedAt: null, claimExpiresAt: null, claimTtlMs: null,
    locks: [], note: null, reason: null, updatedAt: iso(NOW), event: { action: 'add', by: 'a', at: iso(NOW) }, ...over,
  };
}

function held(rec: TaskRecord, oid = `oid-${rec.id}`): Held {
  const shelf = rec.status === 'done' ? 'done' : rec.status === 'failed' ? 'failed' : 'open';
  return { ref: taskRef(shelf, rec.id), oid, shelf, record: rec };
}

function board(...hs: Held[]): Snapshot {
  const tasks = new Map(hs.map((h) => [h.record.id, h]));
  return { tasks, journal: null, others: [], isDone: (id) => tasks.get(id)?.record.status === 'done' || !tasks.has(id), unreadable: new Map(), indexed: true };
}

describe('the flag', () => {
  it('allDone: every dependency done (none: true); notDone: those read on the open or failed shelf', () => {
    const isDone = (id: string) => id === 'd';
    expect(allDone([], isDone)).toBe(true);
    expect(allDone(['d'], isDone)).toBe(true);
    expect(allDone(['d', 'x'], isDone)).toBe(false);
    const read = new Map([['o', held(task('o'))], ['f', held(task('f', { status: 'failed', reason: 'r' }))], ['d', held(task('d', { status: 'done' }))]]);
    expect(notDone(['o', 'f', 'd', 'gone'], (id) => read.get(id)).map((h) => h.record.id)).toEqual(['o', 'f']);
  });
});

describe('taskChange and the ready mirror', () => {
  const names = (c: ReturnType<typeof taskChange>) => (c.mirrors ?? []).map((m) => [m.ref, m.oldOid, m.remove ?? false]);

  it('a new unblocked task enters the queue and the index; a blocked one the queue only', () => {
    const r = task('a', { unblocked: true });
    expect(names(taskChange(null, r, 'add'))).toEqual([[queueRef(r), null, false], [readyRef(r), null, false]]);
    const b = task('b', { unblocked: false, dependsOn: ['a'] });
    expect(names(taskChange(null, b, 'add'))).toEqual([[queueRef(b), null, false]]);
    // A record from before the index (no flag) is not in it.
    expect(names(taskChange(null, task('c'), 'add'))).toEqual([[queueRef(task('c')), null, false]]);
  });

  it('follows a claim, is renamed with the priority, is created when unblocked, and leaves with the open shelf', () => {
    const r = task('a', { unblocked: true });
    const h = held(r);
    expect(names(taskChange(h, { ...r, status: 'claimed', claimedBy: 'x' }, 'claim'))).toEqual([[queueRef(r), h.oid, false], [readyRef(r), h.oid, false]]);
    const p0 = { ...r, priority: 0 };
    expect(names(taskChange(h, p0, 'edit'))).toEqual([[queueRef(r), h.oid, true], [queueRef(p0), null, false], [readyRef(r), h.oid, true], [readyRef(p0), null, false]]);
    expect(names(taskChange(h, { ...r, status: 'done' }, 'done'))).toEqual([[queueRef(r), h.oid, true], [readyRef(r), h.oid, true]]);
    const blocked = held(task('b', { unblocked: false }));
    expect(names(unblockChange(blocked))).toEqual([[queueRef(blocked.record), blocked.oid, false], [readyRef(blocked.record), null, false]]);
    // Reopened with its dependencies done: back in the index.
    const d = held(task('d', { status: 'done', unblocked: true }));
    expect(names(taskChange(d, { ...d.record, status: 'open' }, 'reopen'))).toEqual([[queueRef(d.record), null, false], [readyRef(d.record), null, false]]);
    expect(readyRef(r)).toBe(READY + queueRef(r).split('/').pop());
  });
});

describe('rewrites of what a dependent waits for', () => {
  it('touchChanges rewrites each not-done dependency once, unchanged and without a history entry, skipping refs the swap has already', () => {
    const a = held(task('a'));
    const b = held(task('b', { status: 'failed', reason: 'r' }));
    const c = held(task('c'));
    const own = taskChange(c, { ...c.record, title: 'new' }, 'edit');
    const touched = touchChanges([a, b, a, c], [own], [{ ref: 'refs/x', oldOid: null, newOid: null }]);
    expect(touched.map((t) => [t.ref, t.oldOid, t.event, t.subject])).toEqual([
      [a.ref, a.oid, undefined, 'dependent of a'],
      [b.ref, b.oid, undefined, 'dependent of b'],
    ]);
    expect(touched[0]!.record).toEqual(a.record);
    expect(refsIn([own], [{ ref: 'refs/x', oldOid: null, newOid: null }])).toEqual(new Set([c.ref, 'refs/x']));
  });

  it('dependents: unblocks those whose every dependency is done after; verifies what still blocks the others', () => {
    const a = held(task('a'));
    const b = held(task('b'));
    const f = held(task('f', { status: 'failed', reason: 'r' }));
    const onlyA = held(task('d1', { dependsOn: ['a'], unblocked: false }));
    const aAndB = held(task('d2', { dependsOn: ['a', 'b'], unblocked: false }));
    const aAndF = held(task('d3', { dependsOn: ['a', 'f'], unblocked: false }));
    const already = held(task('d4', { dependsOn: ['a'], unblocked: true }));
    const other = held(task('d5', { dependsOn: ['b'], unblocked: false }));
    const failedDep = held(task('d6', { dependsOn: ['a'], status: 'failed', reason: 'r' }));
    const snap = board(a, b, f, onlyA, aAndB, aAndF, already, other, failedDep);
    const finishing = new Set(['a']);
    const after = (id: string) => finishing.has(id) || snap.isDone(id);
    const r = dependents(snap, finishing, after, []);
    expect(r.unblock.map((h) => h.record.id)).toEqual(['d1']);
    expect(r.verify).toEqual([
      { ref: b.ref, oldOid: b.oid, newOid: b.oid },
      { ref: f.ref, oldOid: f.oid, newOid: f.oid },
    ]);
    // Finishing a and b together: d2 unblocked too, nothing of b verified; a blocker being unblocked is not verified.
    const both = new Set(['a', 'b']);
    const r2 = dependents(snap, both, (id) => both.has(id) || snap.isDone(id), []);
    expect(r2.unblock.map((h) => h.record.id).sort()).toEqual(['d1', 'd2', 'd5']);
    expect(r2.verify).toEqual([{ ref: f.ref, oldOid: f.oid, newOid: f.oid }]);
    const x = held(task('x', { dependsOn: ['a'], unblocked: false }));
    const y = held(task('y', { dependsOn: ['a', 'x'], unblocked: false }));
    const r3 = dependents(board(a, x, y), finishing, (id) => finishing.has(id), []);
    expect(r3.unblock.map((h) => h.record.id)).toEqual(['x']);
    expect(r3.verify).toEqual([]);
  });
});

describe('reading the index', () => {
  it('no marker: null (read the whole board); else the entries, most urgent first, without the marker', () => {
    const e = (ref: string) => ({ ref, oid: 'o' });
    expect(indexListing([e(`${READY}2-1-a`), e('refs/coordination/journal/me')])).toBeNull();
    expect(indexListing([e(`${READY}2-1-a`), e(READY_MARKER), e(`${READY}0-5-b`), e('refs/coordination/journal/me')])!.map((n) => n.ref)).toEqual([`${READY}0-5-b`, `${READY}2-1-a`]);
  });
});
