import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, coord, gitSync, json, makeRepo, refs, tmpdir, write } from './helpers.js';

const A = { GIT_COORD_AGENT: 'alice' };
const B = { GIT_COORD_AGENT: 'bob' };

describe('identity', () => {
  it('whoami: flag, then environment, then the worktree identity; none is exit 2', () => {
    const repo = makeRepo();
    const none = coord(repo, ['whoami']);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/whoami --set/);
    expect(coord(repo, ['whoami', '--set', 'wt-agent']).stdout.trim()).toBe('wt-agent');
    expect(coord(repo, ['whoami']).stdout.trim()).toBe('wt-agent');
    expect(coord(repo, ['whoami'], A).stdout.trim()).toBe('alice');
    expect(coord(repo, ['whoami', '--agent', 'carol'], A).stdout.trim()).toBe('carol');
    expect(json(coord(repo, ['--json', 'whoami']))).toEqual({ agent: 'wt-agent' });
  });
  it('two worktrees carry different identities without any environment variable', () => {
    const repo = makeRepo();
    const wt = path.join(tmpdir('wt'), 'wt');
    gitSync(repo, 'worktree', 'add', '-q', wt);
    coord(repo, ['whoami', '--set', 'main-agent']);
    coord(wt, ['whoami', '--set', 'wt-agent']);
    expect(coord(repo, ['whoami']).stdout.trim()).toBe('main-agent');
    expect(coord(wt, ['whoami']).stdout.trim()).toBe('wt-agent');
    // Locks are shared across worktrees.
    expect(coord(repo, ['lock', 'a.txt']).code).toBe(0);
    expect(coord(wt, ['lock', 'a.txt']).code).toBe(3);
  });
  it.each([['--agent', '-bad'], ['--agent', 'has space'], ['--agent', 'x'.repeat(65)]])('bad agent id %s %j is exit 2', (f, v) => {
    const repo = makeRepo();
    const r = coord(repo, ['lock', 'a', f, v]);
    expect(r.code).toBe(2);
    expect(refs(repo)).toEqual([]);
  });
  it('a bad GIT_COORD_AGENT is exit 2', () => {
    expect(coord(makeRepo(), ['whoami'], { GIT_COORD_AGENT: 'no/slash' }).code).toBe(2);
  });
});

describe('usage errors: exit 2, nothing written, no stack trace', () => {
  const cases: [string, string[]][] = [
    ['unknown command', ['frobnicate']],
    ['unknown option', ['lock', 'a', '--frob']],
    ['no pattern', ['lock']],
    ['empty pattern', ['lock', '']],
    ['outside the repository', ['lock', '../x']],
    ['inside .git', ['lock', '.git/config']],
    ['newline', ['lock', 'a\nb']],
    ['bad ttl', ['lock', 'a', '--ttl', 'soon']],
    ['bad wait', ['lock', 'a', '--wait', '5 minutes']],
    ['force without reason', ['unlock', '--force', 'a']],
    ['unlock with nothing', ['unlock']],
    ['bad log count', ['log', '-n', 'x']],
  ];
  it.each(cases)('%s', (_, args) => {
    const repo = makeRepo();
    const r = coord(repo, args, A);
    expect(r.code).toBe(2);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(refs(repo)).toEqual([]);
  });
  it('not inside a git repository', () => {
    const dir = tmpdir('norepo');
    const r = coord(dir, ['locks'], A);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/not inside a git repository/);
  });
  it('--json failures still print one JSON document', () => {
    const r = coord(makeRepo(), ['lock', '../x', '--json'], A);
    expect(r.code).toBe(2);
    expect(json(r)).toMatchObject({ ok: false, code: 2 });
  });
  it('--help and --version exit 0', () => {
    const repo = makeRepo();
    expect(coord(repo, ['--help']).code).toBe(0);
    expect(coord(repo, ['--version']).stdout).toMatch(/\d+\.\d+\.\d+/);
    expect(coord(repo, ['lock', '--help']).stdout).toMatch(/--wait/);
  });
});

