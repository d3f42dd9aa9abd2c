/**
 * The ready index under races (src/tasks/ready.ts), locally and through a file:// remote. Each
 * race is made to happen: another process's command lands between one operation's read and its
 * swap (the operation's own store runs it just before swapping), in both orders; then free
 * processes race. After each, the index must agree with the whole board: every ready task named
 * in it at its current record, every entry an open task's current record, and `task list --ready`
 * and `claim --next` the same as reading the whole board would give. Nothing here asserts on time.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Coord } from '../src/session/coord.js';
import { Tasks } from '../src/tasks/tasks.js';
import type { RefUpdate } from '../src/store/records.js';
import { clone, coord, coordAsync, gitSync, json, makeHub, makeRepo, ok } from './helpers.js';

const sessions: Coord[] = [];
afterEach(() => {
  for (const c of sessions.splice(0)) c.close();
});

const READY = 'refs/coordination/tasks/ready/';

/** Where each actor runs: one repository (local), or a clone each of one hub (remote). */
interface Place {
  dir(agent: string): string;
  /** The repository whose refs are the authority. */
  authority: string;
  fresh: string[];
}

function local(): Place {
  const d = makeRepo();
  return { dir: () => d, authority: d, fresh: [] };
}

function remote(): Place {
  const { root, url, hub } = makeHub();
  const dirs = new Map<string, string>();
  return {
    dir: (agent) => dirs.get(agent) ?? (dirs.set(agent, clone(root, url, agent)), dirs.get(agent)!),
    authority: hub,
    fresh: ['--fresh'],
  };
}

function run(p: Place, agent: string, args: string[]): void {
  ok(coord(p.dir(agent), [...args, '--agent', agent]));
}

/** The index as the whole board says it must be (checked at the authority's refs). */
function checkIndex(p: Place): { ready: string[] } {
  const lines = gitSync(p.authority, 'for-each-ref', '--format=%(objectname) %(refname)', 'refs/coordination/tasks/').split('\n').filter(Boolean);
  const refs = new Map(lines.map((l) => [l.slice(l.indexOf(' ') + 1), l.slice(0, l.indexOf(' '))]));
  expect(refs.has(`${READY}indexed`)).toBe(true);
  const board = json(coord(p.dir('checker'), ['task', 'list', '--json', ...p.fresh, '--agent', 'checker'])) as any[];
  const ready = board.filter((t) => t.ready).map((t) => t.id as string).sort();
  // Every ready task is in the index, at its current record.
  const entries = [...refs].filter(([r]) => r.startsWith(READY) && r !== `${READY}indexed`);
  const byId = new Map(entries.map(([r, oid]) => [r.slice(READY.length).split('-').slice(2).join('-'), { r, oid }]));
  for (const id of ready) {
    expect(byId.get(id), `ready task ${id} is missing from the index`).toBeDefined();
  }
  // Every entry is an open-shelf task's current record (a superset: it may be blocked again).
  for (const [id, e] of byId) expect(e.oid, `index entry ${e.r}`).toBe(refs.get(`refs/coordination/tasks/open/${id}`));
  // task list --ready reads the index and answers as the whole board does.
  const listed = json(coord(p.dir('checker'), ['task', 'list', '--ready', '--json', ...p.fresh, '--agent', 'checker'])) as any[];
  expect(listed.map((t) => t.id).sort()).toEqual(ready);
  return { ready };
}

/**
 * Runs `op` (a library call as `agent` in its own place) with `between` (a CLI command of another
 * agent, in its own place) landing just before op's first swap. Returns op's result.
 */
