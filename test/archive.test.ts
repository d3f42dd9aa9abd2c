/**
 * Finished tasks leave the live set (issue 17): a done or failed task's record moves into its
 * finisher's archive (refs/coordination/tasks/archive/<agent>) in the swap that finishes it, and
 * every reader still finds it: show, list, export, dependencies, claim --next, reopen, parents,
 * the board. Racing finishers lose and double nothing; prune migrates an old board's shelves; a
 * clone's sync never fetches the archives, the reads that need them do (file:// and smart HTTP).
 */
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENV, ROOT, clone, coord, coordAsync, gitRun, gitSync, json, makeHub, makeRepo, ok, spawnTracked, state } from './helpers.js';

const A = { GIT_COORD_AGENT: 'alice' };
const B = { GIT_COORD_AGENT: 'bob' };
const ARCH = 'refs/coordination/tasks/archive/';

function refsUnder(dir: string, prefix = 'refs/coordination/tasks/'): string[] {
  return gitSync(dir, 'for-each-ref', '--format=%(refname)', prefix).split('\n').filter(Boolean);
}

/** Every entry of every archive: path -> the record's id and status. */
function archived(dir: string): { id: string; status: string; archive: string }[] {
  const out: { id: string; status: string; archive: string }[] = [];
  for (const ref of refsUnder(dir, ARCH)) {
    for (const line of gitSync(dir, 'ls-tree', '-r', ref).split('\n').filter(Boolean)) {
      const [meta, p] = line.split('\t');
      const rec = JSON.parse(gitSync(dir, 'cat-file', 'blob', meta!.split(' ')[2]!));
      expect(p!.split('/').pop()).toBe(rec.id);
      out.push({ id: rec.id, status: rec.status, archive: ref.slice(ARCH.length) });
    }
  }
  return out.sort((a, b) => (a.id < b.id ? -1 : 1));
}

function add(dir: string, args: string[], env = A): string {
  return json(ok(coord(dir, ['task', 'add', ...args, '--json'], env))).id;
}

