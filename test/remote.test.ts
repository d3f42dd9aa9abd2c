/**
 * Agents in separate clones, sharing only a git remote: a file:// bare repository, git daemon on
 * 127.0.0.1, and smart HTTP through git http-backend on 127.0.0.1. Real clones, real processes.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, ENV, ROOT, clone, coord, coordAsync, gitRun, gitSync, json, makeHub, runAsync, spawnTracked, tmpdir, write } from './helpers.js';
import { overlaps } from '../src/patterns/overlap.js';
import { parsePattern } from '../src/patterns/pattern.js';

// The library test below runs git in this process: keep it off the machine's git config too.
process.env.GIT_CONFIG_GLOBAL = '/dev/null';
process.env.GIT_CONFIG_NOSYSTEM = '1';

const refsOf = (gitDir: string, prefix = 'refs/coordination/') =>
  gitSync(gitDir, 'for-each-ref', '--format=%(refname)', prefix).split('\n').filter(Boolean);

describe('remote mode through a file:// remote', () => {
  it('a lock is decided at the remote: another clone is refused, then granted after the unlock', () => {
    const { root, hub, url } = makeHub();
    const a = clone(root, url, 'alice');
    const b = clone(root, url, 'bob');
    expect(coord(a, ['lock', 'src/', '--reason', 'refactor']).code).toBe(0);
    expect(refsOf(hub, 'refs/coordination/locks/')).toHaveLength(1);
    const r = coord(b, ['lock', 'src/a.ts']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/locked by alice as src\/ \(refactor\)/);
    expect(coord(a, ['unlock', 'src/']).code).toBe(0);
    expect(refsOf(hub, 'refs/coordination/locks/')).toEqual([]);
    expect(coord(b, ['lock', 'src/a.ts']).code).toBe(0);
    // --remote on the command line works without any config, too.
    expect(coord(b, ['locks', '--fresh', '--json', '--remote', 'origin']).code).toBe(0);
  });

  it('reads use the local view and say how old it is; --fresh and sync refresh it', () => {
    const { root, url } = makeHub();
    const a = clone(root, url, 'alice');
    const b = clone(root, url, 'bob');
    coord(a, ['lock', 'docs/']);
    const stale = coord(b, ['locks', '--json']);
    expect(json(stale)).toEqual([]);
    expect(stale.stderr).toMatch(/view of remote 'origin', never synced/);
    expect(json(coord(b, ['locks', '--json', '--fresh'])).map((l: any) => l.pattern)).toEqual(['docs/']);
    coord(a, ['unlock', 'docs/']);
    // b's view still shows the lock (stale) until it syncs; the remote decides regardless.
    expect(json(coord(b, ['locks', '--json'])).map((l: any) => l.pattern)).toEqual(['docs/']);
    expect(coord(b, ['lock', 'docs/x.md']).code).toBe(0);
    const s = coord(b, ['sync', '--json']);
    expect(json(s)).toMatchObject({ ok: true, remote: 'origin', locks: 1 });
    expect(json(coord(b, ['locks', '--json'])).map((l: any) => l.pattern)).toEqual(['docs/x.md']);
    expect(json(coord(b, ['status', '--json'])).view).toMatchObject({ remote: 'origin' });
    // The history comes from the remote too.
    const log = json(coord(b, ['log', '--json', '--fresh']));
    expect(log.map((e: any) => `${e.agent} ${e.action} ${e.subject}`)).toEqual(
      expect.arrayContaining(['alice lock docs/', 'alice unlock docs/', 'bob lock docs/x.md']),
    );
  });

  it('a first sync that brings a hundred refs leaves the view packed, and the view still reads', () => {
    const { root, url } = makeHub();
    const a = clone(root, url, 'alice');
    const tasks = Array.from({ length: 80 }, (_, i) => JSON.stringify({ title: `task ${i}` })).join('\n');
    fs.writeFileSync(path.join(root, 'tasks.jsonl'), `${tasks}\n`);
    const imported = coord(a, ['task', 'import', path.join(root, 'tasks.jsonl')]);
    expect(imported.code, imported.stderr).toBe(0);
    const b = clone(root, url, 'bob');
    expect(coord(b, ['sync']).code).toBe(0);
    // Every loose ref is a file a user's plain `git fetch` opens: past 64 in the view, they are packed.
    const loose: string[] = [];
    const walk = (d: string) => {
      for (const e of fs.existsSync(d) ? fs.readdirSync(d, { withFileTypes: true }) : []) e.isDirectory() ? walk(path.join(d, e.name)) : loose.push(e.name);
    };
    walk(path.join(b, '.git', 'refs', 'coordination', 'remotes'));
    expect(refsOf(b, 'refs/coordination/remotes/origin/tasks/').length).toBeGreaterThanOrEqual(80);
    expect(loose.length).toBeLessThanOrEqual(64);
    expect(json(coord(b, ['task', 'list', '--json'])).length).toBe(80);
  });

  it('an unreachable remote: exit 1 naming it and git\'s reason, nothing granted; offline reads still work', () => {
    const { root, hub, url } = makeHub();
    const a = clone(root, url, 'alice');
    coord(a, ['lock', 'src/a.ts']);
    coord(a, ['sync']);
    fs.renameSync(hub, `${hub}.away`);
    const r = coord(a, ['lock', 'src/b.ts']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/remote 'origin'/);
    expect(r.stderr).toMatch(/does not appear to be a git repository|Could not read from remote/);
    const offline = coord(a, ['locks', '--json', '--fresh']);
    expect(offline.code).toBe(0);
    expect(json(offline).map((l: any) => l.pattern)).toEqual(['src/a.ts']);
    expect(offline.stderr).toMatch(/cannot reach remote 'origin'.*using the local view/);
    fs.renameSync(`${hub}.away`, hub);
    expect(json(coord(a, ['locks', '--json', '--fresh'])).map((l: any) => l.pattern)).toEqual(['src/a.ts']);
  });

  it('a remote that disappears mid-run: each operation is granted, refused or failed, and none is half-applied', async () => {
    const { root, hub, url } = makeHub();
    const clones = Array.from({ length: 8 }, (_, i) => clone(root, url, `m${i}`));
    const running = clones.map((c, i) => coordAsync(c, ['lock', `mid/${i}.txt`, `mid/shared-${i % 2}/`, '--json']));
    // The remote goes as soon as one lock is granted (or all have ended): some finish before,
    // the others meet the missing remote at whatever step they are in.
    await new Promise<void>((resolve) => {
      for (const r of running) void r.then((x) => x.code === 0 && resolve());
      void Promise.all(running).then(() => resolve());
    });
    fs.renameSync(hub, `${hub}.away`);
    const results = await Promise.all(running);
    for (const r of results) expect([0, 1, 3], r.stderr).toContain(r.code);
    fs.renameSync(`${hub}.away`, hub);
    // What the remote holds as granted is exactly what was reported granted.
    const held = json(coord(clones[0]!, ['locks', '--json', '--fresh']));
    const reported = results.flatMap((r) => (r.code === 0 ? json(r).locks.map((l: any) => `${l.agent} ${l.pattern}`) : []));
    expect(held.map((l: any) => `${l.agent} ${l.pattern}`).sort()).toEqual(reported.sort());
    expect(results.filter((r) => r.code === 0).length).toBeGreaterThan(0);
    // Moving a repository under a running push leaves the ref lock files git made there (it names
    // them by absolute path), as a crash would: what a server's administrator removes (the next
    // test shows how git-coord names such a file). They are not git-coord's doing.
    const left: string[] = [];
    const walk = (d: string) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) e.isDirectory() ? walk(path.join(d, e.name)) : e.name.endsWith('.lock') && left.push(path.join(d, e.name));
    };
    walk(path.join(hub, 'refs'));
    for (const f of left) fs.rmSync(f);
    // A pending record a failed run left behind expires; it never blocks for longer than that.
    const failed = results.map((r, i) => (r.code === 1 ? `mid/${i}.txt` : null)).filter((x): x is string => x !== null);
    if (failed.length > 0) {
      const after = coord(clones[0]!, ['lock', ...failed, '--wait', '45s', '--agent', 'after']);
      expect(after.code, after.stderr).toBe(0);
    }
  });

  it('a lock file left on the remote by a killed git: exit 1 naming it after a few seconds, not endless lost races', () => {
    const { root, hub, url } = makeHub();
    const a = clone(root, url, 'alice');
    expect(coord(a, ['lock', 'src/a.ts']).code).toBe(0);
    // Every change of alice's also moves her journal: a lock file left on it blocks them all.
    const journal = refsOf(hub, 'refs/coordination/journal/');
    expect(journal).toHaveLength(1);
    const file = path.join(hub, `${journal[0]}.lock`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, '');
    const r = coord(a, ['lock', 'src/b.ts']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/remote 'origin' keeps a ref locked: its file '[^']*\.lock' has been there at every try/);
    expect(r.stderr).not.toMatch(/gave up|at .*\(/);
    fs.rmSync(file);
    // Once the file is gone, the request goes through (the pending record of the failed run is
    // alice's own, its writer gone: replaced at once).
    expect(coord(a, ['lock', 'src/b.ts']).code).toBe(0);
    expect(json(coord(a, ['locks', '--json', '--fresh'])).map((l: any) => l.pattern).sort()).toEqual(['src/a.ts', 'src/b.ts']);
  });

  it('a remote that refuses custom refs: exit 1 with its reason, nothing recorded', () => {
    const { root, hub, url } = makeHub();
    fs.writeFileSync(path.join(hub, 'hooks', 'pre-receive'), '#!/bin/sh\necho "custom refs are not allowed here" >&2\nexit 1\n', { mode: 0o755 });
    const a = clone(root, url, 'alice');
    const r = coord(a, ['lock', 'src/']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/remote 'origin' refused the update: .*hook declined/);
    expect(refsOf(hub)).toEqual([]);
    expect(refsOf(a)).toEqual([]);
  });

  it('8 clones racing for one lock through the remote: exactly one winner (3 rounds)', async () => {
    const { root, url } = makeHub();
    const clones = Array.from({ length: 8 }, (_, i) => clone(root, url, `agent${i}`));
    for (let round = 0; round < 3; round++) {
      const results = await Promise.all(clones.map((c) => coordAsync(c, ['lock', `race${round}.txt`])));
      const codes = results.map((r) => r.code);
      expect(codes.filter((c) => c === 0), results.map((r) => r.stderr).join('\n')).toHaveLength(1);
      expect(codes.every((c) => c === 0 || c === 3)).toBe(true);
      expect(json(coord(clones[0]!, ['locks', '--json', '--fresh'])).filter((l: any) => l.pattern === `race${round}.txt`)).toHaveLength(1);
    }
  });

  it('8 clones locking 8 disjoint paths at the same moment: all granted', async () => {
    const { root, url } = makeHub();
    const clones = Array.from({ length: 8 }, (_, i) => clone(root, url, `agent${i}`));
    const results = await Promise.all(clones.map((c, i) => coordAsync(c, ['lock', `area${i}/`])));
    expect(results.map((r) => r.code), results.map((r) => r.stderr).join('\n')).toEqual(Array(8).fill(0));
    expect(json(coord(clones[0]!, ['locks', '--json', '--fresh']))).toHaveLength(8);
  });

  it('soak: 8 clones mixing lock, unlock, renew and takeover: no double grant ever, every grant in the history', async () => {
    const { root, url } = makeHub();
    const agents = Array.from({ length: 8 }, (_, i) => `soak${i}`);
    const clones = agents.map((a) => clone(root, url, a));
    const log = path.join(root, 'soak.jsonl');
    // Each worker makes a fixed number of attempts over overlapping patterns, and logs when it
    // held what: from the moment `lock` returned to the moment it asked to `unlock` (or its lease
    // ran out). How many are granted depends on the machine; the invariants do not.
    const script = `
      const { execFileSync } = require('node:child_process');
      const fs = require('node:fs');
      const [cli, log, agent, attempts] = process.argv.slice(1);
      const patterns = ['shared/', 'shared/a.ts', 'shared/b/', 'shared/**/*.ts', 'other/x.ts'];
      const run = (...a) => { try { return { code: 0, out: execFileSync(process.execPath, [cli, ...a, '--json'], { stdio: 'pipe' }).toString() }; } catch (e) { return { code: e.status, out: String(e.stdout) }; } };
      for (let i = 0; i < Number(attempts); i++) {
        const p = patterns[Math.floor(Math.random() * patterns.length)];
        const ttl = Math.random() < 0.3 ? '1s' : '1m';
        const r = run('lock', p, '--ttl', ttl);
        if (r.code !== 0) {
          if (r.code !== 3) throw new Error('lock exited ' + r.code + ': ' + r.out);
          continue;
        }
        const l = JSON.parse(r.out).locks[0];
        const start = Date.now();
        if (Math.random() < 0.3) run('renew', p);
        if (ttl === '1s' && Math.random() < 0.5) {
          // Abandon it: the lease runs out and someone may take it over.
          fs.appendFileSync(log, JSON.stringify({ agent, pattern: p, start, end: Date.parse(l.expiresAt), token: l.token }) + '\\n');
          continue;
        }
        const end = Math.min(Date.now(), Date.parse(l.expiresAt));
        fs.appendFileSync(log, JSON.stringify({ agent, pattern: p, start, end, token: l.token }) + '\\n');
        run('unlock', p);
      }`;
    const runs = await Promise.all(clones.map((c, i) => runAsync(process.execPath, ['-e', script, CLI, log, agents[i]!, '3'], { cwd: c })));
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    const held = fs.existsSync(log) ? fs.readFileSync(log, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [];
    // Progress, counted: among 24 attempts, at least one is granted (nobody withdraws forever).
    expect(held.length).toBeGreaterThan(0);
    const P = (s: string) => parsePattern(s, { top: root, prefix: '' });
    for (let i = 0; i < held.length; i++) {
      for (let j = i + 1; j < held.length; j++) {
        const x = held[i];
        const y = held[j];
        if (x.agent === y.agent || !overlaps(P(x.pattern), P(y.pattern))) continue;
        const overlapMs = Math.min(x.end, y.end) - Math.max(x.start, y.start);
        expect(overlapMs, `${x.agent} ${x.pattern} and ${y.agent} ${y.pattern} held together`).toBeLessThanOrEqual(0);
      }
    }
    // Every grant a worker saw is in the history kept at the remote.
    const history = json(coord(clones[0]!, ['log', '-n', '5000', '--json', '--fresh']));
    const granted = new Set(history.filter((e: any) => e.action === 'lock' || e.action === 'takeover').map((e: any) => `${e.agent} ${e.subject}`));
    for (const h of held) expect(granted.has(`${h.agent} ${h.pattern}`), `${h.agent} ${h.pattern}`).toBe(true);
  }, 180_000);

  it('lock/unlock cycles leave no lock refs on the remote, only the journal and a token mark; tokens rise while the clock goes back', async () => {
    const { root, hub, url } = makeHub();
    const a = clone(root, url, 'alice');
    // Through the library, to keep the test quick: same code path as the CLI. Each cycle the
    // clock is an hour further behind.
    const { Coord, Locks } = await import('../src/index.js');
    let now = Date.now();
    const ctx = await Coord.open({ cwd: a, agent: 'alice', env: ENV, now: () => now });
    const locks = new Locks(ctx);
    const last = new Map<string, number>();
    try {
      for (let i = 0; i < 12; i++) {
        const pattern = `cycle/${i % 4}.txt`;
        const [l] = await locks.lock([pattern]);
        expect(l!.token).toBeGreaterThan(last.get(pattern) ?? 0);
        last.set(pattern, l!.token);
        await locks.unlock([pattern]);
        now -= 3_600_000;
      }
    } finally {
      ctx.close();
    }
    expect(refsOf(hub, 'refs/coordination/locks/')).toEqual([]);
    expect(refsOf(hub)).toEqual(['refs/coordination/journal/alice', 'refs/coordination/tokens/p-cycle/t-alice']);
  });

  it('clones locking and unlocking their own files in one directory lose no rounds: each releases into its own token mark', async () => {
    const { root, hub, url } = makeHub();
    const agents = ['a0', 'a1', 'a2', 'a3', 'a4'];
    const clones = agents.map((a) => clone(root, url, a));
    let pushes = 0;
    const rounds = 3;
    await Promise.all(
      clones.map(async (c, i) => {
        for (let k = 0; k < rounds; k++) {
          for (const args of [['lock', `src/own-${i}.ts`], ['unlock', `src/own-${i}.ts`]]) {
            const r = await coordAsync(c, args, { GIT_COORD_TRACE: '1' });
            expect(r.code, r.stderr).toBe(0);
            pushes += (r.stderr.match(/git push /g) ?? []).length;
          }
        }
      }),
    );
    // A lock is two pushes (pending, grant), an unlock one: every push beyond is a lost round.
    expect(pushes - agents.length * rounds * 3).toBe(0);
    expect(refsOf(hub, 'refs/coordination/tokens/')).toEqual(agents.map((a) => `refs/coordination/tokens/p-src/t-${a}`));
  }, 180_000);

  it('the fencing token of one pattern rises strictly across agents: a grant reads every mark of its directory', async () => {
    const { root, url } = makeHub();
    const a = clone(root, url, 'alice');
    const b = clone(root, url, 'bob');
    const { Coord, Locks } = await import('../src/index.js');
    // bob's clock is an hour behind alice's: only alice's mark can keep bob's token above hers.
    const base = Date.now();
    const ca = await Coord.open({ cwd: a, agent: 'alice', env: ENV, now: () => base });
    const cb = await Coord.open({ cwd: b, agent: 'bob', env: ENV, now: () => base - 3_600_000 });
    try {
      const la = new Locks(ca);
      const lb = new Locks(cb);
      let last = 0;
      for (let i = 0; i < 3; i++) {
        for (const l of [la, lb]) {
          const [got] = await l.lock(['src/a.ts']);
          expect(got!.token).toBeGreaterThan(last);
          last = got!.token;
          await l.unlock(['src/a.ts']);
        }
      }
      // A release by another agent (forced) raises the releaser's mark, and the next grant is above it too.
      const [held] = await la.lock(['src/a.ts']);
      await lb.unlock(['src/a.ts'], { force: true, reason: 'gone' });
      const [next] = await lb.lock(['src/a.ts']);
      expect(next!.token).toBeGreaterThan(held!.token);
    } finally {
      ca.close();
      cb.close();
    }
  });

  it('the old shared token mark of a directory is still honoured', () => {
    const { root, url } = makeHub();
    const a = clone(root, url, 'alice');
    // A mark as the previous version wrote it: refs/coordination/tokens/p-src/t, far above the clock.
    const high = Date.now() + 10 * 365 * 86_400_000;
    const empty = gitSync(a, 'hash-object', '-t', 'tree', '-w', '/dev/null').trim();
    const oid = gitSync(a, 'commit-tree', '-m', `tokens ${high}`, '-m', JSON.stringify({ v: 1, type: 'tokens', max: high }), empty).trim();
    gitSync(a, 'push', '-q', 'origin', `${oid}:refs/coordination/tokens/p-src/t`);
    const r = json(coord(a, ['lock', 'src/a.ts', '--json']));
    expect(r.locks[0].token).toBeGreaterThan(high);
  });
});

describe('enforcement beyond pre-commit', () => {
  it('commits carry a Coord-Agent trailer, even with --no-verify, without starting Node', () => {
    const { root, url } = makeHub();
    const a = clone(root, url, 'alice', true);
    write(a, { 'new.txt': 'n' });
    gitSync(a, 'add', '-A');
    gitSync(a, 'commit', '-q', '-m', 'with hooks');
    expect(gitSync(a, 'log', '-1', '--format=%(trailers:key=Coord-Agent,valueonly)').trim()).toBe('alice');
    write(a, { 'new.txt': 'm' });
    gitSync(a, 'commit', '-q', '--no-verify', '-am', 'skipping checks');
    expect(gitSync(a, 'log', '-1', '--format=%(trailers:key=Coord-Agent,valueonly)').trim()).toBe('alice');
    expect(fs.readFileSync(path.join(a, '.git', 'hooks', 'prepare-commit-msg'), 'utf8')).not.toMatch(/node/);
  });

  it('pre-push checks every commit, not only the tip, and lets the holder push', () => {
    const { root, url } = makeHub();
    const a = clone(root, url, 'alice', true);
    const b = clone(root, url, 'bob', true);
    coord(a, ['lock', 'src/a.ts', '--reason', 'alice owns a']);
    // bob: a commit touching the held path, then an unrelated one on top.
    write(b, { 'src/a.ts': 'bob was here\n' });
    gitSync(b, 'commit', '-q', '--no-verify', '-am', 'bob touches a');
    write(b, { 'docs/x.md': 'docs\n' });
    gitSync(b, 'commit', '-q', '-am', 'bob docs');
    const r = gitRun(b, ['push', 'origin', 'main']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/"bob touches a" \(by bob\): src\/a\.ts is locked by alice as src\/a\.ts \("alice owns a"\)/);
    expect(r.stderr).toMatch(/What you can do/);
    // The holder's own commit goes through.
    write(a, { 'src/a.ts': 'alice change\n' });
    gitSync(a, 'commit', '-q', '-am', 'alice changes a');
    expect(gitRun(a, ['push', '-q', 'origin', 'main']).code).toBe(0);
  });

  it('a merge that carries the holder\'s commit unchanged passes pre-push', () => {
    const { root, url } = makeHub();
    const a = clone(root, url, 'alice', true);
    const b = clone(root, url, 'bob', true);
    coord(a, ['lock', 'src/a.ts']);
    write(a, { 'src/a.ts': 'alice change\n' });
    gitSync(a, 'commit', '-q', '-am', 'alice changes a');
    gitSync(a, 'push', '-q', 'origin', 'main:alice-branch');
    // bob works on other files, merges alice's branch, and pushes the merge.
    write(b, { 'docs/x.md': 'bob docs\n' });
    gitSync(b, 'commit', '-q', '-am', 'bob docs');
    gitSync(b, 'fetch', '-q', 'origin');
    const m = gitRun(b, ['merge', '-q', '--no-edit', 'origin/alice-branch']);
    expect(m.code, m.stderr).toBe(0);
    const p = gitRun(b, ['push', 'origin', 'main']);
    expect(p.code, p.stderr).toBe(0);
  });

  it('the server-side hook refuses what --no-verify let through, and passes the holder and coordination refs', () => {
    const { root, hub, url } = makeHub();
    expect(coord(hub, ['install-hooks']).stdout).toMatch(/pre-receive.*server side/);
    expect(coord(hub, ['install-hooks']).code).toBe(0);
    const a = clone(root, url, 'alice', true);
    const b = clone(root, url, 'bob', true);
    expect(coord(a, ['lock', 'src/', '--reason', 'server test']).code).toBe(0); // coordination refs pass
    write(b, { 'src/b.ts': 'sneaky\n' });
    gitSync(b, 'commit', '-q', '--no-verify', '-am', 'bob sneaks');
    const r = gitRun(b, ['push', '--no-verify', 'origin', 'main']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/remote: git-coord: push refused by the server/);
    expect(r.stderr).toMatch(/src\/b\.ts is locked by alice as src\/ \("server test"\)/);
    write(a, { 'src/b.ts': 'alice\n' });
    gitSync(a, 'commit', '-q', '-am', 'alice edits b');
    expect(gitRun(a, ['push', '--no-verify', 'origin', 'main']).code).toBe(0);
    coord(a, ['unlock', 'src/']);
    gitSync(b, 'reset', '-q', '--hard', 'origin/main');
    gitSync(b, 'pull', '-q', '--no-rebase', 'origin', 'main');
    write(b, { 'src/b.ts': 'bob, after the unlock\n' });
    gitSync(b, 'commit', '-q', '-am', 'bob edits b');
    expect(gitRun(b, ['push', '--no-verify', 'origin', 'main']).code).toBe(0);
  });

  it('pre-commit in remote mode: refreshes an old view; offline it fails open or closed as configured', () => {
    const { root, hub, url } = makeHub('remote: origin\nhooks:\n  refresh: always\n  timeout: 5s\n  offline: refuse\n');
    const a = clone(root, url, 'alice', true);
    const b = clone(root, url, 'bob', true);
    coord(a, ['lock', 'src/a.ts']);
    write(b, { 'src/a.ts': 'x\n' });
    gitSync(b, 'add', '-A');
    // bob never synced, yet the hook refreshes and refuses.
    expect(gitRun(b, ['commit', '-q', '-m', 'x']).code).not.toBe(0);
    gitSync(b, 'reset', '-q', '--hard');
    write(b, { 'docs/x.md': 'y\n' });
    gitSync(b, 'add', '-A');
    fs.renameSync(hub, `${hub}.away`);
    const closed = gitRun(b, ['commit', '-q', '-m', 'offline']);
    expect(closed.code).not.toBe(0);
    expect(closed.stderr).toMatch(/cannot reach remote 'origin'.*refusing, since hooks.offline is refuse/);
    write(b, { '.git-coord.yml': 'remote: origin\nhooks:\n  refresh: always\n  offline: allow\n' });
    gitSync(b, 'add', '-A');
    const open = gitRun(b, ['commit', '-q', '-m', 'offline']);
    expect(open.code, open.stderr).toBe(0);
    expect(open.stderr).toMatch(/checking against the local view/);
  });
});

/** A free TCP port on 127.0.0.1. */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const c = net.connect(port, '127.0.0.1', () => (c.end(), resolve(true)));
      c.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listening on ${port}`);
}

