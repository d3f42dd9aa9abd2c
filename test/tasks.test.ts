/**
 * The task board and presence through the built CLI, with real git: every command, every refusal,
 * and bad input (exit 2, nothing written).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, ENV, coord, coordAsync, gitRun, gitSync, json, makeHub, makeRepo, type Run, state, ok } from './helpers.js';

const A = { GIT_COORD_AGENT: 'alice' };
const B = { GIT_COORD_AGENT: 'bob' };

function repo(): string {
  const r = makeRepo();
  return r;
}

function add(dir: string, args: string[], env = A): string {
  return ok(coord(dir, ['task', 'add', ...args], env)).stdout.trim();
}

describe('task add, list, show', () => {
  it('adds tasks with priority, labels, dependencies and a body; lists and shows them with the contract fields', () => {
    const dir = repo();
    const first = add(dir, ['Set up the schema', '--priority', '1', '--label', 'db', '--body', 'use zod']);
    expect(first).toMatch(/^t-[a-z0-9]{6}$/);
    const second = json(ok(coord(dir, ['task', 'add', 'Write the API', '--depends-on', first, '--label', 'api', '--label', 'db', '--json'], A)));
    expect(second).toMatchObject({ title: 'Write the API', status: 'open', priority: 2, labels: ['api', 'db'], dependsOn: [first], claimedBy: null, claimExpiresAt: null, ready: false, blockedBy: [first] });
    add(dir, ['Docs', '--id', 'docs-1', '--priority', '4']);
    const list = json(ok(coord(dir, ['task', 'list', '--json'])));
    expect(list.map((t: any) => t.id)).toEqual([first, second.id, 'docs-1']);
    for (const t of list) expect(Object.keys(t)).toEqual(expect.arrayContaining(['id', 'title', 'status', 'priority', 'labels', 'dependsOn', 'claimedBy', 'claimExpiresAt']));
    expect(json(coord(dir, ['task', 'list', '--ready', '--json'])).map((t: any) => t.id)).toEqual([first, 'docs-1']);
    expect(json(coord(dir, ['task', 'list', '--label', 'db', '--json'])).map((t: any) => t.id)).toEqual([first, second.id]);
    expect(json(coord(dir, ['task', 'list', '--label', 'db', '--label', 'api', '--json'])).map((t: any) => t.id)).toEqual([second.id]);
    expect(json(coord(dir, ['task', 'list', '--status', 'open', '--json']))).toHaveLength(3);
    const shown = json(ok(coord(dir, ['task', 'show', first, '--json'])));
    expect(shown).toMatchObject({ id: first, body: 'use zod', createdBy: 'alice', ready: true });
    expect(ok(coord(dir, ['task', 'show', second.id])).stdout).toMatch(/waiting for t-/);
    expect(ok(coord(dir, ['task', 'list'])).stdout).toMatch(/Write the API.*waits for/);
  });

  it('refuses bad input with exit 2 and writes nothing', () => {
    const dir = repo();
    add(dir, ['exists', '--id', 'x1']);
    const before = state(dir);
    const bad: string[][] = [
      ['task', 'add', ''],
      ['task', 'add', '   '],
      ['task', 'add', 'p', '--priority', '5'],
      ['task', 'add', 'p', '--priority', 'high'],
      ['task', 'add', 'p', '--label', 'no spaces'],
      ['task', 'add', 'p', '--depends-on', 'nope'],
      ['task', 'add', 'p', '--id', 'x1'],
      ['task', 'add', 'p', '--id', '../evil'],
      ['task', 'add', 'p', '--id', 'self', '--depends-on', 'self'],
      ['task', 'add', 'p', '--body', 'x'.repeat(70_000)],
      ['task', 'add', 'p', '--bogus'],
      ['task', 'list', '--status', 'sleeping'],
      ['task', 'show', 'nope'],
      ['task', 'show', 'bad id'],
      ['task', 'depend', 'x1', 'nope'],
      ['task', 'depend', 'x1', 'x1'],
      ['task', 'depend', 'x1'],
      ['task', 'fail', 'x1'],
      ['task', 'done', 'x1', '--force'],
      ['task', 'bogus'],
      ['task'],
      ['claim'],
      ['claim', 'nope'],
      ['claim', 'x1', 'extra'],
      ['claim', 'x1', '--ttl', 'forever'],
      ['claim', 'x1', '--lock', '../outside'],
      ['claim', '--next', 'x1'],
      ['claim', '--next', '--lock', 'a'],
      ['claim', '--next', '--label', 'bad label'],
      ['heartbeat', '--task', 'bad id'],
    ];
    for (const args of bad) {
      const r = coord(dir, args, A);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    // A group alone is bad usage; its help is not.
    expect(coord(dir, ['task', '--help']).code).toBe(0);
    expect(coord(dir, ['task', '--help']).stdout).toMatch(/task import/);
    // No agent id where one is needed.
    expect(coord(dir, ['task', 'add', 'p']).code).toBe(2);
    expect(coord(dir, ['claim', '--next']).code).toBe(2);
    expect(state(dir)).toBe(before);
  }, 240_000);

  it('ids created at the same moment in many processes never clash', async () => {
    const dir = repo();
    const runs = await Promise.all(Array.from({ length: 8 }, (_, i) => coordAsync(dir, ['task', 'add', `t${i}`], { GIT_COORD_AGENT: `a${i}` })));
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    const ids = runs.map((r) => r.stdout.trim());
    expect(new Set(ids).size).toBe(8);
    expect(json(coord(dir, ['task', 'list', '--json']))).toHaveLength(8);
  });
});

describe('task import', () => {
  it('adds every line in one step, dependencies by the file\'s own ids, in file order', () => {
    const dir = repo();
    const pre = add(dir, ['existing']);
    const file = path.join(dir, 'tasks.jsonl');
    fs.writeFileSync(file, [
      JSON.stringify({ title: 'one', id: 'i1', labels: ['x'] }),
      '',
      JSON.stringify({ title: 'two', dependsOn: ['i1', pre], priority: 2 }),
      JSON.stringify({ title: 'three', body: 'b' }),
    ].join('\n') + '\n');
    const r = ok(coord(dir, ['task', 'import', 'tasks.jsonl'], A));
    const ids = r.stdout.trim().split('\n');
    expect(ids).toHaveLength(3);
    expect(ids[0]).toBe('i1');
    const list = json(coord(dir, ['task', 'list', '--json']));
    // Same priority: file order (after the task that existed before).
    expect(list.map((t: any) => t.title)).toEqual(['existing', 'one', 'two', 'three']);
    expect(list.find((t: any) => t.title === 'two').dependsOn).toEqual(['i1', pre]);
    // From stdin, with --json.
    const s = spawnSync(process.execPath, [CLI, 'task', 'import', '-', '--json'], { cwd: dir, env: { ...ENV, ...A }, input: '{"title":"from stdin"}\n', encoding: 'utf8' });
    expect(s.status, s.stderr).toBe(0);
    expect(JSON.parse(s.stdout)).toMatchObject([{ title: 'from stdin', status: 'open' }]);
  });

  it('any bad line refuses the whole file, naming the line; nothing is added', () => {
    const dir = repo();
    add(dir, ['there', '--id', 'have']);
    const before = state(dir);
    const cases: [string[], RegExp][] = [
      [['{"title":"ok"}', '{not json'], /line 2: not JSON/],
      [['{"title":"ok"}', '{"title":""}'], /line 2/],
      [['{"title":"ok"}', '{"title":"x","priority":9}'], /line 2: priority/],
      [['{"title":"ok"}', '{"title":"x","colour":"red"}'], /line 2: unknown field colour/],
      [['{"title":"a","id":"d1"}', '{"title":"b","id":"d1"}'], /line 2: id d1 is already used on line 1/],
      [['{"title":"a","id":"have"}'], /line 1: task have already exists/],
      [['{"title":"a","dependsOn":["ghost"]}'], /line 1: no task ghost/],
      [['{"title":"a","id":"c1","dependsOn":["c2"]}', '{"title":"b","id":"c2","dependsOn":["c1"]}'], /line 1: dependencies would close a cycle/],
      [[''], /nothing to import/],
    ];
    for (const [lines, msg] of cases) {
      fs.writeFileSync(path.join(dir, 'in.jsonl'), lines.join('\n'));
      const r = coord(dir, ['task', 'import', 'in.jsonl'], A);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(msg);
    }
    expect(coord(dir, ['task', 'import', 'missing.jsonl'], A).code).toBe(2);
    expect(state(dir)).toBe(before);
  }, 120_000);
});

describe('claims', () => {
  it('claim, renew by claiming again, refusals, done with a note, the history', () => {
    const dir = repo();
    const t = add(dir, ['work']);
    const c = json(ok(coord(dir, ['claim', t, '--ttl', '30m', '--json'], A)));
    expect(c).toMatchObject({ id: t, status: 'claimed', claimedBy: 'alice' });
    expect(Date.parse(c.claimExpiresAt) - Date.now()).toBeGreaterThan(25 * 60_000);
    const refused = coord(dir, ['claim', t], B);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/claimed by alice until/);
    const renewed = json(ok(coord(dir, ['claim', t, '--ttl', '2h', '--json'], A)));
    expect(Date.parse(renewed.claimExpiresAt)).toBeGreaterThan(Date.parse(c.claimExpiresAt));
    expect(renewed.claimedAt).toBe(c.claimedAt);
    expect(json(coord(dir, ['task', 'list', '--mine', '--json'], A)).map((x: any) => x.id)).toEqual([t]);
    expect(json(coord(dir, ['task', 'list', '--mine', '--json'], B))).toEqual([]);
    expect(coord(dir, ['task', 'done', t], B).code).toBe(3);
    expect(coord(dir, ['task', 'release', t], B).code).toBe(3);
    expect(coord(dir, ['task', 'fail', t, '--reason', 'no'], B).code).toBe(3);
    const done = json(ok(coord(dir, ['task', 'done', t, '--note', 'shipped', '--json'], A)));
    expect(done).toMatchObject({ status: 'done', note: 'shipped', claimExpiresAt: null });
    expect(coord(dir, ['claim', t], B).code).toBe(3);
    expect(coord(dir, ['task', 'done', t], A).code).toBe(3);
    expect(json(coord(dir, ['task', 'list', '--status', 'done', '--json'])).map((x: any) => x.id)).toEqual([t]);
    const log = json(coord(dir, ['log', '--json']));
    expect(log.filter((e: any) => e.subject === t).map((e: any) => e.action)).toEqual(['done', 'renew', 'claim', 'add']);
    expect(log.find((e: any) => e.action === 'done').reason).toBe('shipped');
  });

  it('an unclaimed task needs a claim (or --force) before done; fail needs a reason; a failed task stays failed until reopened', () => {
    const dir = repo();
    const t = add(dir, ['w']);
    expect(coord(dir, ['task', 'done', t], A).code).toBe(3);
    expect(coord(dir, ['task', 'release', t], A).code).toBe(3);
    ok(coord(dir, ['claim', t], A));
    expect(coord(dir, ['task', 'fail', t], A).code).toBe(2);
    expect(json(ok(coord(dir, ['task', 'fail', t, '--reason', 'flaky CI', '--json'], A)))).toMatchObject({ status: 'failed', reason: 'flaky CI' });
    expect(coord(dir, ['claim', t], B).code).toBe(3);
    expect(coord(dir, ['claim', '--next'], B).code).toBe(3);
    expect(json(coord(dir, ['task', 'list', '--ready', '--json']))).toEqual([]);
    expect(json(coord(dir, ['task', 'list', '--status', 'failed', '--json'])).map((x: any) => x.id)).toEqual([t]);
    const reopened = json(ok(coord(dir, ['task', 'reopen', t, '--json'], B)));
    expect(reopened).toMatchObject({ status: 'open', claimedBy: null, ready: true });
    expect(coord(dir, ['task', 'reopen', t], B).code).toBe(3);
    expect(json(ok(coord(dir, ['claim', '--next', '--json'], B))).id).toBe(t);
    ok(coord(dir, ['task', 'release', t], B));
    expect(json(coord(dir, ['task', 'show', t, '--json']))).toMatchObject({ status: 'open', claimedBy: null });
  });

  it("--force --reason ends another agent's claim, recorded with who and why", () => {
    const dir = repo();
    const t = add(dir, ['w']);
    ok(coord(dir, ['claim', t], A));
    expect(coord(dir, ['task', 'release', t, '--force'], B).code).toBe(2);
    ok(coord(dir, ['task', 'release', t, '--force', '--reason', 'alice is away'], B));
    const e = json(coord(dir, ['log', '--json'])).find((x: any) => x.action === 'release');
    expect(e).toMatchObject({ agent: 'bob', subject: t, other: 'alice', reason: 'alice is away' });
  });

  it('claim --next: most urgent ready first, labels filter, exit 3 when nothing is free', () => {
    const dir = repo();
    const low = add(dir, ['low', '--priority', '3']);
    const urgent = add(dir, ['urgent', '--priority', '0', '--label', 'ui']);
    const blocker = add(dir, ['blocker', '--priority', '1']);
    const blocked = add(dir, ['blocked', '--priority', '0', '--depends-on', blocker]);
    expect(json(ok(coord(dir, ['claim', '--next', '--label', 'ui', '--json'], A))).id).toBe(urgent);
    expect(coord(dir, ['claim', '--next', '--label', 'ui'], A).code).toBe(3);
    expect(ok(coord(dir, ['claim', '--next'], B)).stdout.trim()).toBe(blocker);
    const s = json(ok(coord(dir, ['status', '--json'], A)));
    expect(s.ready.map((x: any) => x.id)).toEqual([low]);
    expect(s.blocked).toMatchObject([{ id: blocked, blockedBy: [blocker] }]);
    expect(s.agents.map((a: any) => [a.id, a.tasks])).toEqual([['alice', [urgent]], ['bob', [blocker]]]);
    ok(coord(dir, ['task', 'done', blocker], B));
    expect(ok(coord(dir, ['claim', '--next'], B)).stdout.trim()).toBe(blocked);
    expect(ok(coord(dir, ['claim', '--next'], B)).stdout.trim()).toBe(low);
    const none = coord(dir, ['claim', '--next', '--json'], B);
    expect(none.code).toBe(3);
    expect(json(none)).toMatchObject({ ok: false, code: 3 });
  });

  it('an expired claim may be taken over, and the takeover is recorded; claim --next takes it too', async () => {
    const dir = repo();
    const t = add(dir, ['w']);
    const u = add(dir, ['v']);
    ok(coord(dir, ['claim', t, '--ttl', '1s'], A));
    const last = json(ok(coord(dir, ['claim', u, '--ttl', '1s', '--json'], A)));
    await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(last.claimExpiresAt) - Date.now()) + 300));
    expect(json(coord(dir, ['task', 'list', '--ready', '--json'])).map((x: any) => x.id).sort()).toEqual([t, u].sort());
    expect(json(ok(coord(dir, ['claim', t, '--json'], B)))).toMatchObject({ claimedBy: 'bob' });
    expect(json(ok(coord(dir, ['claim', '--next', '--json'], B)))).toMatchObject({ id: u, claimedBy: 'bob' });
    const takeovers = json(coord(dir, ['log', '--json'])).filter((e: any) => e.action === 'takeover');
    expect(takeovers.map((e: any) => [e.subject, e.agent, e.other]).sort()).toEqual([[t, 'bob', 'alice'], [u, 'bob', 'alice']].sort());
    // The former claimer cannot finish it any more.
    expect(coord(dir, ['task', 'done', t], A).code).toBe(3);
  });

  it('renew extends claims as well as locks', () => {
    const dir = repo();
    const t = add(dir, ['w']);
    const c = json(ok(coord(dir, ['claim', t, '--ttl', '10m', '--json'], A)));
    ok(coord(dir, ['lock', 'a.txt', '--ttl', '10m'], A));
    const r = json(ok(coord(dir, ['renew', '--ttl', '3h', '--json'], A)));
    expect(r.locks.map((l: any) => l.pattern)).toEqual(['a.txt']);
    expect(r.tasks.map((x: any) => x.id)).toEqual([t]);
    expect(Date.parse(r.tasks[0].claimExpiresAt)).toBeGreaterThan(Date.parse(c.claimExpiresAt) + 60 * 60_000);
    expect(json(ok(coord(dir, ['renew', '--json'], B)))).toEqual({ ok: true, locks: [], tasks: [] });
  });
});

describe('claim --lock', () => {
  it('takes the claim and the locks in one step; finishing releases exactly those locks', () => {
    const dir = repo();
    const t = add(dir, ['refactor auth']);
    ok(coord(dir, ['lock', 'other.txt'], A));
    const c = json(ok(coord(dir, ['claim', t, '--lock', 'src/auth/', 'docs/auth.md', '--json'], A)));
    expect(c.locks).toEqual(['src/auth/', 'docs/auth.md']);
    const locks = json(coord(dir, ['locks', '--json']));
    expect(locks.map((l: any) => l.pattern).sort()).toEqual(['docs/auth.md', 'other.txt', 'src/auth/']);
    expect(locks.find((l: any) => l.pattern === 'src/auth/').reason).toBe(`task ${t}: refactor auth`);
    const refused = coord(dir, ['lock', 'src/auth/x.ts'], B);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/refactor auth/);
    ok(coord(dir, ['task', 'done', t], A));
    expect(json(coord(dir, ['locks', '--json'])).map((l: any) => l.pattern)).toEqual(['other.txt']);
    const log = json(coord(dir, ['log', '--json']));
    expect(log.slice(0, 3).map((e: any) => `${e.action} ${e.subject}`).sort()).toEqual([`done ${t}`, 'unlock docs/auth.md', 'unlock src/auth/']);
  });

  it('a lock conflict rolls the whole claim back: the task stays open, no lock or pending record is left', () => {
    const dir = repo();
    const t = add(dir, ['w']);
    ok(coord(dir, ['lock', 'lib/', '--reason', 'mine'], B));
    const before = state(dir);
    const r = coord(dir, ['claim', t, '--lock', 'free.txt', 'lib/x.ts'], A);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/lib\/x\.ts: locked by bob as lib\/ \(mine\)/);
    expect(json(coord(dir, ['task', 'show', t, '--json']))).toMatchObject({ status: 'open', claimedBy: null, locks: [] });
    expect(json(coord(dir, ['locks', '--json'])).map((l: any) => l.pattern)).toEqual(['lib/']);
    // Only alice's journal may have started; no task, lock or pending record changed.
    const changed = (s: string) => s.split('\n').filter((l) => !l.includes('/journal/'));
    expect(changed(state(dir))).toEqual(changed(before));
  });

  it('a claim conflict refuses the locks too: nothing is locked', () => {
    const dir = repo();
    const t = add(dir, ['w']);
    ok(coord(dir, ['claim', t], B));
    const r = coord(dir, ['claim', t, '--lock', 'x.txt'], A);
    expect(r.code).toBe(3);
    expect(json(coord(dir, ['locks', '--json']))).toEqual([]);
  });

  it('releasing, failing or a forced end releases the claim\'s locks; re-claiming renews them', () => {
    const dir = repo();
    const t = add(dir, ['w']);
    ok(coord(dir, ['claim', t, '--lock', 'a/', '--ttl', '10m'], A));
    const first = json(coord(dir, ['locks', '--json']))[0];
    const again = json(ok(coord(dir, ['claim', t, '--lock', 'b/', '--ttl', '1h', '--json'], A)));
    expect(again.locks).toEqual(['a/', 'b/']);
    const locks = json(coord(dir, ['locks', '--json']));
    expect(locks.map((l: any) => l.pattern)).toEqual(['a/', 'b/']);
    expect(Date.parse(locks[0].expiresAt)).toBeGreaterThan(Date.parse(first.expiresAt));
    ok(coord(dir, ['task', 'release', t], A));
    expect(json(coord(dir, ['locks', '--json']))).toEqual([]);
    ok(coord(dir, ['claim', t, '--lock', 'c/'], A));
    ok(coord(dir, ['task', 'fail', t, '--reason', 'stuck'], A));
    expect(json(coord(dir, ['locks', '--json']))).toEqual([]);
    ok(coord(dir, ['task', 'reopen', t], A));
    ok(coord(dir, ['claim', t, '--lock', 'd/'], A));
    ok(coord(dir, ['task', 'done', t, '--force', '--reason', 'took over'], B));
    expect(json(coord(dir, ['locks', '--json']))).toEqual([]);
    expect(json(coord(dir, ['log', '--json'])).find((e: any) => e.action === 'break')).toMatchObject({ agent: 'bob', subject: 'd/', other: 'alice' });
  });

  it('from a subdirectory, patterns are relative to it, and stay right when re-claimed elsewhere', () => {
    const dir = repo();
    fs.mkdirSync(path.join(dir, 'pkg'));
    const t = add(dir, ['w']);
    ok(coord(path.join(dir, 'pkg'), ['claim', t, '--lock', 'src/'], A));
    ok(coord(dir, ['claim', t], A));
    expect(json(coord(dir, ['locks', '--json'])).map((l: any) => l.pattern)).toEqual(['pkg/src/']);
  });
});

describe('dependencies', () => {
  it('task depend adds dependencies; one that closes a cycle is refused with exit 2, nothing written', () => {
    const dir = repo();
    const a = add(dir, ['a']);
    const b = add(dir, ['b', '--depends-on', a]);
    const c = add(dir, ['c']);
    ok(coord(dir, ['task', 'depend', c, b], A));
    expect(json(coord(dir, ['task', 'show', c, '--json']))).toMatchObject({ dependsOn: [b], ready: false, blockedBy: [b] });
    const before = state(dir);
    const r = coord(dir, ['task', 'depend', a, c], A);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`cycle: ${a} -> ${c} -> ${b} -> ${a}`));
    expect(state(dir)).toBe(before);
    // Adding what is there already changes nothing.
    ok(coord(dir, ['task', 'depend', c, b], A));
    expect(state(dir)).toBe(before);
  });

  it('a task becomes ready when its last dependency is done, and blocked again when one reopens', () => {
    const dir = repo();
    const a = add(dir, ['a']);
    const b = add(dir, ['b']);
    const c = add(dir, ['c', '--depends-on', a, '--depends-on', b]);
    const ready = () => json(coord(dir, ['task', 'list', '--ready', '--json'])).map((x: any) => x.id);
    expect(ready()).not.toContain(c);
    for (const x of [a, b]) {
      ok(coord(dir, ['claim', x], A));
      ok(coord(dir, ['task', 'done', x], A));
    }
    expect(ready()).toEqual([c]);
    ok(coord(dir, ['task', 'reopen', a], A));
    expect(ready()).toEqual([a]);
    expect(json(coord(dir, ['status', '--json'])).blocked).toMatchObject([{ id: c, blockedBy: [a] }]);
  });
});

describe('presence', () => {
  it('heartbeat records role and task on the agent\'s own ref; agents lists who is active; every change counts as seen', () => {
    const dir = repo();
    const t = add(dir, ['w'], B);
    const hb = json(ok(coord(dir, ['heartbeat', '--role', 'reviewer', '--task', t, '--json'], A)));
    expect(hb).toMatchObject({ ok: true, id: 'alice', role: 'reviewer', task: t });
    expect(gitSync(dir, 'for-each-ref', '--format=%(refname)', 'refs/coordination/agents/').trim()).toBe('refs/coordination/agents/alice');
    // A heartbeat without options keeps the role and task; an empty value clears one.
    expect(json(ok(coord(dir, ['heartbeat', '--json'], A)))).toMatchObject({ role: 'reviewer', task: t });
    expect(json(ok(coord(dir, ['heartbeat', '--task', '', '--json'], A)))).toMatchObject({ role: 'reviewer', task: null });
    ok(coord(dir, ['claim', t], B));
    ok(coord(dir, ['lock', 'x/'], B));
    const agents = json(ok(coord(dir, ['agents', '--json'])));
    expect(agents).toMatchObject([
      { id: 'alice', active: true, role: 'reviewer', task: null, locks: [] },
      { id: 'bob', active: true, role: null, task: t, tasks: [t] },
    ]);
    for (const a of agents) expect(Object.keys(a)).toEqual(expect.arrayContaining(['id', 'lastSeen', 'active', 'role', 'task']));
    expect(agents[1].locks.map((l: any) => l.pattern)).toEqual(['x/']);
    // Heartbeats are not history.
    expect(json(coord(dir, ['log', '--json'])).some((e: any) => e.action === 'heartbeat')).toBe(false);
    expect(ok(coord(dir, ['agents'])).stdout).toMatch(/alice: 0 locks, role reviewer, active/);
  });

  it('agents.active sets the window; an invalid value is exit 2', () => {
    const dir = repo();
    ok(coord(dir, ['heartbeat'], A));
    // Active within an hour; then, with a window of 1s and more than that gone, not active.
    fs.writeFileSync(path.join(dir, '.git-coord.yml'), 'agents:\n  active: 1h\n');
    expect(json(coord(dir, ['agents', '--json']))[0].active).toBe(true);
    fs.writeFileSync(path.join(dir, '.git-coord.yml'), 'agents:\n  active: 1s\n');
    const until = Date.now() + 1500;
    while (Date.now() < until) {
      /* wait past the window without sleeping the event loop into a timer race */
    }
    expect(json(coord(dir, ['agents', '--json']))[0].active).toBe(false);
    expect(json(coord(dir, ['agents', '--active', '--json']))).toEqual([]);
    fs.writeFileSync(path.join(dir, '.git-coord.yml'), 'agents:\n  active: soon\n');
    const r = coord(dir, ['agents'], A);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/agents\.active/);
  });

  it('status is the board: agents with tasks and locks, ready and blocked tasks; text for people', () => {
    const dir = repo();
    const a = add(dir, ['first']);
    add(dir, ['second', '--depends-on', a]);
    ok(coord(dir, ['claim', a, '--lock', 'src/'], A));
    const text = ok(coord(dir, ['status'], B)).stdout;
    expect(text).toMatch(/you are bob/);
    expect(text).toMatch(/alice: 1 lock, task t-\w+, active/);
    expect(text).toMatch(/blocked \(1\):\n {2}t-\w+ {2}p2 {2}second/);
  });
});

