/**
 * Robustness: clocks that go back, refs naming missing objects, config files that are not files,
 * durations out of range, lockers killed mid-way. Each case reproduces a reported failure.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, ENV, coord, gitRun, gitSync, json, makeRepo, refs, spawnTracked, write } from './helpers.js';
import { Coord } from '../src/session/coord.js';
import { Locks } from '../src/locks/locks.js';
import { lockRef } from '../src/store/layout.js';
import { patternFromText } from '../src/patterns/pattern.js';
import { thisWriter } from '../src/locks/writer.js';
import type { LockRecord } from '../src/locks/schema.js';

// The library calls below run git in this process: keep it off the machine's git config.
process.env.GIT_CONFIG_GLOBAL = '/dev/null';
process.env.GIT_CONFIG_NOSYSTEM = '1';

const A = { GIT_COORD_AGENT: 'alice' };
const B = { GIT_COORD_AGENT: 'bob' };
const HOUR = 3_600_000;

/** A library session whose clock reads `clock.now`. */
async function session(repo: string, agent: string, clock: { now: number }) {
  const ctx = await Coord.open({ cwd: repo, agent, env: ENV, now: () => clock.now });
  return { ctx, locks: new Locks(ctx) };
}

describe('fencing tokens when clocks go back', () => {
  it('a re-grant after unlock, force-break or prune is above the released token, with the clock an hour behind', async () => {
    const repo = makeRepo();
    const clock = { now: Date.now() };
    const alice = await session(repo, 'alice', clock);
    const bob = await session(repo, 'bob', clock);
    try {
      const tokens: number[] = [];
      const grant = async (who: typeof alice, pattern = 'src/a.ts') => {
        const [l] = await who.locks.lock([pattern], { ttlMs: HOUR });
        if (pattern === 'src/a.ts') tokens.push(l!.token);
      };
      await grant(alice);
      await alice.locks.unlock(['src/a.ts']);
      clock.now -= HOUR;
      await grant(bob);
      await alice.locks.unlock(['src/a.ts'], { force: true, reason: 'test' });
      clock.now -= HOUR;
      await grant(alice);
      // Expired, then pruned: the lock's ref is gone, its token is not forgotten.
      clock.now += 3 * HOUR;
      await bob.locks.prune();
      clock.now -= 5 * HOUR;
      await grant(bob);
      // Another pattern of the same directory, released in between, does not lower it either.
      await bob.locks.unlock(['src/a.ts']);
      await grant(alice, 'src/b.ts');
      await alice.locks.unlock(['src/b.ts']);
      clock.now -= HOUR;
      await grant(bob);
      expect(tokens).toHaveLength(5);
      for (let i = 1; i < tokens.length; i++) expect(tokens[i], `grant ${i}: ${tokens.join(', ')}`).toBeGreaterThan(tokens[i - 1]!);
      // Marks are one per directory and releasing agent, not one per pattern.
      expect(refs(repo, 'refs/coordination/tokens/')).toEqual(['refs/coordination/tokens/p-src/t-alice', 'refs/coordination/tokens/p-src/t-bob']);
    } finally {
      alice.ctx.close();
      bob.ctx.close();
    }
  });
});

