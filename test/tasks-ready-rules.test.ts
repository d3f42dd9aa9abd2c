/** The ready index's pure rules (src/tasks/ready.ts) and how taskChange moves its mirror, without git. */
import { describe, expect, it } from 'vitest';
import { READY, READY_MARKER, archiveRef, queueRef, readyRef, taskRef } from '../src/store/layout.js';
import { taskChange, type Held, type Snapshot } from '../src/tasks/records.js';
import { allDone, dependents, indexListing, notDone, refsIn, touches, unblockChange } from '../src/tasks/ready.js';
import type { TaskRecord } from '../src/tasks/schema.js';
import type { Coord } from '../src/session/coord.js';
import { mergeUpdates } from '../src/tasks/archive.js';

import { NOW, iso, task } from './task-records.js';

function held(rec: TaskRecord, oid = `oid-${rec.id}`): Held {
  const shelf = rec.status === 'done' ? 'done' : rec.status === 'failed' ? 'failed' : 'open';
  return { ref: taskRef(shelf, rec.id), oid, shelf, record: rec };
}

/** A finished task as found in `agent`'s archive at tip `tip` (tasks/archive.ts). */
function archived(rec: TaskRecord, agent = 'bob', tip = `tip-${agent}`): Held {
  return { ref: archiveRef(agent), oid: tip, shelf: rec.status === 'done' ? 'done' : 'failed', record: rec, archived: true };
}

/**
 * A board as readBoard reads it: the shelves read (`hs`), and the dependencies of its open tasks
 * looked up in the archives (`found`); doneness is the archive's: a task found nowhere is not done.
 */
function board(hs: Held[], found: Held[] = []): Snapshot {
  const tasks = new Map(hs.map((h) => [h.record.id, h]));
  const more = new Map(found.map((h) => [h.record.id, h]));
  const isDone = (id: string) => (tasks.get(id) ?? more.get(id))?.record.status === 'done';
  return { tasks, journal: null, others: [], isDone, unreadable: new Map(), indexed: true, ctx: null as unknown as Coord, found: more };
}

describe('the flag', () => {
  it('allDone: every dependency done (none: true); notDone: those read open or failed (a shelf or an archive)', () => {
    const isDone = (id: string) => id === 'd';
    expect(allDone([], isDone)).toBe(true);
    expect(allDone(['d'], isDone)).toBe(true);
    expect(allDone(['d', 'x'], isDone)).toBe(false);
    const read = new Map([['o', held(task('o'))], ['f', held(task('f', { status: 'failed', reason: 'r' }))], ['d', held(task('d', { status: 'done' }))]]);
    expect(notDone(['o', 'f', 'd', 'gone'], (id) => read.get(id)).map((h) => h.record.id)).toEqual(['o', 'f']);
    read.set('af', archived(task('af', { status: 'failed', reason: 'r' })));
    read.set('ad', archived(task('ad', { status: 'done' })));
    expect(notDone(['af', 'ad'], (id) => read.get(id)).map((h) => h.record.id)).toEqual(['af']);
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
    // Reopened with its dependencies done: back in the index (from an old done shelf, or out of an archive).
    const d = held(task('d', { status: 'done', unblocked: true }));
    expect(names(taskChange(d, { ...d.record, status: 'open' }, 'reopen'))).toEqual([[queueRef(d.record), null, false], [readyRef(d.record), null, false]]);
    const fromArchive = taskChange(archived(d.record), { ...d.record, status: 'open' }, 'reopen');
    expect([fromArchive.ref, fromArchive.oldOid, fromArchive.movedFrom]).toEqual([taskRef('open', 'd'), null, undefined]);
    expect(names(fromArchive)).toEqual([[queueRef(d.record), null, false], [readyRef(d.record), null, false]]);
    // Done: the open ref deleted (the record goes to the archive), the queue and index names with it.
    const done = taskChange(h, { ...r, status: 'done' }, 'done');
    expect([done.ref, done.oldOid, done.remove]).toEqual([h.ref, h.oid, true]);
    expect(readyRef(r)).toBe(READY + queueRef(r).split('/').pop());
  });
});

