/**
 * Claims proven by racing real OS processes: never two claimers of one task, locally and through
 * a file:// remote; claims with locks that roll back whole; claimers killed mid-claim. Nothing
 * here asserts on time.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, ENV, coord, coordAsync, gitSync, json, makeHub, makeRepo, type Run } from './helpers.js';

const agents = (n: number, prefix = 'racer') => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

function importTasks(dir: string, titles: string[], agent = 'boss'): string[] {
  const file = path.join(dir, '.git', 'import.jsonl');
  fs.writeFileSync(file, titles.map((title) => JSON.stringify({ title })).join('\n'));
  const imported = coord(dir, ['task', 'import', file, '--agent', agent]);
  expect(imported.code, imported.stderr).toBe(0);
  return imported.stdout.trim().split('\n');
}

/** 8 claimers over 6 fresh tasks: 6 distinct claims, 2 refusals, and the board agrees. */
function checkRound(results: Run[], ids: string[], names: string[], board: any[]): void {
  const won = results.filter((r) => r.code === 0);
  for (const r of results) expect([0, 3], r.stderr).toContain(r.code);
  expect(won).toHaveLength(6);
  const claimed = won.map((r) => json(r).id);
  expect(new Set(claimed).size).toBe(6);
  expect([...claimed].sort()).toEqual([...ids].sort());
  // Each task's record names exactly the agent whose process reported winning it.
  for (const [k, r] of results.entries()) {
    if (r.code !== 0) continue;
    expect(board.find((t) => t.id === json(r).id).claimedBy).toBe(names[k]);
  }
}

describe('claim --next races', () => {
  it('8 processes over 6 tasks: 6 distinct claims and 2 refusals, 10 rounds', async () => {
    const dir = makeRepo();
    for (let round = 0; round < 10; round++) {
      const ids = importTasks(dir, Array.from({ length: 6 }, (_, i) => `r${round} task ${i}`));
      const names = agents(8, `r${round}`);
      const results = await Promise.all(names.map((a) => coordAsync(dir, ['claim', '--next', '--json', '--agent', a])));
      const board = json(coord(dir, ['task', 'list', '--json']));
      // Earlier rounds' tasks stay claimed (live), so each round races over its fresh six only.
      checkRound(results, ids, names, board);
    }
    expect(json(coord(dir, ['task', 'list', '--status', 'claimed', '--json']))).toHaveLength(60);
  }, 240_000);

  it('8 clones through a file:// remote over 6 tasks: 6 distinct claims and 2 refusals, 3 rounds', async () => {
    const { root, hub } = makeHub('remote: origin\n', {});
    const clones = agents(8, 'clone').map((name) => {
      const d = path.join(root, name);
      gitSync(root, 'clone', '-q', `file://${hub}`, d);
      return d;
    });
    for (let round = 0; round < 3; round++) {
      const ids = importTasks(clones[0]!, Array.from({ length: 6 }, (_, i) => `remote r${round} task ${i}`));
      const names = agents(8, `rc${round}`);
      const results = await Promise.all(clones.map((c, k) => coordAsync(c, ['claim', '--next', '--json', '--agent', names[k]!])));
      const board = json(coord(clones[0]!, ['task', 'list', '--json', '--fresh']));
      checkRound(results, ids, names, board);
    }
  }, 240_000);

  it('8 processes claiming one task by id: exactly one claimer', async () => {
    const dir = makeRepo();
    for (let round = 0; round < 3; round++) {
      const [id] = importTasks(dir, [`hot ${round}`]);
      const results = await Promise.all(agents(8).map((a) => coordAsync(dir, ['claim', id!, '--agent', a, '--json'])));
      expect(results.filter((r) => r.code === 0)).toHaveLength(1);
      for (const r of results) expect([0, 3], r.stderr).toContain(r.code);
    }
  }, 120_000);

  it('claims with overlapping locks racing: one task and its locks per winner, never overlapping holders', async () => {
    const dir = makeRepo();
    const ids = importTasks(dir, agents(6, 'lockwork'));
    // Two pairs of overlapping patterns and two free ones.
    const pats = ['src/', 'src/a.ts', 'lib/**', 'lib/x/y.ts', 'docs/a.md', 'docs/b.md'];
    const results = await Promise.all(ids.map((id, k) => coordAsync(dir, ['claim', id, '--lock', pats[k]!, '--agent', `L${k}`, '--json'])));
    for (const r of results) expect([0, 3], r.stderr).toContain(r.code);
    const board = json(coord(dir, ['task', 'list', '--json']));
    const locks = json(coord(dir, ['locks', '--json']));
    for (const [k, r] of results.entries()) {
      const t = board.find((x: any) => x.id === ids[k]);
      if (r.code === 0) {
        expect(t).toMatchObject({ status: 'claimed', claimedBy: `L${k}`, locks: [pats[k]] });
        expect(locks.find((l: any) => l.pattern === pats[k])?.agent).toBe(`L${k}`);
      } else {
        expect(t).toMatchObject({ status: 'open', claimedBy: null, locks: [] });
        expect(locks.some((l: any) => l.agent === `L${k}`)).toBe(false);
      }
    }
    expect(results.filter((r) => r.code === 0).length).toBeGreaterThanOrEqual(4);
    expect(gitSync(dir, 'for-each-ref', '--format=%(refname)', 'refs/coordination/locks/').trim().split('\n').filter(Boolean)).toHaveLength(locks.length);
  }, 120_000);
});

describe('claimers killed mid-claim', () => {
  it('SIGKILL at staggered moments leaves readable state, and nothing held longer than a lease', async () => {
    const dir = makeRepo();
    const [id] = importTasks(dir, ['contended']);
    for (let i = 0; i < 10; i++) {
      const child = spawn(process.execPath, [CLI, 'claim', id!, '--lock', 'k/', '--ttl', '2s', '--agent', `victim-${i}`], { cwd: dir, env: ENV });
      const closed = new Promise((r) => child.on('close', r));
      // From before the claim starts to after it is done (Node start-up is most of the span).
      await new Promise((r) => setTimeout(r, 60 + ((i * 137) % 900)));
      child.kill('SIGKILL');
      await closed;
    }
    const list = coord(dir, ['task', 'list', '--json']);
    expect(list.code).toBe(0);
    expect(list.stderr).not.toMatch(/unreadable/);
    gitSync(dir, 'fsck', '--no-progress');
    // Whatever a victim left (a 2s claim, 2s locks, a pending lock record) ends within its window:
    // a survivor gets both the task and the lock, trying once a second, a bounded number of times.
    let r: Run | null = null;
    for (let attempt = 0; attempt < 45; attempt++) {
      r = coord(dir, ['claim', id!, '--lock', 'k/', '--agent', 'survivor', '--json']);
      if (r.code !== 3) break;
      await new Promise((res) => setTimeout(res, 1000));
    }
    expect(r!.code, r!.stderr).toBe(0);
    expect(json(r!)).toMatchObject({ claimedBy: 'survivor', locks: ['k/'] });
  }, 120_000);
});