describe('refs naming missing objects', () => {
  const missing = '1234567890123456789012345678901234567890';

  it('a lock ref naming a missing object is reported and skipped; commits pass; prune removes it', () => {
    const repo = makeRepo({ 'src/a.ts': 'a\n' });
    expect(coord(repo, ['install-hooks']).code).toBe(0);
    coord(repo, ['lock', 'docs/', '--reason', 'docs'], A);
    // Written by hand, as a broken clone or a bad gc could leave it: git itself refuses to.
    const refFile = path.join(repo, '.git', 'refs', 'coordination', 'locks', 'p-src', 'l-0000');
    fs.mkdirSync(path.dirname(refFile), { recursive: true });
    fs.writeFileSync(refFile, `${missing}\n`);

    const list = coord(repo, ['locks', '--json']);
    expect(list.code, list.stderr).toBe(0);
    expect(json(list).map((l: any) => l.pattern)).toEqual(['docs/']);
    expect(list.stderr).toMatch(/refs\/coordination\/locks\/p-src\/l-0000 \(1234567890\): its object is missing/);
    expect(coord(repo, ['lock', 'src/', '--json'], B).code).toBe(0);
    coord(repo, ['unlock', 'src/'], B);
    expect(coord(repo, ['check', 'src/a.ts'], B).code).toBe(0);
    write(repo, { 'src/a.ts': 'changed\n' });
    gitSync(repo, 'add', '-A');
    const commit = gitRun(repo, ['commit', '-q', '-m', 'change'], B);
    expect(commit.code, commit.stderr).toBe(0);

    const pruned = coord(repo, ['prune', '--json'], B);
    expect(pruned.code, pruned.stderr).toBe(0);
    expect(pruned.stderr).toMatch(/removed refs\/coordination\/locks\/p-src\/l-0000/);
    expect(fs.existsSync(refFile)).toBe(false);
    expect(coord(repo, ['locks'], B).stderr).toBe('');
  });

  it('a lock ref naming a missing object can be locked over', () => {
    const repo = makeRepo();
    const ref = lockRef(patternFromText('a.txt'));
    fs.mkdirSync(path.dirname(path.join(repo, '.git', ref)), { recursive: true });
    fs.writeFileSync(path.join(repo, '.git', ref), `${missing}\n`);
    const r = coord(repo, ['lock', 'a.txt', '--json'], A);
    expect(r.code, r.stderr).toBe(0);
    expect(json(r).locks[0]).toMatchObject({ pattern: 'a.txt', agent: 'alice' });
    expect(coord(repo, ['unlock', 'a.txt'], A).code).toBe(0);
    gitSync(repo, 'fsck', '--no-progress');
  });

  it('a journal ref naming a missing object: log skips it with a warning', () => {
    const repo = makeRepo();
    coord(repo, ['lock', 'a.txt'], A);
    fs.writeFileSync(path.join(repo, '.git', 'refs', 'coordination', 'journal', 'zed'), `${missing}\n`);
    const r = coord(repo, ['log', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(json(r)[0]).toMatchObject({ agent: 'alice', action: 'lock', subject: 'a.txt' });
    expect(r.stderr).toMatch(/skipping journal refs\/coordination\/journal\/zed \(1234567890\): its object is missing/);
  });
});

describe('a config file that is not a regular file', () => {
  /** Runs with a bound, so a hang fails the test instead of stalling the suite. */
  const bounded = (repo: string, args: string[]) => {
    const r = spawnSync(process.execPath, [CLI, ...args], { cwd: repo, env: { ...ENV, ...A }, encoding: 'utf8', timeout: 20_000 });
    return { code: r.status, signal: r.signal, stderr: r.stderr };
  };

  it.each([
    ['a link to /dev/zero', (f: string) => fs.symlinkSync('/dev/zero', f), /outside the work tree/],
    ['a FIFO', (f: string) => spawnSync('mkfifo', [f]), /not a regular file/],
    ['a directory', (f: string) => fs.mkdirSync(f), /not a regular file/],
    ['larger than 64 KiB', (f: string) => fs.writeFileSync(f, `# ${'x'.repeat(70_000)}\nttl: 1h\n`), /more than 65536/],
    ['a link that leads nowhere', (f: string) => fs.symlinkSync('missing.yml', f), /cannot be followed/],
  ])('%s: exit 2 with a clear message, nothing written', (_, make, message) => {
    const repo = makeRepo();
    make(path.join(repo, '.git-coord.yml'));
    const r = bounded(repo, ['lock', 'a.txt']);
    expect(r.signal).toBeNull();
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/invalid \.git-coord\.yml/);
    expect(r.stderr).toMatch(message);
    expect(refs(repo)).toEqual([]);
  });

  it('a link to a regular file inside the work tree is followed', () => {
    const repo = makeRepo();
    write(repo, { 'config/coord.yml': 'ttl: 90s\n' });
    fs.symlinkSync('config/coord.yml', path.join(repo, '.git-coord.yml'));
    const l = json(coord(repo, ['lock', 'b', '--json'], A)).locks[0];
    expect(Date.parse(l.expiresAt) - Date.parse(l.acquiredAt)).toBe(90_000);
  });
});

describe('durations out of range', () => {
  it.each([
    ['--ttl 0s', ['lock', 'a', '--ttl', '0s'], /too short/],
    ['--ttl 0h0m', ['lock', 'a', '--ttl', '0h0m'], /too short/],
    ['--ttl 99999999d', ['lock', 'a', '--ttl', '99999999d'], /too long/],
    ['--ttl 36501d', ['lock', 'a', '--ttl', '36501d'], /too long/],
    ['--wait 0s', ['lock', 'a', '--wait', '0s'], /too short/],
  ])('%s: exit 2, nothing written', (_, args, message) => {
    const repo = makeRepo();
    const r = coord(repo, args, A);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(refs(repo)).toEqual([]);
  });

  it('renew --ttl 0s: exit 2, the lock unchanged', () => {
    const repo = makeRepo();
    const before = json(coord(repo, ['lock', 'a', '--json'], A)).locks[0];
    expect(coord(repo, ['renew', 'a', '--ttl', '0s'], A).code).toBe(2);
    expect(json(coord(repo, ['locks', '--json']))[0].expiresAt).toBe(before.expiresAt);
  });

  it.each(['ttl: 0s', 'ttl: 99999999d', 'wait: 0s', 'hooks:\n  timeout: 0s'])('config %j: exit 2 naming the key', (text) => {
    const repo = makeRepo();
    write(repo, { '.git-coord.yml': `${text}\n` });
    const r = coord(repo, ['lock', 'a'], A);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(text.split(':')[0]!.trim().split('\n').pop()!));
    expect(refs(repo)).toEqual([]);
  });

  it('the library refuses a lease out of range too', async () => {
    const repo = makeRepo();
    const ctx = await Coord.open({ cwd: repo, agent: 'alice', env: ENV });
    try {
      await expect(new Locks(ctx).lock(['a'], { ttlMs: 0 })).rejects.toThrow(/bad lease/);
      await expect(new Locks(ctx).lock(['a'], { ttlMs: 1e17 })).rejects.toThrow(/bad lease/);
    } finally {
      ctx.close();
    }
    expect(refs(repo)).toEqual([]);
  });
});