describe('rewrites of what a dependent waits for', () => {
  it('touches rewrites each not-done dependency on a shelf once, unchanged and without a history entry, verifies the archive of each archived one, skipping refs the swap has already', () => {
    const a = held(task('a'));
    const b = held(task('b', { status: 'failed', reason: 'r' }));
    const c = held(task('c'));
    const g = archived(task('g', { status: 'failed', reason: 'r' }));
    const h = archived(task('h', { status: 'failed', reason: 'r' }));
    const own = taskChange(c, { ...c.record, title: 'new' }, 'edit');
    const touched = touches([a, b, g, a, c, h], [own], [{ ref: 'refs/x', oldOid: null, newOid: null }]);
    expect(touched.changes.map((t) => [t.ref, t.oldOid, t.event, t.subject])).toEqual([
      [a.ref, a.oid, undefined, 'dependent of a'],
      [b.ref, b.oid, undefined, 'dependent of b'],
    ]);
    expect(touched.changes[0]!.record).toEqual(a.record);
    // Two failed tasks of one archive: its tip verified once (no archive is written).
    expect(touched.verify).toEqual([{ ref: archiveRef('bob'), oldOid: 'tip-bob', newOid: 'tip-bob' }]);
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
    const snap = board([a, b, f, onlyA, aAndB, aAndF, already, other, failedDep]);
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
    const r3 = dependents(board([a, x, y]), finishing, (id) => finishing.has(id), []);
    expect(r3.unblock.map((h) => h.record.id)).toEqual(['x']);
    expect(r3.verify).toEqual([]);
  });

  it('dependents, with the archive: a dependency found done there counts; one found failed there is verified at its archive tip; one found nowhere blocks', () => {
    const a = held(task('a'));
    const doneElsewhere = archived(task('z', { status: 'done' }), 'carol', 'tip-carol');
    const failedElsewhere = archived(task('f', { status: 'failed', reason: 'r' }));
    const withZ = held(task('d1', { dependsOn: ['a', 'z'], unblocked: false }));
    const withF = held(task('d2', { dependsOn: ['a', 'f'], unblocked: false }));
    const withGone = held(task('d3', { dependsOn: ['a', 'gone'], unblocked: false }));
    const snap = board([a, withZ, withF, withGone], [doneElsewhere, failedElsewhere]);
    const finishing = new Set(['a']);
    const r = dependents(snap, finishing, (id) => finishing.has(id) || snap.isDone(id), []);
    expect(r.unblock.map((h) => h.record.id)).toEqual(['d1']);
    expect(r.verify).toEqual([{ ref: archiveRef('bob'), oldOid: 'tip-bob', newOid: 'tip-bob' }]);
  });
});

describe('verifications in one swap (archive.ts mergeUpdates)', () => {
  it('one archive verified twice at one tip: kept once; at two tips (two reads): read again; against its own update: dropped, or read again', () => {
    const v = (oid: string) => ({ ref: archiveRef('bob'), oldOid: oid, newOid: oid });
    expect(mergeUpdates([v('t1'), v('t1')], [])).toEqual([v('t1')]);
    expect(mergeUpdates([v('t1'), v('t2')], [])).toBeNull();
    const up = { ref: archiveRef('bob'), oldOid: 't1', newOid: 't3' };
    expect(mergeUpdates([v('t1')], [up])).toEqual([up]);
    expect(mergeUpdates([v('t2')], [up])).toBeNull();
  });
});

describe('reading the index', () => {
  it('no marker: null (read the whole board); else the entries, most urgent first, without the marker', () => {
    const e = (ref: string) => ({ ref, oid: 'o' });
    expect(indexListing([e(`${READY}2-1-a`), e('refs/coordination/journal/me')])).toBeNull();
    expect(indexListing([e(`${READY}2-1-a`), e(READY_MARKER), e(`${READY}0-5-b`), e('refs/coordination/journal/me')])!.map((n) => n.ref)).toEqual([`${READY}0-5-b`, `${READY}2-1-a`]);
  });
});