async function withBetween<T>(p: Place, agent: string, op: (t: Tasks) => Promise<T>, betweenAgent: string, between: string[] | string[][], beforeSwap = 1): Promise<T> {
  const ctx = await Coord.open({ cwd: p.dir(agent), agent, writes: true });
  sessions.push(ctx);
  const store = ctx.store;
  const swap = store.swap.bind(store);
  let landed = false;
  let swaps = 0;
  store.swap = async (updates: RefUpdate[], o?: { transient?: boolean }) => {
    if (!landed && ++swaps === beforeSwap) {
      landed = true;
      for (const args of Array.isArray(between[0]) ? (between as string[][]) : [between as string[]]) run(p, betweenAgent, args);
    }
    return swap(updates, o);
  };
  const r = await op(new Tasks(ctx));
  expect(landed).toBe(true);
  return r;
}

interface Race {
  name: string;
  /** Commands of `boss`, `ann` and `bob` before the race: [agent, args]. */
  setup: [string, string[]][];
  /** ann's operation. */
  op: (t: Tasks) => Promise<unknown>;
  /** bob's command (or commands, one after the other), landing between ann's read and swap. */
  between: string[] | string[][];
}

const races: Race[] = [
  {
    name: 'a dependent added while its dependency is done',
    setup: [['boss', ['task', 'add', 'a', '--id', 'a']], ['ann', ['claim', 'a']]],
    op: (t) => t.done('a'),
    between: ['task', 'add', 'd', '--id', 'd', '--depends-on', 'a'],
  },
  {
    name: 'the dependency done while a dependent is added',
    setup: [['boss', ['task', 'add', 'a', '--id', 'a']], ['bob', ['claim', 'a']]],
    op: (t) => t.add('d', { id: 'd', dependsOn: ['a'] }),
    between: ['task', 'done', 'a'],
  },
  {
    name: 'the dependency done while dependents are imported',
    setup: [['boss', ['task', 'add', 'a', '--id', 'a']], ['bob', ['claim', 'a']]],
    op: (t) => t.import([{ id: 'd', title: 'd', dependsOn: ['a'] }, { id: 'e', title: 'e', dependsOn: ['d'] }].map((l) => JSON.stringify(l)).join('\n')),
    between: ['task', 'done', 'a'],
  },
  {
    name: 'both dependencies of one task done at once',
    setup: [['boss', ['task', 'add', 'a', '--id', 'a']], ['boss', ['task', 'add', 'b', '--id', 'b']], ['boss', ['task', 'add', 'd', '--id', 'd', '--depends-on', 'a', '--depends-on', 'b']], ['ann', ['claim', 'a']], ['bob', ['claim', 'b']]],
    op: (t) => t.done('a'),
    between: ['task', 'done', 'b'],
  },
  {
    name: 'a dependency removed while the other is done',
    setup: [['boss', ['task', 'add', 'a', '--id', 'a']], ['boss', ['task', 'add', 'b', '--id', 'b']], ['boss', ['task', 'add', 'd', '--id', 'd', '--depends-on', 'a', '--depends-on', 'b']], ['ann', ['claim', 'a']]],
    op: (t) => t.done('a'),
    between: ['task', 'undepend', 'd', 'b'],
  },
  {
    name: 'the other dependency done while one is removed',
    setup: [['boss', ['task', 'add', 'a', '--id', 'a']], ['boss', ['task', 'add', 'b', '--id', 'b']], ['boss', ['task', 'add', 'd', '--id', 'd', '--depends-on', 'a', '--depends-on', 'b']], ['bob', ['claim', 'a']]],
    op: (t) => t.undepend('d', ['b']),
    between: ['task', 'done', 'a'],
  },
  {
    name: 'a dependency added while it is done',
    setup: [['boss', ['task', 'add', 'a', '--id', 'a']], ['boss', ['task', 'add', 'd', '--id', 'd']], ['ann', ['claim', 'a']]],
    op: (t) => t.done('a'),
    between: ['task', 'depend', 'd', 'a'],
  },
  {
    name: 'the dependency done while it is added',
    setup: [['boss', ['task', 'add', 'a', '--id', 'a']], ['boss', ['task', 'add', 'd', '--id', 'd']], ['bob', ['claim', 'a']]],
    op: (t) => t.depend('d', ['a']),
    between: ['task', 'done', 'a'],
  },
  {
    name: 'a dependent reopened while its dependency is done',
    setup: [['boss', ['task', 'add', 'a', '--id', 'a']], ['boss', ['task', 'add', 'd', '--id', 'd', '--depends-on', 'a']], ['boss', ['claim', 'd']], ['boss', ['task', 'done', 'd']], ['ann', ['claim', 'a']]],
    op: (t) => t.done('a'),
    between: ['task', 'reopen', 'd'],
  },
  {
    name: 'the dependency done while a dependent is reopened',
    setup: [['boss', ['task', 'add', 'a', '--id', 'a']], ['boss', ['task', 'add', 'd', '--id', 'd', '--depends-on', 'a']], ['boss', ['claim', 'd']], ['boss', ['task', 'fail', 'd', '--reason', 'too early']], ['bob', ['claim', 'a']]],
    op: (t) => t.reopen('d'),
    between: ['task', 'done', 'a'],
  },
  // With the archive: a failed dependency is found in its finisher's archive, and becomes done
  // only through a reopen (which moves that archive) and a done.
  {
    name: 'a failed dependency reopened and done while a dependent is added',
    setup: [['boss', ['task', 'add', 'a', '--id', 'a']], ['boss', ['claim', 'a']], ['boss', ['task', 'fail', 'a', '--reason', 'broken']]],
    op: (t) => t.add('d', { id: 'd', dependsOn: ['a'] }),
    between: [['task', 'reopen', 'a'], ['claim', 'a'], ['task', 'done', 'a']],
  },
  {
    name: 'the other dependency, failed, reopened and done while one is done',
    setup: [
      ['boss', ['task', 'add', 'a', '--id', 'a']], ['boss', ['task', 'add', 'f', '--id', 'f']], ['boss', ['task', 'add', 'd', '--id', 'd', '--depends-on', 'a', '--depends-on', 'f']],
      ['boss', ['claim', 'f']], ['boss', ['task', 'fail', 'f', '--reason', 'broken']], ['ann', ['claim', 'a']],
    ],
    op: (t) => t.done('a'),
    between: [['task', 'reopen', 'f'], ['claim', 'f'], ['task', 'done', 'f']],
  },
];

