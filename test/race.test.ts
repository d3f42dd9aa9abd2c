/**
 * Concurrency claims proven by racing real OS processes and checking the invariant: never two
 * holders. Nothing here asserts on time.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, ENV, coord, coordAsync, gitSync, json, makeRepo, refs, runAsync, spawnTracked } from './helpers.js';

const agents = (n: number) => Array.from({ length: n }, (_, i) => `agent-${i}`);

describe('races', () => {
  it('8 processes racing for one lock: exactly one winner (3 rounds)', async () => {
    const repo = makeRepo();
    for (let round = 0; round < 3; round++) {
      const pattern = `hot-${round}.txt`;
      const results = await Promise.all(agents(8).map((a) => coordAsync(repo, ['lock', pattern, '--agent', a, '--json'])));
      const winners = results.filter((r) => r.code === 0);
      expect(winners, results.map((r) => r.stderr).join('\n')).toHaveLength(1);
      for (const r of results.filter((x) => x.code !== 0)) expect(r.code).toBe(3);
      const holders = json(coord(repo, ['locks', '--json'])).filter((l: any) => l.pattern === pattern);
      expect(holders).toHaveLength(1);
      expect(holders[0].agent).toBe(json(winners[0]!).locks[0].agent);
    }
  });

  it('overlapping patterns racing (a directory, files in it, a glob over it): never two holders', async () => {
    const repo = makeRepo();
    const patterns = ['src/', 'src/a.ts', 'src/b/c.ts', 'src/**/*.ts', 'src/b/', 'src/a.ts', 'src/*.ts', 'src/b/c.ts'];
    for (let round = 0; round < 3; round++) {
      const results = await Promise.all(patterns.map((p, i) => coordAsync(repo, ['lock', p, '--agent', `r${round}-${i}`])));
      for (const r of results) expect([0, 3]).toContain(r.code);
      const held = json(coord(repo, ['locks', '--json']));
      // Invariant: no two live locks of different agents overlap.
      const { overlaps } = await import('../src/patterns/overlap.js');
      const { parsePattern } = await import('../src/patterns/pattern.js');
      const P = (s: string) => parsePattern(s, { top: repo, prefix: '' });
      for (let i = 0; i < held.length; i++)
        for (let j = i + 1; j < held.length; j++)
          expect(overlaps(P(held[i].pattern), P(held[j].pattern)), `${held[i].pattern} / ${held[j].pattern}`).toBe(false);
      expect(held.length).toBeGreaterThanOrEqual(1);
      coord(repo, ['unlock', '--all', '--agent', 'nobody']);
      for (const l of held) coord(repo, ['unlock', l.pattern, '--agent', l.agent]);
      expect(refs(repo, 'refs/coordination/locks/')).toEqual([]);
    }
  });

  it('8 processes locking 8 disjoint paths at once: all granted', async () => {
    const repo = makeRepo();
    const results = await Promise.all(agents(8).map((a, i) => coordAsync(repo, ['lock', `dir${i}/`, `f${i}.txt`, '--agent', a])));
    expect(results.map((r) => r.code)).toEqual(Array(8).fill(0));
    expect(json(coord(repo, ['locks', '--json']))).toHaveLength(16);
  });

  it('8 `lock --wait` processes on overlapping patterns: every one is granted, never two at once, no update lost', async () => {
    const repo = makeRepo();
    const counter = path.join(repo, 'counter.txt');
    const held = path.join(repo, 'held');
    fs.writeFileSync(counter, '0');
    // Every pattern matches shared/a.ts, so any two overlap: at most one may be held at a time.
    const patterns = ['shared/', 'shared/a.ts', 'shared/**/*.ts', 'shared/*.ts', 'shared/a.ts', 'shared/**', 'shared/', 'shared/{a,b}.ts'];
    const rounds = 1;
    // Each worker: lock --wait, claim the marker file exclusively (it exists only while someone
    // holds a lock: finding it means two holders), bump the counter, release. Without the lock,
    // both checks fail.
    const script = `
      const { execFileSync } = require('node:child_process');
      const fs = require('node:fs');
      const [cli, counter, held, agent, pattern, rounds] = process.argv.slice(1);
      const run = (...a) => execFileSync(process.execPath, [cli, ...a, '--agent', agent], { stdio: 'pipe' });
      for (let i = 0; i < Number(rounds); i++) {
        run('lock', pattern, '--wait', '5m', '--ttl', '5m');
        fs.writeFileSync(held, agent, { flag: 'wx' });
        const v = Number(fs.readFileSync(counter, 'utf8'));
        const until = Date.now() + 15; while (Date.now() < until) {}
        fs.writeFileSync(counter, String(v + 1));
        fs.rmSync(held);
        run('unlock', pattern);
      }`;
    const runs = await Promise.all(
      patterns.map((p, i) => runAsync(process.execPath, ['-e', script, CLI, counter, held, `w${i}`, p, String(rounds)], { cwd: repo })),
    );
    // Every waiter got every grant it asked for (none starved past its wait), and no worker found
    // the marker of another.
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    expect(Number(fs.readFileSync(counter, 'utf8'))).toBe(patterns.length * rounds);
    const log = json(coord(repo, ['log', '-n', '200', '--json']));
    expect(log.filter((e: any) => e.action === 'lock')).toHaveLength(patterns.length * rounds);
  });
});

describe('crashes', () => {
  it('processes killed with SIGKILL mid-operation leave readable state and block nothing beyond the pending window', async () => {
    const repo = makeRepo();
    // Kill lockers at staggered moments, while others keep working.
    for (let i = 0; i < 12; i++) {
      const child = spawnTracked(process.execPath, [CLI, 'lock', `k/${i % 3}.txt`, 'k2/', '--agent', `victim-${i}`], { cwd: repo, env: ENV });
      // Listen at once: a command may finish before the kill, and its 'close' must not be missed.
      const closed = new Promise((r) => child.on('close', r));
      await new Promise((r) => setTimeout(r, 40 + ((i * 17) % 90)));
      child.kill('SIGKILL');
      await closed;
    }
    // State stays readable.
    const list = coord(repo, ['locks', '--json']);
    expect(list.code).toBe(0);
    expect(list.stderr).not.toMatch(/unreadable/);
    gitSync(repo, 'fsck', '--no-progress');
    // Whatever a victim left is either granted (a complete lock) or pending, which expires: a
    // survivor waits at most the pending window, never forever. The victims ran here and are
    // gone, so prune removes their pending records at once.
    for (const l of json(list)) coord(repo, ['unlock', l.pattern, '--force', '--reason', 'test cleanup', '--agent', 'survivor']);
    expect(coord(repo, ['prune', '--agent', 'survivor']).code).toBe(0);
    expect(refs(repo, 'refs/coordination/locks/')).toEqual([]);
    const r = coord(repo, ['lock', 'k/', 'k2/', '--wait', '45s', '--agent', 'survivor']);
    expect(r.code, r.stderr).toBe(0);
  });

  it('a stale .lock file left by a killed git is cleaned up rather than blocking the ref forever', () => {
    const repo = makeRepo();
    coord(repo, ['lock', 'a.txt', '--agent', 'alice']);
    const ref = refs(repo, 'refs/coordination/locks/')[0]!;
    const lockFile = path.join(repo, '.git', `${ref}.lock`);
    fs.writeFileSync(lockFile, '');
    const old = new Date(Date.now() - 60_000);
    fs.utimesSync(lockFile, old, old);
    const r = coord(repo, ['unlock', 'a.txt', '--agent', 'alice']);
    expect(r.code, r.stderr).toBe(0);
    expect(fs.existsSync(lockFile)).toBe(false);
  });
});