describe('locks', () => {
  it('lock, refuse an overlap with who/why/until, list, unlock', () => {
    const repo = makeRepo();
    const l = coord(repo, ['lock', 'src/', '--reason', 'refactor auth', '--json'], A);
    expect(l.code).toBe(0);
    const granted = json(l).locks[0];
    expect(granted).toMatchObject({ pattern: 'src/', agent: 'alice', reason: 'refactor auth' });
    expect(Number.isInteger(granted.token)).toBe(true);

    const r = coord(repo, ['lock', 'src/auth/login.ts'], B);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('src/auth/login.ts');
    expect(r.stderr).toContain('alice');
    expect(r.stderr).toContain('refactor auth');
    expect(r.stderr).toContain(granted.expiresAt);

    const list = json(coord(repo, ['locks', '--json']));
    expect(list).toHaveLength(1);
    expect(Object.keys(list[0])).toEqual(expect.arrayContaining(['pattern', 'agent', 'reason', 'acquiredAt', 'expiresAt', 'token']));
    expect(list[0].expiresAt).toMatch(/Z$/);

    expect(coord(repo, ['unlock', 'src/'], B).code).toBe(3);
    expect(coord(repo, ['unlock', 'src/'], A).code).toBe(0);
    expect(coord(repo, ['lock', 'src/auth/login.ts'], B).code).toBe(0);
    expect(json(coord(repo, ['locks', '--json']))).toHaveLength(1);
  });

  it('all or nothing for several patterns', () => {
    const repo = makeRepo();
    coord(repo, ['lock', 'b.txt'], B);
    const r = coord(repo, ['lock', 'a.txt', 'b.txt', 'c.txt'], A);
    expect(r.code).toBe(3);
    expect(json(coord(repo, ['locks', '--json', '--mine'], A))).toEqual([]);
    expect(coord(repo, ['lock', 'a.txt', 'c.txt', 'docs/'], A).code).toBe(0);
    expect(json(coord(repo, ['locks', '--json', '--mine'], A)).map((l: any) => l.pattern)).toEqual(['a.txt', 'c.txt', 'docs/']);
  });

  it('non-overlapping globs coexist; overlapping ones do not', () => {
    const repo = makeRepo();
    expect(coord(repo, ['lock', 'src/*.ts'], A).code).toBe(0);
    expect(coord(repo, ['lock', 'src/*.md'], B).code).toBe(0);
    expect(coord(repo, ['lock', 'src/**/x.ts'], B).code).toBe(3); // src/x.ts matches both
    expect(coord(repo, ['lock', 'src/sub/**/x.ts'], B).code).toBe(0);
  });

  it('locking again what you hold renews it and keeps the token', () => {
    const repo = makeRepo();
    const first = json(coord(repo, ['lock', 'a.txt', '--ttl', '10m', '--json'], A)).locks[0];
    const again = json(coord(repo, ['lock', 'a.txt', '--ttl', '2h', '--json'], A)).locks[0];
    expect(again.token).toBe(first.token);
    expect(Date.parse(again.expiresAt)).toBeGreaterThan(Date.parse(first.expiresAt));
    const renewed = json(coord(repo, ['renew', '--ttl', '3h', '--json'], A)).locks[0];
    expect(Date.parse(renewed.expiresAt)).toBeGreaterThan(Date.parse(again.expiresAt));
    expect(coord(repo, ['renew', 'b.txt'], A).code).toBe(3);
  });

  it('--ttl none never expires; the config sets the default lease', () => {
    const repo = makeRepo();
    expect(json(coord(repo, ['lock', 'a', '--ttl', 'none', '--json'], A)).locks[0].expiresAt).toBeNull();
    write(repo, { '.git-coord.yml': 'ttl: 90s\n' });
    const l = json(coord(repo, ['lock', 'b', '--json'], A)).locks[0];
    expect(Date.parse(l.expiresAt) - Date.parse(l.acquiredAt)).toBe(90_000);
  });

  it('the config template is valid as shipped, and every key is accepted', () => {
    const repo = makeRepo();
    write(repo, { '.git-coord.yml': fs.readFileSync(path.join(ROOT, 'templates', 'git-coord.yml'), 'utf8') });
    expect(coord(repo, ['lock', 'a'], A).code).toBe(0);
    write(repo, { '.git-coord.yml': 'ttl: none\nwait: 1m\nrefresh: 30s\npoll: 2s\nhooks:\n  refresh: always\n  timeout: 3s\n  offline: refuse\n' });
    expect(coord(repo, ['lock', 'b'], A).code).toBe(0);
    write(repo, { '.git-coord.yml': 'hooks:\n  offline: maybe\n' });
    expect(coord(repo, ['lock', 'c'], A).stderr).toMatch(/hooks\.offline/);
  });

  it('an invalid config is exit 2 naming the key', () => {
    const repo = makeRepo();
    write(repo, { '.git-coord.yml': 'ttl: forever\n' });
    const r = coord(repo, ['lock', 'a'], A);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/ttl/);
    write(repo, { '.git-coord.yml': 'tll: 1h\n' });
    expect(coord(repo, ['lock', 'a'], A).stderr).toMatch(/unknown key tll/);
    write(repo, { '.git-coord.yml': 'ttl: [unclosed\n' });
    expect(coord(repo, ['lock', 'a'], A).code).toBe(2);
    expect(refs(repo)).toEqual([]);
  });

  it('an expired lock is ignored and taken over; the token increases; history records it', async () => {
    const repo = makeRepo();
    // Wait out the 1 s lease. (Checking that it is held before then would race the lease on a
    // busy machine.)
    const old = json(coord(repo, ['lock', 'a.txt', '--ttl', '1s', '--json'], A)).locks[0];
    await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(old.expiresAt) - Date.now() + 100)));
    expect(coord(repo, ['check', 'a.txt'], B).code).toBe(0);
    expect(json(coord(repo, ['locks', '--json']))).toEqual([]);
    const taken = json(coord(repo, ['lock', 'a.txt', '--json'], B)).locks[0];
    expect(taken.token).toBeGreaterThan(old.token);
    const log = json(coord(repo, ['log', '--json']));
    expect(log[0]).toMatchObject({ agent: 'bob', action: 'takeover', subject: 'a.txt', other: 'alice' });
  });

  it('prune removes expired locks from the live set and records it; live ones stay', async () => {
    const repo = makeRepo();
    coord(repo, ['lock', 'old.txt', '--ttl', '1s'], A);
    coord(repo, ['lock', 'live.txt'], A);
    await new Promise((r) => setTimeout(r, 1100));
    expect(refs(repo, 'refs/coordination/locks/')).toHaveLength(2);
    const r = json(coord(repo, ['prune', '--json'], B));
    expect(r.locks.map((l: any) => l.pattern)).toEqual(['old.txt']);
    expect(refs(repo, 'refs/coordination/locks/')).toHaveLength(1);
    expect(json(coord(repo, ['log', '-n', '1', '--json']))[0]).toMatchObject({ agent: 'bob', action: 'expire', subject: 'old.txt', other: 'alice' });
    expect(json(coord(repo, ['prune', '--json'], B)).locks).toEqual([]);
  });

  it('tokens strictly increase across release and re-grant', () => {
    const repo = makeRepo();
    let last = 0;
    for (const env of [A, B, A]) {
      const t = json(coord(repo, ['lock', 'x', '--json'], env)).locks[0].token;
      expect(t).toBeGreaterThan(last);
      last = t;
      coord(repo, ['unlock', 'x'], env);
    }
  });

  it('--force breaks another agent\'s lock, recorded with who and why', () => {
    const repo = makeRepo();
    coord(repo, ['lock', 'a.txt'], A);
    const r = coord(repo, ['unlock', 'a.txt', '--force', '--reason', 'alice is gone'], B);
    expect(r.code).toBe(0);
    const log = json(coord(repo, ['log', '-n', '1', '--json']));
    expect(log[0]).toMatchObject({ agent: 'bob', action: 'break', subject: 'a.txt', other: 'alice', reason: 'alice is gone' });
    expect(coord(repo, ['unlock', 'nothing-here', '--force', '--reason', 'x'], B).code).toBe(3);
  });

  it('unlock --all; released locks leave the live set, their history stays', () => {
    const repo = makeRepo();
    coord(repo, ['lock', 'a', 'b/', 'c/**'], A);
    expect(refs(repo, 'refs/coordination/locks/')).toHaveLength(3);
    expect(coord(repo, ['unlock', '--all'], A).code).toBe(0);
    expect(refs(repo, 'refs/coordination/locks/')).toEqual([]);
    const log = json(coord(repo, ['log', '--json']));
    expect(log.filter((e: any) => e.action === 'unlock')).toHaveLength(3);
    // The released records' own commits are still reachable from the journal.
    const all = gitSync(repo, 'log', '--format=%s', '--glob=refs/coordination/journal/*');
    expect(all).toMatch(/^unlock c\/\*\*$/m);
    expect(all).toMatch(/^pending a$/m);
  });

  it('patterns from a subdirectory are relative to it; absolute paths are accepted', () => {
    const repo = makeRepo({ 'sub/dir/f.txt': 'x' });
    const l = json(coord(path.join(repo, 'sub'), ['lock', 'dir/f.txt', path.join(repo, 'top.txt'), '--json'], A)).locks;
    expect(l.map((x: any) => x.pattern).sort()).toEqual(['sub/dir/f.txt', 'top.txt']);
    expect(coord(repo, ['-C', 'sub', 'check', 'dir/f.txt'], B).code).toBe(3);
    expect(coord(repo, ['check', 'sub/dir/f.txt', '-C', '.'], B).code).toBe(3);
  });

  it('check: JSON shape, directories and globs as questions', () => {
    const repo = makeRepo();
    coord(repo, ['lock', 'src/a.ts', '--reason', 'r'], A);
    const r = coord(repo, ['check', 'src/', 'lib/x', '--json'], B);
    expect(r.code).toBe(3);
    expect(json(r)).toEqual({
      ok: false,
      conflicts: [{ path: 'src/', pattern: 'src/a.ts', agent: 'alice', reason: 'r', expiresAt: expect.any(String) }],
    });
    expect(json(coord(repo, ['check', 'lib/', '--json'], B))).toEqual({ ok: true, conflicts: [] });
    // Your own locks never conflict with you.
    expect(coord(repo, ['check', 'src/a.ts'], A).code).toBe(0);
  });

  it('status and log show the board and the history', () => {
    const repo = makeRepo();
    coord(repo, ['lock', 'a', '--reason', 'why-a'], A);
    coord(repo, ['lock', 'b'], B);
    const s = json(coord(repo, ['status', '--json'], A));
    expect(s.agent).toBe('alice');
    expect(s.agents.map((a: any) => [a.id, a.locks.length])).toEqual([['alice', 1], ['bob', 1]]);
    expect(coord(repo, ['status'], A).stdout).toMatch(/alice \(you\): 1 lock/);
    const log = json(coord(repo, ['log', '--json']));
    expect(log[0]).toMatchObject({ agent: 'bob', action: 'lock', subject: 'b' });
    for (const e of log) expect(Object.keys(e)).toEqual(expect.arrayContaining(['at', 'agent', 'action', 'subject']));
    expect(json(coord(repo, ['log', '-n', '1', '--json']))).toHaveLength(1);
  });

  it('--wait gives up after its duration with exit 3, and succeeds once released', async () => {
    const repo = makeRepo();
    coord(repo, ['lock', 'a'], A);
    const t0 = Date.now();
    expect(coord(repo, ['lock', 'a', '--wait', '1s'], B).code).toBe(3);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1000);
    coord(repo, ['lock', 'b', '--ttl', '2s'], A);
    expect(coord(repo, ['lock', 'b', '--wait', '30s'], B).code).toBe(0);
  });

  it('a corrupt record is reported and skipped, never a crash', () => {
    const repo = makeRepo();
    coord(repo, ['lock', 'good.txt'], A);
    const blobless = gitSync(repo, 'commit-tree', '-m', 'garbage\n\n{not json', gitSync(repo, 'hash-object', '-t', 'tree', '/dev/null').trim()).trim();
    gitSync(repo, 'update-ref', 'refs/coordination/locks/p-x/l-0000', blobless);
    const wrong = gitSync(repo, 'commit-tree', '-m', 'x\n\n{"v":1,"type":"lock"}', gitSync(repo, 'hash-object', '-t', 'tree', '/dev/null').trim()).trim();
    gitSync(repo, 'update-ref', 'refs/coordination/locks/l-0001', wrong);
    const r = coord(repo, ['locks', '--json']);
    expect(r.code).toBe(0);
    expect(json(r).map((l: any) => l.pattern)).toEqual(['good.txt']);
    expect(r.stderr).toMatch(/skipping unreadable lock record/);
    expect(coord(repo, ['lock', 'x/y'], B).code).toBe(0);
  });
});

describe('lock starts git before it parses (cli/main.ts WRITE_FIRST)', () => {
  it('with -C another repository, the lock lands there and nothing in the directory it started in; bad usage writes nothing', () => {
    const here = makeRepo();
    const there = makeRepo();
    const r = coord(here, ['lock', '-C', there, '--agent', 'a', 'x.txt']);
    expect(r.code, r.stderr).toBe(0);
    expect(refs(there, 'refs/coordination/locks/')).toHaveLength(1);
    expect(refs(here, 'refs/coordination/')).toEqual([]);
    for (const args of [['lock', '--bogus', 'y.txt'], ['lock', '--help'], ['lock']]) {
      coord(here, [...args, '--agent', 'a']);
      expect(refs(here, 'refs/coordination/'), args.join(' ')).toEqual([]);
    }
    // Not in a repository: the same answer as before (exit 2, named).
    const none = tmpdir('none');
    const n = coord(none, ['lock', '--agent', 'a', 'z.txt']);
    expect(n.code).toBe(2);
    expect(n.stderr).toMatch(/not inside a git repository/);
  });
});