function raceAll(where: () => Place): void {
  for (const r of races) {
    it(r.name, async () => {
      const p = where();
      for (const [agent, args] of r.setup) run(p, agent, args);
      await withBetween(p, 'ann', r.op, 'bob', r.between);
      const { ready } = checkIndex(p);
      // d waited for a, which is done: it is ready, listed from the index, and claimable.
      expect(ready).toContain('d');
      const claimed: string[] = [];
      for (let k = 0; k < ready.length; k++) claimed.push(json(ok(coord(p.dir('carol'), ['claim', '--next', '--json', '--agent', 'carol']))).id);
      expect(claimed.sort()).toEqual(ready);
      expect(coord(p.dir('carol'), ['claim', '--next', '--agent', 'carol']).code).toBe(3);
    }, 120_000);
  }
}

describe('the ready index under races (locally)', () => raceAll(local));
describe('the ready index under races (through a file:// remote)', () => raceAll(remote));

describe('the ready index kept by every change', () => {
  it('add, import, claim, release, edit, depend, undepend, done, fail, reopen: the index always agrees with the board', () => {
    const p = local();
    const steps: [string, string[]][] = [
      ['boss', ['task', 'add', 'root', '--id', 'r']],
      ['boss', ['task', 'add', 'child', '--id', 'c', '--depends-on', 'r', '--priority', '1']],
      ['boss', ['task', 'add', 'free', '--id', 'f', '--priority', '3']],
      ['ann', ['claim', 'f']],
      ['ann', ['task', 'edit', 'f', '--priority', '0']],
      ['ann', ['task', 'release', 'f']],
      ['boss', ['task', 'depend', 'f', 'c']],
      ['ann', ['claim', 'r']],
      ['ann', ['task', 'done', 'r']],
      ['boss', ['task', 'reopen', 'r']],
      ['boss', ['task', 'undepend', 'f', 'c']],
      ['ann', ['claim', 'r']],
      ['ann', ['task', 'fail', 'r', '--reason', 'broken']],
      ['boss', ['task', 'reopen', 'r']],
      ['bob', ['claim', 'r']],
      ['bob', ['task', 'done', 'r']],
      ['bob', ['claim', 'c']],
      ['bob', ['task', 'done', 'c']],
    ];
    for (const [agent, args] of steps) {
      run(p, agent, args);
      checkIndex(p);
    }
    const file = path.join(p.authority, '.git', 'more.jsonl');
    fs.writeFileSync(file, [{ id: 'i1', title: 'i1', dependsOn: ['f'] }, { id: 'i2', title: 'i2', dependsOn: ['i1'] }, { id: 'i3', title: 'i3', status: 'done' }, { id: 'i4', title: 'i4', dependsOn: ['i3'] }].map((l) => JSON.stringify(l)).join('\n'));
    run(p, 'boss', ['task', 'import', file]);
    expect(checkIndex(p).ready).toEqual(['f', 'i4']);
  }, 120_000);

  it('an older board without the index is read whole, and indexed in one step by the first task add', () => {
    const p = local();
    const dir = p.authority;
    olderBoard(p);
    expect(json(coord(dir, ['task', 'list', '--ready', '--json'])).map((t: any) => t.id)).toEqual(['a']);
    expect(json(ok(coord(dir, ['claim', '--next', '--json', '--agent', 'ann']))).id).toBe('a');
    run(p, 'boss', ['task', 'add', 'c', '--id', 'c']);
    expect(checkIndex(p).ready).toEqual(['c']);
    run(p, 'ann', ['task', 'done', 'a']);
    expect(checkIndex(p).ready).toEqual(['b', 'c']);
  }, 60_000);
});