describe('the remote view', () => {
  it('sync brings tasks and presence to another clone; claims are decided at the remote', () => {
    const { root, hub } = makeHub('remote: origin\n', {});
    const [ca, cb] = ['alice', 'bob'].map((n) => {
      const d = path.join(root, n);
      gitSync(root, 'clone', '-q', `file://${hub}`, d);
      return d;
    });
    const t = add(ca!, ['shared work']);
    ok(coord(ca!, ['heartbeat', '--role', 'builder'], A));
    expect(json(coord(cb!, ['task', 'list', '--json'], B))).toEqual([]);
    ok(coord(cb!, ['sync'], B));
    expect(json(coord(cb!, ['task', 'list', '--json'], B)).map((x: any) => x.id)).toEqual([t]);
    expect(json(coord(cb!, ['agents', '--json'], B)).find((x: any) => x.id === 'alice')).toMatchObject({ role: 'builder', active: true });
    expect(ok(coord(cb!, ['claim', '--next'], B)).stdout.trim()).toBe(t);
    expect(coord(ca!, ['claim', t], A).code).toBe(3);
    expect(coord(ca!, ['claim', '--next'], A).code).toBe(3);
    ok(coord(cb!, ['task', 'done', t], B));
    const hubRefs = gitSync(hub, 'for-each-ref', '--format=%(refname)', 'refs/coordination/tasks/').trim();
    // The finished task left the shelves: its record is in bob's archive; the ready index's
    // marker stays (the index itself holds nothing now).
    expect(hubRefs).toBe('refs/coordination/tasks/archive/bob\nrefs/coordination/tasks/ready/indexed');
    ok(coord(ca!, ['sync'], A));
    expect(json(coord(ca!, ['task', 'show', t, '--json'], A))).toMatchObject({ id: t, status: 'done' });
    expect(json(coord(ca!, ['task', 'list', '--status', 'done', '--json'], A)).map((x: any) => x.id)).toEqual([t]);
    // The first sync fetched no archive (the ready index, yes); the reads that needed one fetched it.
    expect(gitSync(ca!, 'for-each-ref', '--format=%(refname)', 'refs/coordination/remotes/origin/tasks/').trim()).toBe(
      'refs/coordination/remotes/origin/tasks/archive/bob\nrefs/coordination/remotes/origin/tasks/ready/indexed',
    );
  });

  it('claim --next in a clone that never fetched the records: the candidates are read from the remote', () => {
    const { root, hub } = makeHub('remote: origin\n', {});
    const [ca, cb] = ['alice', 'bob'].map((n) => {
      const d = path.join(root, n);
      gitSync(root, 'clone', '-q', `file://${hub}`, d);
      return d;
    });
    const first = add(ca!, ['first', '--priority', '0']);
    add(ca!, ['second']);
    // bob has none of these objects: the records of the listed candidates are not here to read by id.
    expect(gitRun(cb!, ['cat-file', '-e', gitSync(hub, 'rev-parse', `refs/coordination/tasks/open/${first}`).trim()]).code).not.toBe(0);
    expect(ok(coord(cb!, ['claim', '--next'], B)).stdout.trim()).toBe(first);
  });
});
