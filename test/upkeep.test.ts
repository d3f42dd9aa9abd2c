/**
 * Upkeep (operations/upkeep.ts): the commands that write prune a little, at most once per
 * `prune.auto`, and pack loose objects once about LOOSE_LIMIT have gathered. Real processes,
 * locally and through a remote, several racing for the step.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENV, clone, coord, coordAsync, gitSync, json, makeHub, makeRepo, ok, refs, tmpdir, write } from './helpers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const journal = (dir: string) => json<{ action: string; agent: string }[]>(coord(dir, ['log', '--json', '-n', '100']));

describe('upkeep after commands that write', () => {
  it('removes an expired lock once prune.auto has passed, in one process of several racing; the first command only starts the clock', async () => {
    const dir = makeRepo({ 'src/a.ts': 'a\n', '.git-coord.yml': 'prune:\n  auto: 1s\n' });
    ok(coord(dir, ['lock', 'src/a.ts', '--ttl', '1s'], { GIT_COORD_AGENT: 'alice' }));
    // That first command started the clock: the lock is still there (it expires, nobody prunes yet).
    await sleep(1500);
    expect(refs(dir, 'refs/coordination/locks/')).toHaveLength(1);
    // Six commands that write, at once: the lock goes once (one `expire` entry), every command succeeds.
    const runs = await Promise.all(['b1', 'b2', 'b3', 'b4', 'b5', 'b6'].map((a) => coordAsync(dir, ['heartbeat'], { GIT_COORD_AGENT: a })));
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    expect(refs(dir, 'refs/coordination/locks/')).toEqual([]);
    expect(journal(dir).filter((e) => e.action === 'expire')).toHaveLength(1);
    expect(fs.existsSync(path.join(dir, '.git', 'git-coord', 'upkeep.lock'))).toBe(false);
  });

  it('through a remote: the expired lock leaves the remote', async () => {
    const { hub, root } = makeHub('remote: origin\nprune:\n  auto: 1s\n');
    const a = clone(root, hub, 'alice');
    const b = clone(root, hub, 'bob');
    ok(coord(a, ['lock', 'src/a.ts', '--ttl', '1s']));
    ok(coord(b, ['heartbeat']));
    await sleep(1500);
    expect(refs(hub, 'refs/coordination/locks/')).toHaveLength(1);
    ok(coord(b, ['heartbeat']));
    expect(refs(hub, 'refs/coordination/locks/')).toEqual([]);
  });

  it('prune.auto: none leaves pruning to `prune`; a bad value is exit 2', async () => {
    const dir = makeRepo({ 'src/a.ts': 'a\n', '.git-coord.yml': 'prune:\n  auto: none\n' });
    ok(coord(dir, ['lock', 'src/a.ts', '--ttl', '1s'], { GIT_COORD_AGENT: 'alice' }));
    await sleep(1200);
    ok(coord(dir, ['heartbeat'], { GIT_COORD_AGENT: 'bob' }));
    ok(coord(dir, ['heartbeat'], { GIT_COORD_AGENT: 'bob' }));
    expect(refs(dir, 'refs/coordination/locks/')).toHaveLength(1);
    write(dir, { '.git-coord.yml': 'prune:\n  auto: soon\n' });
    const bad = coord(dir, ['heartbeat'], { GIT_COORD_AGENT: 'bob' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/prune\.auto/);
  });

  it('packs loose objects once about 2,048 have gathered, and loses none', () => {
    const dir = makeRepo({ 'src/a.ts': 'a\n' });
    // 3,000 loose blobs nothing reaches (as old record versions are): the estimate reads objects/17.
    const blobs = tmpdir('blobs');
    const names: string[] = [];
    for (let i = 0; i < 3000; i++) {
      const f = path.join(blobs, `b${i}`);
      fs.writeFileSync(f, `blob ${i}\n`);
      names.push(f);
    }
    const written = spawnIds(dir, names);
    expect(Number(/^count: (\d+)$/m.exec(gitSync(dir, 'count-objects', '-v'))![1])).toBeGreaterThanOrEqual(3000);
    ok(coord(dir, ['lock', 'src/a.ts'], { GIT_COORD_AGENT: 'alice' }));
    expect(gitSync(dir, 'count-objects', '-v')).toMatch(/^count: 0$/m);
    // Every one is still there (packed), unreachable as it is.
    const check = spawnCheck(dir, written);
    expect(check.filter((l) => l.endsWith('missing'))).toEqual([]);
    ok(coord(dir, ['locks']));
  });
});

function spawnIds(dir: string, files: string[]): string[] {
  const r = spawnSync('git', ['hash-object', '-w', '--stdin-paths'], { cwd: dir, env: ENV, input: files.join('\n') + '\n', encoding: 'utf8' });
  return r.stdout.trim().split('\n');
}

function spawnCheck(dir: string, ids: string[]): string[] {
  const r = spawnSync('git', ['cat-file', '--batch-check'], { cwd: dir, env: ENV, input: ids.join('\n') + '\n', encoding: 'utf8' });
  return r.stdout.trim().split('\n');
}