/** a, and b waiting for it, on a board as a git-coord from before the index wrote it: no marker, no entries, no flags. */
function olderBoard(p: Place): void {
  run(p, 'boss', ['task', 'add', 'a', '--id', 'a']);
  run(p, 'boss', ['task', 'add', 'b', '--id', 'b', '--depends-on', 'a']);
  const dir = p.authority;
  for (const r of gitSync(dir, 'for-each-ref', '--format=%(refname)', READY).split('\n').filter(Boolean)) gitSync(dir, 'update-ref', '-d', r);
  for (const id of ['a', 'b']) {
    const ref = `refs/coordination/tasks/open/${id}`;
    const rec = JSON.parse(gitSync(dir, 'log', '-1', '--format=%b', ref).trim());
    delete rec.unblocked;
    const oid = gitSync(dir, 'commit-tree', '-p', ref, '-m', `old ${id}\n\n${JSON.stringify(rec)}`, gitSync(dir, 'hash-object', '-t', 'tree', '/dev/null').trim()).trim();
    const queue = gitSync(dir, 'for-each-ref', '--format=%(refname)', 'refs/coordination/tasks/queue/').split('\n').find((q) => q.endsWith(`-${id}`))!;
    gitSync(dir, 'update-ref', ref, oid);
    gitSync(dir, 'update-ref', queue, oid);
  }
}