describe('the archive of finished tasks', () => {
  it('done and fail move the record into the finisher\'s archive and leave no shelf ref; every reader finds it', () => {
    const dir = makeRepo();
    add(dir, ['epic', '--id', 'epic']);
    add(dir, ['first', '--id', 'a', '--parent', 'epic']);
    add(dir, ['second', '--id', 'b', '--depends-on', 'a']);
    add(dir, ['third', '--id', 'c', '--parent', 'epic']);
    ok(coord(dir, ['claim', 'a'], A));
    const done = ok(coord(dir, ['task', 'done', 'a', '--note', 'shipped'], A));
    expect(done.stdout).toMatch(/now ready:\n {2}b/);
    ok(coord(dir, ['claim', 'c'], B));
    ok(coord(dir, ['task', 'fail', 'c', '--reason', 'cannot'], B));
    // No done or failed shelf ref, no queue ref for them; one archive per finisher.
    const refs = refsUnder(dir);
    expect(refs.filter((r) => /\/tasks\/(done|failed)\//.test(r))).toEqual([]);
    expect(refs.filter((r) => /\/(a|c)$/.test(r))).toEqual([]);
    expect(refs.filter((r) => r.startsWith(ARCH))).toEqual([`${ARCH}alice`, `${ARCH}bob`]);
    expect(archived(dir)).toEqual([
      { id: 'a', status: 'done', archive: 'alice' },
      { id: 'c', status: 'failed', archive: 'bob' },
    ]);
    // The history is kept: the archive's log, and the journal entry of each finish.
    expect(gitSync(dir, 'log', '--format=%s', `${ARCH}alice`).trim()).toBe('archive a');
    expect(json(ok(coord(dir, ['log', '--json'], A))).map((e: any) => `${e.action} ${e.subject}`)).toEqual(expect.arrayContaining(['done a', 'fail c']));
    // show, list (all, done, failed), export, the board.
    expect(json(ok(coord(dir, ['task', 'show', 'a', '--json'], A)))).toMatchObject({ id: 'a', status: 'done', note: 'shipped' });
    expect(json(ok(coord(dir, ['task', 'show', 'c', '--json'], A)))).toMatchObject({ id: 'c', status: 'failed', reason: 'cannot' });
    expect(json(ok(coord(dir, ['task', 'show', 'epic', '--json'], A))).childTasks).toEqual([
      { id: 'a', title: 'first', status: 'done' },
      { id: 'c', title: 'third', status: 'failed' },
    ]);
    expect(json(ok(coord(dir, ['task', 'list', '--json'], A))).map((t: any) => t.id).sort()).toEqual(['a', 'b', 'c', 'epic']);
    expect(json(ok(coord(dir, ['task', 'list', '--status', 'done', '--json'], A))).map((t: any) => t.id)).toEqual(['a']);
    expect(json(ok(coord(dir, ['task', 'list', '--status', 'failed', '--json'], A))).map((t: any) => t.id)).toEqual(['c']);
    expect(json(ok(coord(dir, ['task', 'list', '--ready', '--json'], A))).map((t: any) => t.id).sort()).toEqual(['b', 'epic']);
    const exported = ok(coord(dir, ['task', 'export'], A)).stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(exported.map((t: any) => `${t.id}:${t.status ?? 'open'}`).sort()).toEqual(['a:done', 'b:open', 'c:failed', 'epic:open']);
    const board = json(ok(coord(dir, ['status', '--json'], A)));
    expect(board.failed.map((t: any) => t.id)).toEqual(['c']);
    expect(board.ready.map((t: any) => t.id).sort()).toEqual(['b', 'epic']);
    // Dependencies on archived tasks: add and depend accept them; claim --next sees b ready.
    add(dir, ['fourth', '--id', 'd', '--depends-on', 'a']);
    ok(coord(dir, ['task', 'depend', 'd', 'c'], A));
    expect(json(ok(coord(dir, ['task', 'show', 'd', '--json'], A))).blockedBy).toEqual(['c']);
    // Finishing again is refused (exit 3), claiming too.
    expect(coord(dir, ['task', 'done', 'a'], A).code).toBe(3);
    expect(coord(dir, ['claim', 'a'], A).code).toBe(3);
    // The parent: its children are done or failed, so it may be done.
    ok(coord(dir, ['claim', 'epic'], A));
    ok(coord(dir, ['task', 'done', 'epic'], A));
    expect(archived(dir).map((t) => t.id)).toEqual(['a', 'c', 'epic']);
  });

  it('an import of finished tasks puts them straight into the importer\'s archive; export reads back the same', () => {
    const dir = makeRepo();
    const lines = [
      { id: 'x', title: 'done one', status: 'done', note: 'ok' },
      { id: 'y', title: 'failed one', status: 'failed', reason: 'no' },
      { id: 'z', title: 'open one', dependsOn: ['x'] },
    ].map((l) => JSON.stringify(l)).join('\n');
    const file = path.join(dir, '.git', 'tasks.jsonl');
    fs.writeFileSync(file, `${lines}\n`);
    ok(coord(dir, ['task', 'import', file], A));
    expect(refsUnder(dir).filter((r) => /\/tasks\/(done|failed)\//.test(r))).toEqual([]);
    expect(archived(dir)).toEqual([
      { id: 'x', status: 'done', archive: 'alice' },
      { id: 'y', status: 'failed', archive: 'alice' },
    ]);
    expect(json(ok(coord(dir, ['task', 'list', '--ready', '--json'], A))).map((t: any) => t.id)).toEqual(['z']);
    const exported = ok(coord(dir, ['task', 'export'], A)).stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(exported.map((t: any) => `${t.id}:${t.status ?? 'open'}`).sort()).toEqual(['x:done', 'y:failed', 'z:open']);
    // The same ids again: refused (they exist, archived), nothing written.
    const before = state(dir);
    expect(coord(dir, ['task', 'import', file], A).code).toBe(2);
    expect(state(dir)).toBe(before);
  });

  it('a later import finds archived tasks by the ids it names: as dependencies, as parents, as ids taken', () => {
    const dir = makeRepo();
    const done = add(dir, ['old done']);
    const failed = add(dir, ['old failed']);
    ok(coord(dir, ['claim', done], A));
    ok(coord(dir, ['task', 'done', done], A));
    ok(coord(dir, ['claim', failed], A));
    ok(coord(dir, ['task', 'fail', failed, '--reason', 'no'], A));
    // Many finished tasks in a second archive, none named by the file.
    const many = Array.from({ length: 30 }, (_, i) => JSON.stringify({ id: `bulk-${i}`, title: `bulk ${i}`, status: 'done' })).join('\n');
    const bulk = path.join(dir, '.git', 'bulk.jsonl');
    fs.writeFileSync(bulk, `${many}\n`);
    ok(coord(dir, ['task', 'import', bulk], B));
    const file = path.join(dir, '.git', 'later.jsonl');
    const write = (lines: object[]) => fs.writeFileSync(file, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
    write([
      { id: 'after-done', title: 'waits for the done one', dependsOn: [done] },
      { id: 'after-failed', title: 'waits for the failed one', dependsOn: [failed] },
      { id: 'after-bulk', title: 'waits for a bulk one', dependsOn: ['bulk-7'] },
    ]);
    ok(coord(dir, ['task', 'import', file], A));
    const ready = json(ok(coord(dir, ['task', 'list', '--ready', '--json'], A))).map((t: any) => t.id);
    expect(ready.sort()).toEqual(['after-bulk', 'after-done']);
    // A child of a done parent must be finished too; an archived id is taken; nothing written.
    const before = state(dir);
    write([{ id: 'child', title: 'open child', parent: done }]);
    const child = coord(dir, ['task', 'import', file, '--json'], A);
    expect(child.code, child.stderr).toBe(2);
    expect(child.stderr).toMatch(/is done and this child is not done or failed/);
    write([{ id: 'bulk-3', title: 'again' }]);
    const taken = coord(dir, ['task', 'import', file], A);
    expect(taken.code).toBe(2);
    expect(taken.stderr).toMatch(/task bulk-3 already exists/);
    write([{ id: 'ghost-child', title: 'x', dependsOn: ['never-was'] }]);
    expect(coord(dir, ['task', 'import', file], A).stderr).toMatch(/no task never-was/);
    expect(state(dir)).toBe(before);
  });

  it('depend walks into archived tasks by id: a cycle through finished tasks is still refused', () => {
    const dir = makeRepo();
    add(dir, ['the open one', '--id', 'a']);
    add(dir, ['finished, waited for a', '--id', 'f2', '--depends-on', 'a']);
    add(dir, ['finished, waited for f2', '--id', 'f1', '--depends-on', 'f2']);
    add(dir, ['unrelated', '--id', 'u']);
    for (const id of ['f2', 'f1']) {
      ok(coord(dir, ['claim', id], A));
      ok(coord(dir, ['task', 'done', id], A));
    }
    expect(refsUnder(dir).filter((r) => /\/f[12]$/.test(r))).toEqual([]);
    const before = state(dir);
    const cyc = coord(dir, ['task', 'depend', 'a', 'f1'], A);
    expect(cyc.code, cyc.stderr).toBe(2);
    expect(cyc.stderr).toMatch(/would close a cycle/);
    expect(state(dir)).toBe(before);
    // Without a cycle: granted, and ready at once (f1 is done).
    ok(coord(dir, ['task', 'depend', 'u', 'f1'], A));
    expect(json(ok(coord(dir, ['task', 'show', 'u', '--json'], A)))).toMatchObject({ dependsOn: ['f1'], ready: true });
  });

  it('reopen moves a task from the archive back to the open shelf in one swap; a claim --next blocked by it waits again', () => {
    const dir = makeRepo();
    add(dir, ['first', '--id', 'a']);
    add(dir, ['second', '--id', 'b', '--depends-on', 'a']);
    ok(coord(dir, ['claim', 'a'], A));
    ok(coord(dir, ['task', 'done', 'a'], A));
    // bob reopens alice's task: the entry leaves alice's archive.
    ok(coord(dir, ['task', 'reopen', 'a', '--reason', 'regressed'], B));
    expect(archived(dir)).toEqual([]);
    expect(refsUnder(dir).filter((r) => r.endsWith('/a'))).toEqual(['refs/coordination/tasks/open/a']);
    expect(gitSync(dir, 'log', '--format=%s', `${ARCH}alice`).trim().split('\n')).toEqual(['archive a', 'archive a']);
    expect(json(ok(coord(dir, ['task', 'show', 'a', '--json'], A)))).toMatchObject({ status: 'open' });
    expect(coord(dir, ['claim', '--next'], B).stdout.trim()).toBe('a');
    ok(coord(dir, ['task', 'done', 'a'], B));
    expect(archived(dir)).toEqual([{ id: 'a', status: 'done', archive: 'bob' }]);
    expect(ok(coord(dir, ['claim', '--next'], A)).stdout.trim()).toBe('b');
  });

  it('racing finishers: different tasks at once (one agent and several) lose nothing; two of the same task: one wins', async () => {
    const dir = makeRepo();
    const ids = Array.from({ length: 8 }, (_, i) => add(dir, [`t${i}`, '--id', `t${i}`]));
    const agents = ['alice', 'alice', 'alice', 'alice', 'bob', 'bob', 'carol', 'dave'];
    ids.forEach((id, i) => ok(coord(dir, ['claim', id], { GIT_COORD_AGENT: agents[i]! })));
    const runs = await Promise.all(ids.map((id, i) => coordAsync(dir, ['task', 'done', id], { GIT_COORD_AGENT: agents[i]! })));
    expect(runs.map((r) => r.code), runs.map((r) => r.stderr).join('\n')).toEqual(ids.map(() => 0));
    const all = archived(dir);
    expect(all.map((t) => t.id)).toEqual(ids);
    expect(all.filter((t) => t.archive === 'alice').map((t) => t.id)).toEqual(['t0', 't1', 't2', 't3']);
    // Nothing left on the shelves but the ready index's marker.
    expect(refsUnder(dir).filter((r) => !r.startsWith(ARCH))).toEqual(['refs/coordination/tasks/ready/indexed']);
    // alice's archive history: each of her commits kept one more entry than its parent.
    const counts = gitSync(dir, 'log', '--format=%H', `${ARCH}alice`).trim().split('\n').map((c) => gitSync(dir, 'ls-tree', '-r', '--name-only', c).split('\n').filter(Boolean).length);
    expect(counts).toEqual([4, 3, 2, 1]);
    // Two processes finishing the same task (forced by two agents): exactly one wins.
    const x = add(dir, ['x', '--id', 'x']);
    ok(coord(dir, ['claim', x], A));
    const two = await Promise.all(['bob', 'carol'].map((g) => coordAsync(dir, ['task', 'done', x, '--force', '--reason', 'race'], { GIT_COORD_AGENT: g })));
    expect(two.map((r) => r.code).sort(), two.map((r) => r.stderr).join('\n')).toEqual([0, 3]);
    expect(archived(dir).filter((t) => t.id === 'x')).toHaveLength(1);
  });

  it('prune migrates an old board\'s done and failed shelves into the archive; before that, readers still read them', () => {
    const dir = makeRepo();
    for (const id of ['a', 'b', 'c']) add(dir, [id, '--id', id]);
    add(dir, ['later', '--id', 'd', '--depends-on', 'a']);
    ok(coord(dir, ['claim', 'a'], A));
    ok(coord(dir, ['task', 'done', 'a'], A));
    ok(coord(dir, ['claim', 'b'], A));
    ok(coord(dir, ['task', 'fail', 'b', '--reason', 'no'], A));
    // Make it a board written before the archive: the final records on the shelves, no archive.
    const recA = gitSync(dir, 'rev-parse', 'refs/coordination/journal/alice~2^2').trim();
    const recB = gitSync(dir, 'rev-parse', 'refs/coordination/journal/alice^2').trim();
    expect(gitSync(dir, 'log', '-1', '--format=%s', recA).trim()).toBe('done a');
    gitSync(dir, 'update-ref', 'refs/coordination/tasks/done/a', recA);
    gitSync(dir, 'update-ref', 'refs/coordination/tasks/failed/b', recB);
    gitSync(dir, 'update-ref', '-d', `${ARCH}alice`);
    const readAll = () => ({
      a: json(ok(coord(dir, ['task', 'show', 'a', '--json'], B))).status,
      b: json(ok(coord(dir, ['task', 'show', 'b', '--json'], B))).status,
      done: json(ok(coord(dir, ['task', 'list', '--status', 'done', '--json'], B))).map((t: any) => t.id),
      failed: json(ok(coord(dir, ['task', 'list', '--status', 'failed', '--json'], B))).map((t: any) => t.id),
      ready: json(ok(coord(dir, ['task', 'list', '--ready', '--json'], B))).map((t: any) => t.id).sort(),
    });
    const expected = { a: 'done', b: 'failed', done: ['a'], failed: ['b'], ready: ['c', 'd'] };
    expect(readAll()).toEqual(expected);
    const pruned = json(ok(coord(dir, ['prune', '--json'], B)));
    expect(pruned.tasks).toBe(2);
    expect(refsUnder(dir).filter((r) => /\/tasks\/(done|failed)\//.test(r))).toEqual([]);
    expect(archived(dir)).toEqual([
      { id: 'a', status: 'done', archive: 'bob' },
      { id: 'b', status: 'failed', archive: 'bob' },
    ]);
    expect(readAll()).toEqual(expected);
    // Again: nothing left to move.
    expect(json(ok(coord(dir, ['prune', '--json'], B))).tasks).toBe(0);
    expect(ok(coord(dir, ['claim', '--next'], B)).stdout.trim()).toMatch(/^[cd]$/);
  });

  it('a bad archive entry is skipped with a warning, never a crash; nothing is written by a refused finish', () => {
    const dir = makeRepo();
    add(dir, ['one', '--id', 'a']);
    ok(coord(dir, ['claim', 'a'], A));
    const before = state(dir);
    expect(coord(dir, ['task', 'done', 'a', '--note', 'x'.repeat(100_000)], A).code).toBe(2);
    expect(state(dir)).toBe(before);
    ok(coord(dir, ['task', 'done', 'a'], A));
    // Forge alice's archive: one more entry, at its right path, that is not JSON.
    const blob = gitSync(dir, 'hash-object', '-w', '--stdin').trim();
    const h = crypto.createHash('sha1').update('zz').digest('hex');
    const index = { GIT_INDEX_FILE: path.join(dir, '.git', 'forge-index') };
    gitRun(dir, ['read-tree', `${ARCH}alice`], index);
    gitRun(dir, ['update-index', '--add', '--cacheinfo', `100644,${blob},${h[0]}/${h[1]}/zz`], index);
    const tree = gitRun(dir, ['write-tree'], index).stdout.trim();
    const body = JSON.stringify({ v: 1, type: 'task-archive', count: 2, failed: [] });
    const forged = gitRun(dir, ['commit-tree', tree, '-p', `${ARCH}alice`, '-m', `archive zz\n\n${body}`]).stdout.trim();
    gitSync(dir, 'update-ref', `${ARCH}alice`, forged);
    const list = coord(dir, ['task', 'list', '--status', 'done', '--json'], A);
    expect(list.code, list.stderr).toBe(0);
    expect(json(list).map((t: any) => t.id)).toEqual(['a']);
    expect(list.stderr).toMatch(/skipping unreadable entry zz of task archive/);
    // The archive stays writable: the next finish keeps the forged entry as it is.
    add(dir, ['two', '--id', 'b']);
    ok(coord(dir, ['claim', 'b'], A));
    ok(coord(dir, ['task', 'done', 'b'], A));
    expect(gitSync(dir, 'ls-tree', '-r', '--name-only', `${ARCH}alice`).split('\n').filter(Boolean).length).toBe(3);
  });

  it('an archive entry forged for a task still live on the open shelf never lists it as done', () => {
    const dir = makeRepo();
    add(dir, ['one', '--id', 'a']);
    ok(coord(dir, ['claim', 'a'], A));
    ok(coord(dir, ['task', 'done', 'a'], A));
    add(dir, ['live', '--id', 'c']);
    // alice's archive gains an entry saying c is done: a's record, renamed.
    const ha = crypto.createHash('sha1').update('a').digest('hex');
    const rec = JSON.parse(gitSync(dir, 'cat-file', '-p', `${ARCH}alice:${ha[0]}/${ha[1]}/a`));
    const forgedBlob = spawnSync('git', ['hash-object', '-w', '--stdin'], { cwd: dir, env: ENV, input: JSON.stringify({ ...rec, id: 'c' }), encoding: 'utf8' }).stdout.trim();
    const hc = crypto.createHash('sha1').update('c').digest('hex');
    const index = { GIT_INDEX_FILE: path.join(dir, '.git', 'forge-index') };
    gitRun(dir, ['read-tree', `${ARCH}alice`], index);
    gitRun(dir, ['update-index', '--add', '--cacheinfo', `100644,${forgedBlob},${hc[0]}/${hc[1]}/c`], index);
    const tree = gitRun(dir, ['write-tree'], index).stdout.trim();
    const forged = gitRun(dir, ['commit-tree', tree, '-p', `${ARCH}alice`, '-m', `archive c\n\n${JSON.stringify({ v: 1, type: 'task-archive', count: 2, failed: [] })}`]).stdout.trim();
    gitSync(dir, 'update-ref', `${ARCH}alice`, forged);
    expect(json(ok(coord(dir, ['task', 'list', '--status', 'done', '--json'], A))).map((t: any) => t.id)).toEqual(['a']);
    expect(json(ok(coord(dir, ['task', 'show', 'c', '--json'], A))).status).toBe('open');
  });
});

describe('the archive through a remote', () => {
  for (const transport of ['file', 'http'] as const) {
    it(`${transport}: sync fetches no archive; show, list and claim --next fetch it on demand; the push leases it`, async () => {
      const { root, hub, url: fileUrl } = makeHub('remote: origin\n', {});
      let url = fileUrl;
      if (transport === 'http') {
        gitSync(hub, 'config', 'http.receivepack', 'true');
        const server = spawnTracked(process.execPath, [path.join(ROOT, 'test', 'http-backend.mjs'), root], { env: ENV, stdio: ['pipe', 'pipe', 'inherit'] });
        const port = await new Promise<number>((resolve) => server.stdout!.once('data', (d) => resolve(Number(String(d).trim()))));
        url = `http://127.0.0.1:${port}/hub.git`;
      }
      const a = clone(root, url, 'alice');
      const b = clone(root, url, 'bob');
      add(a, ['first', '--id', 'a'], {});
      add(a, ['second', '--id', 'b', '--depends-on', 'a'], {});
      ok(coord(a, ['claim', 'a']));
      ok(coord(a, ['task', 'done', 'a']));
      // The swap that archived a also put b, unblocked, in the ready index.
      expect(refsUnder(hub)).toEqual([
        `${ARCH}alice`,
        'refs/coordination/tasks/open/b',
        expect.stringMatching(/queue\/2-\d+-b$/),
        expect.stringMatching(/ready\/2-\d+-b$/),
        'refs/coordination/tasks/ready/indexed',
      ]);
      // bob's first sync: no archive in the view.
      ok(coord(b, ['sync']));
      expect(refsUnder(b, 'refs/coordination/remotes/origin/tasks/').filter((r) => r.includes('/archive/'))).toEqual([]);
      // A read that needs finished tasks fetches the archives.
      expect(json(ok(coord(b, ['task', 'show', 'a', '--json']))).status).toBe('done');
      expect(refsUnder(b, 'refs/coordination/remotes/origin/tasks/archive/')).toEqual(['refs/coordination/remotes/origin/tasks/archive/alice']);
      expect(ok(coord(b, ['claim', '--next'])).stdout.trim()).toBe('b');
      ok(coord(b, ['task', 'done', 'b']));
      // A reopen from another clone rewrites alice's archive, leased: alice's next finish reads again.
      ok(coord(b, ['task', 'reopen', 'a']));
      ok(coord(a, ['claim', 'a']));
      ok(coord(a, ['task', 'done', 'a']));
      expect(archived(hub)).toEqual([
        { id: 'a', status: 'done', archive: 'alice' },
        { id: 'b', status: 'done', archive: 'bob' },
      ]);
      // bob's view is as old as his last read: a sync brings the shelves, and then the archives,
      // older than the view now, are fetched again by the next read that needs them.
      ok(coord(b, ['sync']));
      expect(json(ok(coord(b, ['task', 'list', '--status', 'done', '--json']))).map((t: any) => t.id).sort()).toEqual(['a', 'b']);
      // The board reads the view: after a sync, its archives are fetched once (older than the
      // view), so a task failed elsewhere is listed failed, not lost.
      add(a, ['third', '--id', 'c'], {});
      ok(coord(a, ['claim', 'c']));
      ok(coord(a, ['task', 'fail', 'c', '--reason', 'no']));
      ok(coord(b, ['sync']));
      expect(json(ok(coord(b, ['status', '--json']))).failed.map((t: any) => t.id)).toEqual(['c']);
      const trace = coord(b, ['status', '--json'], { GIT_COORD_TRACE: '1' });
      expect(trace.stderr).not.toMatch(/git fetch/);
    });
  }
});

describe('the archive and the server hook', () => {
  it('passes the archives git-coord writes (done, fail, reopen, prune) and refuses one that stores anything else', () => {
    const { root, hub, url } = makeHub();
    expect(coord(hub, ['install-hooks']).code).toBe(0);
    const a = clone(root, url, 'alice', true);
    add(a, ['one', '--id', 'a'], {});
    add(a, ['two', '--id', 'b'], {});
    ok(coord(a, ['claim', 'a']));
    ok(coord(a, ['task', 'done', 'a']));
    ok(coord(a, ['claim', 'b']));
    ok(coord(a, ['task', 'fail', 'b', '--reason', 'no']));
    ok(coord(a, ['task', 'reopen', 'b']));
    expect(archived(hub)).toEqual([{ id: 'a', status: 'done', archive: 'alice' }]);
    // A commit on an archive ref whose tree holds a source file: refused, the archive stays.
    const tip = gitSync(hub, 'rev-parse', `${ARCH}alice`).trim();
    const blob = gitSync(a, 'hash-object', '-w', '--stdin').trim();
    const index = { GIT_INDEX_FILE: path.join(a, '.git', 'forge-index') };
    gitRun(a, ['read-tree', 'refs/coordination/remotes/origin/tasks/archive/alice'], index);
    gitRun(a, ['update-index', '--add', '--cacheinfo', `100644,${blob},src/evil.ts`], index);
    const tree = gitRun(a, ['write-tree'], index).stdout.trim();
    const forged = gitRun(a, ['commit-tree', tree, '-p', 'refs/coordination/remotes/origin/tasks/archive/alice', '-m', 'archive x']).stdout.trim();
    const push = gitRun(a, ['push', '--no-verify', 'origin', `${forged}:${ARCH}alice`]);
    expect(push.code).not.toBe(0);
    expect(push.stderr).toMatch(/refs\/coordination\/tasks\/archive\/alice: \w+ is not a record/);
    expect(gitSync(hub, 'rev-parse', `${ARCH}alice`).trim()).toBe(tip);
    // A record-shaped archive commit on any other coordination ref: refused as before.
    const other = gitRun(a, ['push', '--no-verify', 'origin', `${tip}:refs/coordination/tasks/open/zz`]);
    expect(other.code).not.toBe(0);
    expect(other.stderr).toMatch(/push refused by the server: refs\/coordination\/ holds only/);
  });
});
