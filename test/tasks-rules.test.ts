/** The task board's pure rules: readiness, order, the spread of racing agents, cycles, ids. */
import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SPREAD, blockedBy, byUrgency, claimOrder, findCycle, isFree, isReady, newTaskId, reachable } from '../src/tasks/rules.js';
import type { TaskRecord } from '../src/tasks/schema.js';

import { NOW, iso, task } from './task-records.js';

describe('readiness', () => {
  const done = new Set(['d1', 'd2']);
  const isDone = (id: string) => done.has(id);
  it('open with every dependency done is ready', () => {
    expect(isReady(task('x', { dependsOn: ['d1', 'd2'] }), NOW, isDone)).toBe(true);
    expect(isReady(task('x'), NOW, isDone)).toBe(true);
  });
  it('a dependency not done blocks, and is named', () => {
    const t = task('x', { dependsOn: ['d1', 'o1'] });
    expect(isReady(t, NOW, isDone)).toBe(false);
    expect(blockedBy(t, isDone)).toEqual(['o1']);
  });
  it('a live claim is not free; an expired one is', () => {
    const live = task('x', { status: 'claimed', claimedBy: 'b', claimExpiresAt: iso(NOW + 1000) });
    const expired = task('y', { status: 'claimed', claimedBy: 'b', claimExpiresAt: iso(NOW - 1) });
    const forever = task('z', { status: 'claimed', claimedBy: 'b', claimExpiresAt: null });
    expect([isFree(live, NOW), isFree(expired, NOW), isFree(forever, NOW)]).toEqual([false, true, false]);
    expect(isReady(expired, NOW, isDone)).toBe(true);
  });
  it('done and failed tasks are never ready', () => {
    expect(isReady(task('x', { status: 'done' }), NOW, isDone)).toBe(false);
    expect(isReady(task('x', { status: 'failed' }), NOW, isDone)).toBe(false);
  });
});

describe('order', () => {
  it('most urgent first, then oldest, then by id', () => {
    const ts = [
      task('late', { priority: 1, createdAt: iso(NOW - 10) }),
      task('low', { priority: 3, createdAt: iso(NOW - 100) }),
      task('b', { priority: 1, createdAt: iso(NOW - 50) }),
      task('a', { priority: 1, createdAt: iso(NOW - 50) }),
      task('urgent', { priority: 0, createdAt: iso(NOW) }),
    ];
    expect([...ts].sort(byUrgency).map((t) => t.id)).toEqual(['urgent', 'a', 'b', 'late', 'low']);
  });

  it('racing agents start at different places among the oldest of the most urgent tier, go round it, then take the next tiers', () => {
    const tier = Array.from({ length: 20 }, (_, k) => task(`t${k}`, { priority: 1, createdAt: iso(NOW - 100 + k) }));
    const rest = [task('z', { priority: 3 })];
    const sorted = [...tier, ...rest];
    const agents = Array.from({ length: 8 }, (_, i) => `agent-${i}`);
    const firsts = agents.map((me) => claimOrder(sorted, me)[0]!.id);
    // Starts lie among the oldest SPREAD of the tier, and most agents start apart.
    for (const f of firsts) expect(Number(f.slice(1))).toBeLessThan(SPREAD);
    expect(new Set(firsts).size).toBeGreaterThanOrEqual(5);
    for (const me of agents) {
      const order = claimOrder(sorted, me).map((t) => t.id);
      expect(order.slice(0, 20).sort()).toEqual(tier.map((t) => t.id).sort());
      expect(order[20]).toBe('z');
    }
    // Stable: the same agent always starts at the same place.
    expect(claimOrder(sorted, 'agent-3')).toEqual(claimOrder(sorted, 'agent-3'));
    // A tier of one is simply first.
    expect(claimOrder([task('only', { priority: 0 }), ...tier], 'x')[0]!.id).toBe('only');
  });
});

describe('dependency cycles', () => {
  const g = (o: Record<string, string[]>) => new Map(Object.entries(o));
  it('none in a DAG', () => {
    expect(findCycle(g({ a: ['b', 'c'], b: ['c'], c: [] }), ['a'])).toBeNull();
  });
  it('finds a direct and a long cycle, as the path that closes it', () => {
    expect(findCycle(g({ a: ['b'], b: ['a'] }), ['a'])).toEqual(['a', 'b', 'a']);
    expect(findCycle(g({ a: ['b'], b: ['c'], c: ['d'], d: ['b'] }), ['a'])).toEqual(['b', 'c', 'd', 'b']);
    expect(findCycle(g({ a: ['a'] }), ['a'])).toEqual(['a', 'a']);
  });
  it('only cycles reachable from the start count', () => {
    expect(findCycle(g({ a: ['b'], x: ['y'], y: ['x'] }), ['a'])).toBeNull();
    expect(findCycle(g({ a: ['b'], x: ['y'], y: ['x'] }), ['a', 'x'])).not.toBeNull();
  });
  it('a chain of 20,000 does not overflow the stack', () => {
    const m = new Map<string, string[]>();
    for (let i = 0; i < 20_000; i++) m.set(`n${i}`, i + 1 < 20_000 ? [`n${i + 1}`] : []);
    expect(findCycle(m, ['n0'])).toBeNull();
    m.set('n19999', ['n0']);
    expect(findCycle(m, ['n0'])).toHaveLength(20_001);
  });
  it('reachable walks every dependency', () => {
    expect([...reachable(g({ a: ['b'], b: ['c'], d: ['a'] }), ['a'])].sort()).toEqual(['a', 'b', 'c']);
  });
});

describe('task ids', () => {
  it('short, readable, and different', () => {
    const ids = Array.from({ length: 2000 }, () => newTaskId(crypto.randomBytes));
    for (const id of ids) expect(id).toMatch(/^t-[2-9a-hjkmnp-z]{6}$/);
    expect(new Set(ids).size).toBe(2000);
  });
});
