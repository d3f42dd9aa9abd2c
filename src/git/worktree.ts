/**
 * What the work tree and index say: staged paths, the other side of a merge or pick in progress,
 * per-worktree files in the git dir, and git config values.
 */
import fs from 'node:fs';
import path from 'node:path';
import { runGit, firstLine } from './run.js';
import { listRefs } from './refs.js';
import { FailedError } from '../errors.js';
import type { Repo } from './repo.js';
import { OID } from './objects.js';

/**
 * The staged diff, as git-coord reads it and as the shell pre-commit hook does (generated from
 * this, scripts/gen-shell.mjs): a user's diff.relative would list only (and relative to) the
 * current subdirectory, and diff.ignoreSubmodules would hide a submodule's new commit: every
 * path, from the top.
 */
export const STAGED_DIFF = ['-c', 'diff.relative=false', 'diff', '--cached', '--name-only', '--no-renames', '--no-ext-diff', '--ignore-submodules=none'] as const;

/**
 * Paths whose index entry differs from `rev` (content, mode, type, added or deleted), NUL-safe.
 * Without `rev`, from HEAD (or from nothing on an unborn branch).
 */
async function changedVs(cwd: string, rev?: string): Promise<string[]> {
  const r = await runGit(cwd, [...STAGED_DIFF, '-z', '--end-of-options', ...(rev ? [rev] : []), '--']);
  if (r.code !== 0) throw new FailedError(`cannot read staged changes: ${firstLine(r.stderr)}`);
  return r.stdout.split('\0').filter(Boolean);
}

async function resolves(repo: Repo, rev: string): Promise<string | null> {
  const r = await runGit(repo.cwd, ['rev-parse', '-q', '--verify', `${rev}^{commit}`]);
  return r.code === 0 ? r.stdout.trim() : null;
}

/**
 * Commits whose work the commit in progress brings in: merge heads, a pick, a rebase step. During
 * an automatic merge's pre-merge-commit git has not written MERGE_HEAD yet; the merge's
 * arguments are then only in GIT_REFLOG_ACTION ("merge <commit>...", or "pull ..." with the
 * heads in FETCH_HEAD).
 */
async function incomingHeads(repo: Repo): Promise<string[]> {
  const heads: string[] = [];
  for (const name of ['MERGE_HEAD', 'CHERRY_PICK_HEAD', 'REBASE_HEAD']) {
    const text = readGitDirFile(repo, name);
    if (text) heads.push(...text.split('\n').map((l) => l.trim()).filter((l) => OID.test(l)));
  }
  if (heads.length > 0) return heads;
  const action = process.env.GIT_REFLOG_ACTION ?? '';
  if (action.startsWith('merge ')) {
    for (const arg of action.slice(6).split(/\s+/)) {
      if (!arg || arg.startsWith('-')) continue;
      const oid = await resolves(repo, arg);
      if (oid) heads.push(oid);
    }
  } else if (action.startsWith('pull')) {
    for (const line of (readGitDirFile(repo, 'FETCH_HEAD') ?? '').split('\n')) {
      const [oid, flag] = line.split('\t');
      if (oid && OID.test(oid) && flag === '') heads.push(oid);
    }
  }
  return heads;
}

/** The staged differences from HEAD, started before the repository is even discovered. */
export function stagedDiff(cwd: string): Promise<string[]> {
  return changedVs(cwd);
}

/**
 * Paths the commit in progress touches as the committer's own change: every staged difference
 * from HEAD (both sides of a rename, since renames are not paired), minus the paths whose staged
 * content is exactly what an incoming commit (merge, pick, rebase) has: those are others' work.
 */
export async function stagedTouches(repo: Repo, fromHead?: Promise<string[]>): Promise<string[]> {
  const touched = await (fromHead ?? changedVs(repo.cwd));
  const incoming = await incomingHeads(repo);
  if (incoming.length === 0 || touched.length === 0) return touched;
  let keep = new Set(touched);
  for (const h of incoming) {
    const differs = new Set(await changedVs(repo.cwd, h));
    keep = new Set([...keep].filter((p) => differs.has(p)));
  }
  return touched.filter((p) => keep.has(p));
}

export function readGitDirFile(repo: Repo, name: string): string | null {
  try {
    return fs.readFileSync(path.join(repo.gitDir, name), 'utf8');
  } catch {
    return null;
  }
}

export function writeGitDirFile(repo: Repo, name: string, content: string): void {
  fs.writeFileSync(path.join(repo.gitDir, name), content);
}

export async function configGet(repo: Repo, key: string): Promise<string | null> {
  const r = await runGit(repo.cwd, ['config', '--get', key]);
  if (r.code === 1) return null;
  if (r.code !== 0) throw new FailedError(`cannot read git config ${key}: ${firstLine(r.stderr)}`);
  return r.stdout.trim();
}

/** Where git looks for hooks: core.hooksPath if set (relative to the work tree top), else the common dir. */
export async function hooksDir(repo: Repo): Promise<{ dir: string; custom: boolean }> {
  const custom = await configGet(repo, 'core.hooksPath');
  if (custom) {
    const expanded = custom.startsWith('~/') ? path.join(process.env.HOME ?? '', custom.slice(2)) : custom;
    return { dir: path.resolve(repo.top ?? repo.commonDir, expanded), custom: true };
  }
  return { dir: path.join(repo.commonDir, 'hooks'), custom: false };
}

/**
 * The newest `max` entries of the journals matching `glob`, following first parents. A journal
 * ref naming a missing object would fail the whole walk: then the walk starts from the refs whose
 * objects exist, and the others are returned as `broken`.
 */
export async function journalLog(
  repo: Repo,
  glob: string,
  max: number,
): Promise<{ entries: { oid: string; body: string }[]; broken: { ref: string; oid: string }[] }> {
  const walk = (starts: string[]) => runGit(repo.cwd, ['log', '--first-parent', `-n${max}`, '--format=%H%x00%b%x00', ...starts, '--']);
  let r = await walk([`--glob=${glob}`]);
  let broken: { ref: string; oid: string }[] = [];
  if (r.code !== 0) {
    const heads = await listRefs(repo, [glob.replace(/\*$/, '')], r.stderr);
    const check = await runGit(repo.cwd, ['cat-file', '--batch-check=%(objectname) %(objecttype)'], { input: heads.map((h) => `${h.oid}\n`).join('') });
    const commits = new Set(check.stdout.split('\n').filter((l) => l.endsWith(' commit')).map((l) => l.split(' ')[0]!));
    broken = heads.filter((h) => !commits.has(h.oid));
    const good = heads.filter((h) => commits.has(h.oid)).map((h) => h.oid);
    if (broken.length === 0) throw new FailedError(`git log failed: ${firstLine(r.stderr)}`);
    if (good.length === 0) return { entries: [], broken };
    r = await walk(good);
    if (r.code !== 0) throw new FailedError(`git log failed: ${firstLine(r.stderr)}`);
  }
  const entries = r.stdout
    .split('\0\n')
    .filter((s) => s.length > 0)
    .map((s) => {
      const [oid, body] = s.split('\0');
      return { oid: oid!.trim(), body: body ?? '' };
    });
  return { entries, broken };
}
