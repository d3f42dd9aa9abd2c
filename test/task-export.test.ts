/**
 * `task export`: the board as JSON Lines that `task import` reads back into an empty repository.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, ENV, clone, coord, json, makeHub, makeRepo, type Run, ok } from './helpers.js';
import { exportLine } from '../src/tasks/export.js';
import type { TaskView } from '../src/tasks/rules.js';

function coordIn(cwd: string, args: string[], input: string): Run {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, env: ENV, input, encoding: 'utf8' });
  return { code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
}

const A = ['--agent', 'alice'];
/** What an import must reproduce of each task. */
const fields = (t: TaskView) => ({ id: t.id, title: t.title, priority: t.priority, labels: t.labels, dependsOn: t.dependsOn, body: t.body, status: t.status });

describe('task export', () => {
  it('export | import into an empty repository reproduces ids, fields, dependencies and the board order', () => {
    const src = makeRepo();
    ok(coord(src, ['task', 'add', 'Design the schema', '--id', 'schema', '--priority', '1', '--label', 'db', '--body', 'tables:\n- users\n- ünïcödé ✓', ...A]));
    ok(coord(src, ['task', 'add', 'Write migrations', '--id', 'migrate', '--depends-on', 'schema', '--label', 'db', '--label', 'ops', ...A]));
    ok(coord(src, ['task', 'add', 'API endpoints', '--depends-on', 'schema', '--priority', '0', ...A])); // a generated id
    ok(coord(src, ['task', 'add', 'Docs', '--id', 'docs', '--priority', '4', ...A]));
    ok(coord(src, ['task', 'depend', 'docs', 'migrate', ...A]));
    const exported = ok(coord(src, ['task', 'export'])).stdout;
    const lines = exported.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(4);
    expect(lines.map((l) => l.id).slice(0, 2)).toEqual(['schema', 'migrate']); // creation order
    for (const l of lines) expect(l).not.toHaveProperty('status'); // open tasks: exactly what import takes today

    const dst = makeRepo();
    const imported = ok(coordIn(dst, ['task', 'import', '-', '--agent', 'bob'], exported));
    expect(imported.stdout.trim().split('\n')).toEqual(lines.map((l) => l.id));
    const before = json<TaskView[]>(coord(src, ['task', 'list', '--json']));
    const after = json<TaskView[]>(coord(dst, ['task', 'list', '--json']));
    expect(after.map(fields)).toEqual(before.map(fields)); // same tasks, same order (most urgent first)
    expect(after.map((t) => [t.id, t.ready, t.blockedBy])).toEqual(before.map((t) => [t.id, t.ready, t.blockedBy]));
    // And the copy exports to the very same lines.
    expect(ok(coord(dst, ['task', 'export'])).stdout).toBe(exported);
  });

  it('to a file, or with --json as one array; an empty board exports nothing', () => {
    const dir = makeRepo();
    expect(ok(coord(dir, ['task', 'export'])).stdout).toBe('');
    expect(json(ok(coord(dir, ['task', 'export', '--json'])))).toEqual([]);
    ok(coord(dir, ['task', 'add', 'one', '--id', 'one', ...A]));
    ok(coord(dir, ['task', 'add', 'two', '--id', 'two', '--depends-on', 'one', ...A]));
    const stdout = ok(coord(dir, ['task', 'export'])).stdout;
    const file = path.join(dir, '.git', 'board.jsonl');
    const r = ok(coord(dir, ['task', 'export', file]));
    expect(r.stdout).toBe(`exported 2 tasks to ${file}\n`);
    expect(fs.readFileSync(file, 'utf8')).toBe(stdout);
    expect(json(ok(coord(dir, ['task', 'export', file, '--json'])))).toEqual({ file, tasks: 2 });
    expect(json(ok(coord(dir, ['task', 'export', '--json'])))).toEqual(stdout.trimEnd().split('\n').map((l) => JSON.parse(l)));
    expect(coord(dir, ['task', 'export', 'a', 'b']).code).toBe(2);
    expect(coord(dir, ['task', 'export', path.join(dir, 'no-such-dir', 'x.jsonl')]).code).toBe(1);
  });

  it('claimed, done and failed tasks carry their status and what goes with it', () => {
    const dir = makeRepo();
    for (const id of ['c', 'd', 'f', 'o']) ok(coord(dir, ['task', 'add', `task ${id}`, '--id', id, ...A]));
    ok(coord(dir, ['claim', 'c', '--ttl', '1h', ...A]));
    ok(coord(dir, ['claim', 'd', ...A]));
    ok(coord(dir, ['task', 'done', 'd', '--note', 'shipped', ...A]));
    ok(coord(dir, ['claim', 'f', ...A]));
    ok(coord(dir, ['task', 'fail', 'f', '--reason', 'flaky upstream', ...A]));
    const byId = Object.fromEntries(ok(coord(dir, ['task', 'export'])).stdout.trimEnd().split('\n').map((l) => [JSON.parse(l).id, JSON.parse(l)]));
    expect(byId.c).toMatchObject({ status: 'claimed', claimedBy: 'alice' });
    expect(Date.parse(byId.c.claimExpiresAt)).toBeGreaterThan(Date.now());
    expect(byId.d).toMatchObject({ status: 'done', note: 'shipped' });
    expect(byId.d).not.toHaveProperty('claimedBy');
    expect(byId.f).toMatchObject({ status: 'failed', reason: 'flaky upstream' });
    expect(Object.keys(byId.o).sort()).toEqual(['body', 'dependsOn', 'id', 'labels', 'priority', 'title']);
  });

  it('parents and comments, when a task has them, go on its line', () => {
    const t = {
      id: 'child', title: 'c', body: '', status: 'open', priority: 2, labels: [], dependsOn: [], claimedBy: null, claimedAt: null,
      claimExpiresAt: null, locks: [], createdAt: '2026-01-01T00:00:00.000Z', createdBy: 'a', updatedAt: '2026-01-01T00:00:00.000Z',
      note: null, reason: null, ready: true, blockedBy: [], parent: null, children: [], comments: [], commentsDropped: 0,
    } satisfies TaskView;
    expect(exportLine(t)).not.toHaveProperty('parent');
    const withMore = { ...t, parent: 'epic', comments: [{ agent: 'bob', at: '2026-01-02T00:00:00.000Z', text: 'found it' }] };
    expect(exportLine(withMore)).toMatchObject({ parent: 'epic', comments: [{ agent: 'bob', at: '2026-01-02T00:00:00.000Z', text: 'found it' }] });
  });

  it('through a remote: a clone exports the board as the remote has it', () => {
    const { root, url } = makeHub();
    const a = clone(root, url, 'alice');
    const b = clone(root, url, 'bob');
    ok(coord(a, ['task', 'add', 'from alice', '--id', 'x1']));
    const lines = ok(coord(b, ['task', 'export'])).stdout.trimEnd().split('\n');
    expect(lines.map((l) => JSON.parse(l).id)).toEqual(['x1']);
  });

  it('export | import into an empty repository reproduces ids, fields, status, dependencies, parents and comments', () => {
    const src = makeRepo();
    ok(coord(src, ['task', 'add', 'Epic', '--id', 'epic', '--priority', '1', '--label', 'big', ...A]));
    ok(coord(src, ['task', 'add', 'Schema', '--id', 'schema', '--parent', 'epic', '--body', 'tables', ...A]));
    ok(coord(src, ['task', 'add', 'API', '--id', 'api', '--parent', 'epic', '--depends-on', 'schema', ...A]));
    ok(coord(src, ['task', 'add', 'Flaky', '--id', 'flaky', '--parent', 'epic', ...A]));
    ok(coord(src, ['task', 'add', 'Sub-step', '--id', 'sub', '--parent', 'api', ...A]));
    ok(coord(src, ['task', 'add', 'Held', '--id', 'held', ...A]));
    ok(coord(src, ['task', 'comment', 'schema', 'users table first', ...A]));
    ok(coord(src, ['task', 'comment', 'schema', 'multi\nline ✓', '--agent', 'bob']));
    ok(coord(src, ['task', 'comment', 'epic', 'kick-off', ...A]));
    ok(coord(src, ['claim', 'schema', ...A]));
    ok(coord(src, ['task', 'done', 'schema', '--note', 'shipped', ...A]));
    ok(coord(src, ['claim', 'flaky', ...A]));
    ok(coord(src, ['task', 'fail', 'flaky', '--reason', 'upstream down', ...A]));
    ok(coord(src, ['claim', 'held', ...A]));
    const exported = ok(coord(src, ['task', 'export'])).stdout;
    const lines = exported.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(lines.find((l) => l.id === 'api')).toMatchObject({ parent: 'epic', dependsOn: ['schema'] });
    expect(lines.find((l) => l.id === 'schema')).toMatchObject({ status: 'done', note: 'shipped', parent: 'epic', comments: [{ agent: 'alice', text: 'users table first' }, { agent: 'bob', text: 'multi\nline ✓' }] });

    const dst = makeRepo();
    ok(coordIn(dst, ['task', 'import', '-', '--agent', 'carol'], exported));
    const full = (t: TaskView) => ({ ...fields(t), note: t.note, reason: t.reason, parent: t.parent, children: t.children, comments: t.comments, ready: t.ready, blockedBy: t.blockedBy });
    const before = json<TaskView[]>(coord(src, ['task', 'list', '--json']));
    const after = json<TaskView[]>(coord(dst, ['task', 'list', '--json']));
    // A claim does not cross boards: the claimed task comes in open (the history says who had it).
    const unclaimed = before.map((t) => (t.id === 'held' ? { ...t, status: 'open' as const, ready: true } : t));
    expect(after.map(full)).toEqual(unclaimed.map(full));
    expect(after.find((t) => t.id === 'epic')!.children).toEqual(['schema', 'api', 'flaky']);
    expect(ok(coord(dst, ['task', 'show', 'epic'])).stdout).toMatch(/children \(3\):\n\s+schema  done  Schema\n\s+api  open  API\n\s+flaky  failed  Flaky/);
    const log = json<{ action: string; subject: string; reason?: string }[]>(coord(dst, ['log', '--json']));
    expect(log.find((e) => e.subject === 'held')).toMatchObject({ action: 'add', reason: 'imported; was claimed by alice' });
    // The copy exports to the same lines, but for the claim.
    const again = ok(coord(dst, ['task', 'export'])).stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
    const { status: _s, claimedBy: _c, claimExpiresAt: _e, ...heldLine } = lines.find((l) => l.id === 'held');
    expect(again).toEqual(lines.map((l) => (l.id === 'held' ? heldLine : l)));
    // The parent rule holds on the copy: the epic waits for api and sub.
    ok(coord(dst, ['claim', 'epic', '--agent', 'carol']));
    const refused = coord(dst, ['task', 'done', 'epic', '--agent', 'carol']);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/epic has children not done or failed: api/);
  });

  it('import refuses a done parent with an open child, a parent loop, and a status without what goes with it: exit 2 naming the line', () => {
    const dir = makeRepo();
    const bad = [
      '{"id":"p","title":"p","status":"done"}\n{"id":"c","title":"c","parent":"p"}\n',
      '{"id":"a","title":"a","parent":"b"}\n{"id":"b","title":"b","parent":"a"}\n',
      '{"id":"f","title":"f","status":"failed"}\n',
      '{"id":"n","title":"n","note":"only with done"}\n',
      '{"id":"x","title":"x","parent":"nobody"}\n',
      '{"id":"y","title":"y","comments":[{"agent":"a","at":"yesterday","text":"t"}]}\n',
      '{"id":"z","title":"z","comments":[{"agent":"a","at":"2026-01-01T00:00:00.000Z","text":""}]}\n',
    ];
    for (const text of bad) {
      const r = coordIn(dir, ['task', 'import', '-', ...A], text);
      expect(r.code, text).toBe(2);
      expect(r.stderr, text).toMatch(/line \d/);
    }
    expect(ok(coord(dir, ['task', 'export'])).stdout).toBe('');
    // A child of a done parent may come in done or failed.
    ok(coordIn(dir, ['task', 'import', '-', ...A], '{"id":"p","title":"p","status":"done"}\n{"id":"c","title":"c","parent":"p","status":"failed","reason":"r"}\n'));
    expect(json<TaskView>(coord(dir, ['task', 'show', 'p', '--json']))).toMatchObject({ status: 'done', children: ['c'] });
  });
});
