/**
 * Ranges of commits as a person gives them (`origin/main..HEAD`, `A...B`, `^X Y`), for `verify`:
 * which commits they select, which of those a shallow clone lacks the parents of, and fetching
 * more history. The ranges are text from outside (a CI job's arguments): each is checked here and
 * given to git only after `--end-of-options`, never as an option.
 */
import fs from 'node:fs';
import path from 'node:path';
import { runGit, firstLine } from './run.js';
import { FailedError, UsageError } from '../errors.js';
import type { Repo } from './repo.js';
import { OID } from './objects.js';

/** The most ranges one call takes, and the longest one. */
export const MAX_RANGES = 256;
export const MAX_RANGE_BYTES = 4096;

/**
 * A range must be revisions, nothing else: not empty, not an option (`-…`), no control
 * characters (a newline would split it on a stdin), within the size cap. git decides the rest.
 */
export function checkRanges(ranges: string[]): void {
  if (ranges.length === 0) throw new UsageError('no range given', { kind: 'no-range' });
  if (ranges.length > MAX_RANGES) throw new UsageError(`at most ${MAX_RANGES} ranges at once`, { kind: 'too-many-ranges' });
  for (const r of ranges) {
    const shown = JSON.stringify(r.slice(0, 80));
    if (r === '') throw new UsageError('an empty range', { kind: 'bad-range', range: r });
    if (r.startsWith('-')) throw new UsageError(`${shown} is an option, not a range of commits`, { kind: 'bad-range', range: r });
    // eslint-disable-next-line no-control-regex
    if (/[\x00-\x1f\x7f]/.test(r)) throw new UsageError(`${shown} holds a control character`, { kind: 'bad-range', range: r });
    if (Buffer.byteLength(r) > MAX_RANGE_BYTES) throw new UsageError(`a range over ${MAX_RANGE_BYTES} bytes`, { kind: 'bad-range', range: r.slice(0, 80) });
  }
}

/**
 * The commits `ranges` select, as `git rev-list` takes them, newest first. A range git does not
 * know (an unknown revision, a path) is bad usage: git's own words.
 */
export async function selectCommits(repo: Repo, ranges: string[]): Promise<string[]> {
  checkRanges(ranges);
  const r = await runGit(repo.cwd, ['rev-list', '--end-of-options', ...ranges, '--']);
  if (r.code !== 0) {
    const why = firstLine(r.stderr).replace(/^fatal: /, '');
    if (r.code === 128) throw new UsageError(`not a range of commits here: ${why}`, { kind: 'bad-range', ranges });
    throw new FailedError(`cannot list the commits of ${ranges.join(' ')}: ${why}`);
  }
  const oids = r.stdout.split('\n').filter(Boolean);
  for (const o of oids) if (!OID.test(o)) throw new FailedError(`unexpected output from git rev-list: ${JSON.stringify(o.slice(0, 80))}`);
  await refuseNonCommits(repo, ranges);
  return oids;
}

/**
 * git rev-list takes a tree or a blob (`HEAD^{tree}`, `HEAD:src`) and lists no commit for it,
 * so a check would pass having judged nothing: every revision the ranges name (ends of `A..B`
 * and `A...B` too) must be a commit, or a tag of one. Called once git knows every revision; the
 * ranges were checked (none is an option), and git 2.39's rev-parse knows no `--end-of-options`.
 */
async function refuseNonCommits(repo: Repo, ranges: string[]): Promise<void> {
  const p = await runGit(repo.cwd, ['rev-parse', '--revs-only', ...ranges, '--']);
  if (p.code !== 0) throw new FailedError(`cannot resolve ${ranges.join(' ')}: ${firstLine(p.stderr)}`);
  const named = [...new Set(p.stdout.split('\n').map((l) => l.replace(/^\^/, '')).filter((l) => OID.test(l)))];
  if (named.length === 0) return;
  const t = await runGit(repo.cwd, ['cat-file', '--batch-check=%(objecttype)'], { input: named.map((o) => `${o}^{commit}\n`).join('') });
  const types = t.stdout.split('\n').filter(Boolean);
  if (types.length !== named.length) throw new FailedError(`cannot tell the objects of ${ranges.join(' ')} apart: ${firstLine(t.stderr)}`);
  const bad = named.filter((_, i) => types[i] !== 'commit');
  if (bad.length === 0) return;
  const kinds = await runGit(repo.cwd, ['cat-file', '--batch-check=%(objecttype)'], { input: bad.map((o) => `${o}\n`).join('') });
  const kind = kinds.stdout.split('\n')[0] || 'object';
  throw new UsageError(`not a range of commits: ${ranges.map((x) => JSON.stringify(x.slice(0, 80))).join(' ')} names no commit (${bad[0]} is a ${kind}); give commits, e.g. origin/main..HEAD`, {
    kind: 'not-a-commit',
    ranges,
    objects: bad,
  });
}

/** The commits whose parents a shallow clone lacks (its `shallow` file); empty in a full clone. */
export function shallowBoundaries(repo: Repo): Set<string> {
  try {
    return new Set(fs.readFileSync(path.join(repo.commonDir, 'shallow'), 'utf8').split('\n').filter((l) => OID.test(l)));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return new Set();
    throw new FailedError(`cannot read the shallow clone's boundary: ${(e as Error).message}`);
  }
}

/**
 * More history from `remote` (a configured remote's name): `--deepen=<n>` commits below the
 * current boundary, or everything (`unshallow`). `wants`: commit ids to fetch with it (a CI
 * checkout's head may be on no branch the remote's refspec names); the branches go where the
 * remote's own refspec puts them, as a plain `git fetch` would.
 */
export async function fetchHistory(repo: Repo, remote: string, how: { deepen: number } | 'unshallow', timeoutMs: number, wants: string[] = []): Promise<void> {
  for (const w of wants) if (!OID.test(w)) throw new FailedError(`not a commit id: ${JSON.stringify(w)}`);
  const depth = how === 'unshallow' ? '--unshallow' : `--deepen=${how.deepen}`;
  const r = await runGit(
    repo.cwd,
    ['fetch', '--quiet', '--no-tags', '--no-recurse-submodules', '--no-auto-gc', depth, '--end-of-options', remote, ...wants],
    { timeoutMs },
  );
  if (r.code !== 0) throw new FailedError(`cannot fetch more history from ${remote}: ${firstLine(r.stderr)}`);
}

/** The parents a commit names (also those a shallow clone lacks): its `parent` header lines. */
export async function rawParents(repo: Repo, oid: string): Promise<string[]> {
  if (!OID.test(oid)) throw new FailedError(`not a commit id: ${JSON.stringify(oid)}`);
  const r = await runGit(repo.cwd, ['cat-file', 'commit', oid]);
  if (r.code !== 0) return [];
  const head = r.stdout.split('\n\n')[0] ?? '';
  return head.split('\n').filter((l) => l.startsWith('parent ')).map((l) => l.slice('parent '.length)).filter((p) => OID.test(p));
}