describe('a locker killed mid-way', () => {
  it('its own pending record, left by a process that is gone, does not block the same agent', () => {
    const repo = makeRepo();
    // The state a SIGKILL between the pending write and the grant leaves: a pending record of
    // alice's whose writer no longer exists.
    const gone = spawnSync(process.execPath, ['-e', '0']).pid!;
    const now = Date.now();
    const writer = thisWriter();
    expect(writer, 'process namespaces are named on this platform').toBeDefined();
    const rec: LockRecord = {
      v: 1, type: 'lock', pattern: 'a.txt', agent: 'alice', state: 'pending', reason: '', token: now, ttlMs: HOUR,
      acquiredAt: new Date(now).toISOString(), expiresAt: new Date(now + HOUR).toISOString(),
      ticket: { at: now, nonce: 'dead' }, pendingUntil: new Date(now + 30_000).toISOString(),
      writer: { ...writer!, pid: gone },
      event: { action: 'pending', by: 'alice', at: new Date(now).toISOString() },
    };
    const tree = gitSync(repo, 'hash-object', '-t', 'tree', '/dev/null').trim();
    const oid = gitSync(repo, 'commit-tree', '-m', `pending a.txt\n\n${JSON.stringify(rec)}`, tree).trim();
    gitSync(repo, 'update-ref', lockRef(patternFromText('a.txt')), oid);
    const r = coord(repo, ['lock', 'a.txt', '--json'], A);
    expect(r.code, r.stderr).toBe(0);
    expect(json(r).locks[0].token).toBeGreaterThan(now);
    expect(json(coord(repo, ['log', '-n', '1', '--json']))[0]).toMatchObject({ agent: 'alice', action: 'lock', subject: 'a.txt' });
  });

  it('lockers killed with SIGKILL at staggered moments: the same agent locks again at once', async () => {
    const repo = makeRepo();
    for (let i = 0; i < 4; i++) {
      const child = spawnTracked(process.execPath, [CLI, 'lock', 'k.txt', '--agent', 'alice'], { cwd: repo, env: ENV });
      // Listen at once: a command may finish before the kill, and its 'close' must not be missed.
      const closed = new Promise((r) => child.on('close', r));
      await new Promise((r) => setTimeout(r, 60 + i * 40));
      child.kill('SIGKILL');
      await closed;
      const again = coord(repo, ['lock', 'k.txt', '--agent', 'alice']);
      expect(again.code, again.stderr).toBe(0);
      expect(again.stderr).not.toMatch(/another git-coord process/);
      expect(coord(repo, ['unlock', 'k.txt', '--agent', 'alice']).code).toBe(0);
    }
    gitSync(repo, 'fsck', '--no-progress');
  });
});