describe('a big import', () => {
  it('of 100 tasks or more packs the refs and loose objects; the board works on as before', () => {
    const p = local();
    const dir = p.authority;
    const file = path.join(dir, '.git', 'big.jsonl');
    const lines = [{ id: 'gate', title: 'gate' }, ...Array.from({ length: 60 }, (_, i) => ({ id: `r${i}`, title: `ready ${i}` })), ...Array.from({ length: 60 }, (_, i) => ({ id: `b${i}`, title: `blocked ${i}`, dependsOn: ['gate'] }))];
    fs.writeFileSync(file, lines.map((l) => JSON.stringify(l)).join('\n'));
    run(p, 'boss', ['task', 'import', file]);
    const packed = fs.readFileSync(path.join(dir, '.git', 'packed-refs'), 'utf8');
    expect(packed).toContain('refs/coordination/tasks/open/b59');
    expect(packed).toContain(`${READY}2-`);
    expect(gitSync(dir, 'count-objects', '-v')).toMatch(/^count: [0-9]\n/);
    expect(checkIndex(p).ready).toHaveLength(61);
    run(p, 'ann', ['claim', 'gate']);
    run(p, 'ann', ['task', 'done', 'gate']);
    expect(checkIndex(p).ready).toHaveLength(120);
    // One of the oldest 16 of the most urgent (agents spread over them: rules.ts).
    expect(json(ok(coord(dir, ['claim', '--next', '--json', '--agent', 'carol']))).id).toMatch(/^r([0-9]|1[0-5])$/);
  }, 60_000);
});

describe('the index built on an older board, under races', () => {
  it('the dependency done between the build\'s read and its swap: its dependent is indexed', async () => {
    const p = local();
    olderBoard(p);
    run(p, 'bob', ['claim', 'a']);
    // ann's add swaps first, then the build: bob's done lands before the build's swap.
    await withBetween(p, 'ann', (t) => t.add('c', { id: 'c' }), 'bob', ['task', 'done', 'a'], 2);
    expect(checkIndex(p).ready).toEqual(['b', 'c']);
  }, 60_000);

  it('the build landing between a done\'s read and its swap: the dependent is indexed', async () => {
    const p = local();
    olderBoard(p);
    run(p, 'ann', ['claim', 'a']);
    await withBetween(p, 'ann', (t) => t.done('a'), 'bob', ['task', 'add', 'c', '--id', 'c']);
    expect(checkIndex(p).ready).toEqual(['b', 'c']);
  }, 60_000);
});

describe('free processes racing', () => {
  async function dependentsWhileDone(p: Place, rounds: number): Promise<void> {
    for (let round = 0; round < rounds; round++) {
      const a = `a${round}`;
      run(p, 'boss', ['task', 'add', a, '--id', a]);
      run(p, 'bob', ['claim', a]);
      const adders = ['w0', 'w1', 'w2', 'w3'];
      const results = await Promise.all([
        coordAsync(p.dir('bob'), ['task', 'done', a, '--agent', 'bob']),
        ...adders.map((w) => coordAsync(p.dir(w), ['task', 'add', `${w} after ${a}`, '--id', `${w}-${round}`, '--depends-on', a, '--agent', w])),
      ]);
      for (const r of results) expect(r.code, r.stderr).toBe(0);
      const { ready } = checkIndex(p);
      expect(ready).toEqual(adders.map((w) => `${w}-${round}`).sort());
      // Claimed at once by more processes than tasks: each task once, nothing ready left behind.
      const claimers = ['c0', 'c1', 'c2', 'c3', 'c4', 'c5'];
      const claims = await Promise.all(claimers.map((c) => coordAsync(p.dir(c), ['claim', '--next', '--json', '--agent', c])));
      for (const r of claims) expect([0, 3], r.stderr).toContain(r.code);
      const won = claims.filter((r) => r.code === 0).map((r) => json(r).id);
      expect(won.sort()).toEqual(ready);
      for (const [k, c] of claimers.entries()) {
        if (claims[k]!.code === 0) run(p, c, ['task', 'done', json(claims[k]!).id]);
      }
    }
  }

  it('dependents added by 4 processes while their dependency is done, then claimed by 6 (locally, 4 rounds)', async () => {
    await dependentsWhileDone(local(), 4);
  }, 240_000);

  it('the same through a file:// remote (2 rounds)', async () => {
    await dependentsWhileDone(remote(), 2);
  }, 240_000);
});