describe('network transports on loopback', () => {
  it('git daemon on 127.0.0.1: refusal, unlock, and a race with one winner', async () => {
    const { root, hub } = makeHub();
    gitSync(hub, 'config', 'daemon.receivepack', 'true');
    const port = await freePort();
    spawnTracked('git', ['daemon', '--reuseaddr', '--listen=127.0.0.1', `--port=${port}`, `--base-path=${root}`, '--export-all', '--enable=receive-pack', root], { env: ENV, stdio: 'ignore' });
    await waitForPort(port);
    const url = `git://127.0.0.1:${port}/hub.git`;
    const clones = Array.from({ length: 4 }, (_, i) => clone(root, url, `d${i}`));
    expect(coord(clones[0]!, ['lock', 'src/', '--reason', 'over git://']).code).toBe(0);
    expect(coord(clones[1]!, ['lock', 'src/a.ts']).code).toBe(3);
    expect(coord(clones[0]!, ['unlock', 'src/']).code).toBe(0);
    const results = await Promise.all(clones.map((c) => coordAsync(c, ['lock', 'hot.txt'])));
    expect(results.filter((r) => r.code === 0), results.map((r) => r.stderr).join('\n')).toHaveLength(1);
  });

  it('smart HTTP through git http-backend on 127.0.0.1: lock, refusal, unlock', async () => {
    const { root, hub } = makeHub();
    gitSync(hub, 'config', 'http.receivepack', 'true');
    // The server runs in its own process: the test's git calls are synchronous.
    const server = spawnTracked(process.execPath, [path.join(ROOT, 'test', 'http-backend.mjs'), root], { env: ENV, stdio: ['pipe', 'pipe', 'inherit'] });
    const port = await new Promise<number>((resolve) => server.stdout!.once('data', (d) => resolve(Number(String(d).trim()))));
    const url = `http://127.0.0.1:${port}/hub.git`;
    const a = clone(root, url, 'alice');
    const b = clone(root, url, 'bob');
    const l = coord(a, ['lock', 'docs/', '--reason', 'over http']);
    expect(l.code, l.stderr).toBe(0);
    expect(coord(b, ['lock', 'docs/x.md']).stderr).toMatch(/locked by alice as docs\/ \(over http\)/);
    expect(coord(a, ['unlock', 'docs/']).code).toBe(0);
    expect(coord(b, ['lock', 'docs/x.md']).code).toBe(0);
  });

  it('smart HTTP speaks protocol v2 (Git-Protocol passed through): reads ask only for their prefixes, never the whole ref list', async () => {
    const { root, hub } = makeHub();
    gitSync(hub, 'config', 'http.receivepack', 'true');
    // Refs a coordination read must not be sent.
    const seed = path.join(root, 'seed');
    gitSync(seed, 'update-ref', 'refs/heads/other', 'HEAD');
    gitSync(seed, 'push', '-q', hub, 'refs/heads/other');
    const server = spawnTracked(process.execPath, [path.join(ROOT, 'test', 'http-backend.mjs'), root], { env: ENV, stdio: ['pipe', 'pipe', 'inherit'] });
    const port = await new Promise<number>((resolve) => server.stdout!.once('data', (d) => resolve(Number(String(d).trim()))));
    const a = clone(root, `http://127.0.0.1:${port}/hub.git`, 'alice');
    // git itself: a fetch with a refspec sends ref-prefix lines over v2.
    const f = gitRun(a, ['fetch', 'origin', '+refs/coordination/locks/*:refs/coordination/remotes/origin/locks/*'], { GIT_TRACE_PACKET: '1' });
    expect(f.stderr).toMatch(/< version 2/);
    expect(f.stderr).toMatch(/> ref-prefix refs\/coordination\/locks\//);
    // git-coord's decision reads: prefixes asked, and no branch ever listed to it.
    const trace = path.join(root, 'trace');
    const l = coord(a, ['lock', 'docs/'], { GIT_TRACE_PACKET: trace, GIT_TRACE: trace });
    expect(l.code, l.stderr).toBe(0);
    const t = fs.readFileSync(trace, 'utf8');
    expect(t).toMatch(/> ref-prefix refs\/coordination\/locks\//);
    // (a push is advertised every ref: receive-pack has no protocol v2)
    expect(t).not.toMatch(/fetch< [0-9a-f]{40} refs\/heads\/other/);
    expect(t).toMatch(/< [0-9a-f]{40} refs\/heads\/other/);
    expect(t).not.toMatch(/ls-remote/);
  });
});

describe('"unchanged" checks through a remote', () => {
  it('task depend a b in one clone and task depend b a in another, at once: at most one succeeds (6 rounds)', async () => {
    const { root, url } = makeHub();
    const a = clone(root, url, 'alice');
    const b = clone(root, url, 'bob');
    let both = 0;
    let one = 0;
    for (let round = 0; round < 6; round++) {
      const [x, y] = [`a${round}`, `b${round}`];
      expect(coord(a, ['task', 'add', '--id', x, `task ${x}`]).code).toBe(0);
      expect(coord(a, ['task', 'add', '--id', y, `task ${y}`]).code).toBe(0);
      const [r1, r2] = await Promise.all([coordAsync(a, ['task', 'depend', x, y]), coordAsync(b, ['task', 'depend', y, x])]);
      for (const r of [r1, r2]) expect([0, 2], r.stderr).toContain(r.code);
      if (r1.code === 0 && r2.code === 0) both++;
      if ((r1.code === 0) !== (r2.code === 0)) one++;
      // The remote's graph has no cycle: the two tasks do not depend on each other both.
      const sx = json(coord(a, ['task', 'show', x, '--json', '--fresh']));
      const sy = json(coord(a, ['task', 'show', y, '--json', '--fresh']));
      expect(sx.dependsOn.includes(y) && sy.dependsOn.includes(x)).toBe(false);
    }
    expect(both).toBe(0);
    expect(one).toBe(6);
  });

  it('a verifying swap moves its namespace check ref, leased: two task adds of one id cannot both land', async () => {
    const { root, hub, url } = makeHub();
    const clones = ['c0', 'c1', 'c2', 'c3'].map((n) => clone(root, url, n));
    for (let round = 0; round < 3; round++) {
      const rs = await Promise.all(clones.map((c) => coordAsync(c, ['task', 'add', '--id', `same${round}`, 'one id'])));
      expect(rs.filter((r) => r.code === 0), rs.map((r) => r.stderr).join('\n')).toHaveLength(1);
    }
    // checks/journal: the ready index's build after the first add writes no history entry, so it verifies its agent's journal unchanged.
    expect(refsOf(hub, 'refs/coordination/checks/')).toEqual(['refs/coordination/checks/journal', 'refs/coordination/checks/tasks']);
  });
});

describe('a first sync takes the live state', () => {
  it('a new clone syncs shallow (journal tips only), log fetches older history on demand, later fetches are whole', () => {
    const { root, url } = makeHub();
    const a = clone(root, url, 'alice');
    for (let i = 0; i < 12; i++) {
      expect(coord(a, ['lock', `docs/f${i}.md`]).code).toBe(0);
      expect(coord(a, ['unlock', `docs/f${i}.md`]).code).toBe(0);
    }
    const b = clone(root, url, 'bob');
    expect(coord(b, ['sync']).code).toBe(0);
    const view = 'refs/coordination/remotes/origin/journal/alice';
    // Only the tip of alice's journal came: its history stays on the remote.
    expect(gitSync(b, 'rev-list', '--count', '--first-parent', view).trim()).toBe('1');
    // Later fetches are not shallow: a new entry arrives on top of the tip already here.
    expect(coord(a, ['lock', 'docs/g.md']).code).toBe(0);
    expect(coord(b, ['sync']).code).toBe(0);
    expect(gitSync(b, 'rev-list', '--count', '--first-parent', view).trim()).toBe('2');
    // log walks past the boundary: the older history is fetched then.
    const log = json(coord(b, ['log', '--json', '-n', '40']));
    expect(log.filter((e: any) => e.agent === 'alice' && e.action === 'unlock')).toHaveLength(12);
    expect(Number(gitSync(b, 'rev-list', '--count', '--first-parent', view).trim())).toBeGreaterThan(20);
    expect(gitRun(b, ['fsck', '--no-progress']).code).toBe(0);
  });
});
