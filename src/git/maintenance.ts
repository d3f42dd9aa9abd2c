/**
 * Keeping a repository's object store small: what `prune` runs, and what the commands that write
 * run in small steps (operations/upkeep.ts). Every record change writes a few loose objects, each
 * at least one file-system block (4 KiB) however small; git's own `gc --auto` never runs after
 * `update-ref`, and it leaves unreachable objects loose for two weeks. So git-coord packs its own.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Repo } from './repo.js';
import { runGit } from './run.js';

/** Packs kept side by side before they are consolidated into one (git's gc.autoPackLimit is 50). */
export const PACK_LIMIT = 20;

function objectsDir(repo: Repo): string {
  return path.join(repo.commonDir, 'objects');
}

/**
 * About how many loose objects the repository holds, from one of its 256 fan-out directories, as
 * `git gc --auto` estimates (a single `readdir`: cheap enough for every command that writes).
 */
export function looseEstimate(repo: Repo): number {
  try {
    return fs.readdirSync(path.join(objectsDir(repo), '17')).filter((f) => /^[0-9a-f]{38}$/.test(f)).length * 256;
  } catch {
    return 0;
  }
}

/** How many packs the repository has. */
export function packCount(repo: Repo): number {
  try {
    return fs.readdirSync(path.join(objectsDir(repo), 'pack')).filter((f) => f.endsWith('.pack')).length;
  } catch {
    return 0;
  }
}

const fail = (what: string, r: { stderr: string }) => `git ${what}: ${r.stderr.trim().split('\n')[0] ?? ''}`;

/** packRefs, then packObjects. Returns git's complaint, if any. */
export async function packAll(repo: Repo): Promise<string | null> {
  return (await packRefs(repo)) ?? packObjects(repo);
}

/**
 * `git pack-refs --all` (what `git gc` runs: safe beside other git processes, each loose ref is
 * removed under its own lock). Returns git's complaint, if any.
 */
export async function packRefs(repo: Repo, timeoutMs = 300_000): Promise<string | null> {
  const r = await runGit(repo.cwd, ['pack-refs', '--all'], { timeoutMs });
  return r.code === 0 ? null : fail('pack-refs', r);
}

/**
 * Every loose object, reachable or not, into one new pack (`pack-objects` given their ids,
 * `prune-packed`): records rewritten whole or re-rooted leave old versions unreachable, which
 * `repack` would leave loose until `git gc` prunes them weeks later. Past PACK_LIMIT packs, they
 * are consolidated into one, unreachable objects kept (`--keep-unreachable`): an object another
 * process has just written and not yet pointed a ref at must never be dropped. The refs are left
 * as they are. Returns git's complaint, if any.
 */
export async function packObjects(repo: Repo): Promise<string | null> {
  const objects = objectsDir(repo);
  const ids: string[] = [];
  for (const d of fs.readdirSync(objects)) {
    if (!/^[0-9a-f]{2}$/.test(d)) continue;
    for (const f of fs.readdirSync(path.join(objects, d))) if (/^[0-9a-f]{38}$/.test(f)) ids.push(d + f);
  }
  if (ids.length > 0) {
    const packed = await runGit(repo.cwd, ['pack-objects', '-q', path.join(objects, 'pack', 'pack')], { input: ids.join('\n') + '\n', timeoutMs: 300_000 });
    if (packed.code !== 0) return fail('pack-objects', packed);
    const pruned = await runGit(repo.cwd, ['prune-packed', '-q'], { timeoutMs: 300_000 });
    if (pruned.code !== 0) return fail('prune-packed', pruned);
  }
  if (packCount(repo) > PACK_LIMIT) {
    const joined = await runGit(repo.cwd, ['repack', '-a', '-d', '-l', '-q', '--keep-unreachable'], { timeoutMs: 600_000 });
    if (joined.code !== 0) return fail('repack', joined);
  }
  return null;
}
