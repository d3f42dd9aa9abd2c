/**
 * `verify <range>...`: the server hook's judgement, for a forge that runs no server hooks (a CI
 * job on every pull or merge request). Every commit the ranges select is judged as pre-push and
 * pre-receive judge them (judgeCommits: a held path may change only in the holder's own commits,
 * by their Coord-Agent trailer; a merge by what it changes against every parent), against the
 * coordination state of the configured remote, fetched fresh, or without one, of the repository.
 */
import { FailedError, UsageError } from '../errors.js';
import { commitTouches } from '../git/commits.js';
import { configuredRemote } from '../git/remote.js';
import { fetchHistory, rawParents, selectCommits, shallowBoundaries } from '../git/ranges.js';
import { LOCKS } from '../store/layout.js';
import type { Coord } from '../session/coord.js';
import { judgeCommits } from './commits.js';

export interface VerifyInput {
  /** Ranges as `git rev-list` takes them (`origin/main..HEAD`, `A...B`, `^X Y`). */
  ranges: string[];
}

/** One commit changing a path another agent holds: the contract's conflict of `verify`. */
export interface VerifyConflict {
  commit: string;
  path: string;
  pattern: string;
  /** The holder. */
  agent: string;
  reason: string;
  expiresAt: string | null;
}

export interface VerifyResult {
  ok: boolean;
  /** How many commits were judged. */
  commits: number;
  conflicts: VerifyConflict[];
}

/** How many rounds of `--deepen` a shallow clone gets before one `--unshallow`. */
const DEEPEN_ROUNDS = 4;

export async function verify(ctx: Coord, input: VerifyInput): Promise<VerifyResult> {
  const cfg = await ctx.config();
  const oids = await selectWhole(ctx, input.ranges, cfg.timeoutMs);
  // The coordination state: the remote's, fetched now (a check must not pass on an old view).
  await ctx.store.refresh([LOCKS], 'authority');
  const touches = oids.length === 0 ? [] : await commitTouches(ctx.repo, oids, ['--no-walk=unsorted']);
  const violations = await judgeCommits(ctx, touches);
  const conflicts = violations.map((v) => ({
    commit: v.commit,
    path: v.conflict.path,
    pattern: v.conflict.pattern,
    agent: v.conflict.agent,
    reason: v.conflict.reason,
    expiresAt: v.conflict.expiresAt,
  }));
  return { ok: conflicts.length === 0, commits: oids.length, conflicts };
}

/**
 * The selected commits, each with its parents here. In a shallow clone a commit at the
 * boundary looks like a root, as if it added every file: its parents are fetched (`--deepen`,
 * then `--unshallow`) from the coordination remote, else `origin`; when there is none, or the
 * fetch fails, the error names the commit, its missing parents and the command to run.
 */
async function selectWhole(ctx: Coord, ranges: string[], timeoutMs: number): Promise<string[]> {
  const from = ctx.store.remote ?? ((await configuredRemote(ctx.repo, 'origin')) ? 'origin' : null);
  let fetchError: string | null = null;
  for (let round = 0; ; round++) {
    const boundary = shallowBoundaries(ctx.repo);
    let oids: string[];
    try {
      oids = await selectCommits(ctx.repo, ranges);
    } catch (e) {
      // A base a shallow clone never fetched is unknown here, not wrong.
      if (e instanceof UsageError && boundary.size > 0) {
        throw new UsageError(`${e.message} (this is a shallow clone: fetch the base, or all history with git fetch --unshallow ${from ?? '<remote>'})`, e.detail);
      }
      throw e;
    }
    const cut = oids.filter((o) => boundary.has(o));
    if (cut.length === 0) return oids;
    if (from === null || fetchError !== null || round > DEEPEN_ROUNDS) {
      const commit = cut[0]!;
      const parents = await rawParents(ctx.repo, commit);
      const remote = from ?? '<remote>';
      const command = `git fetch --unshallow ${remote}`;
      throw new FailedError(
        `commit ${commit} has its parent${parents.length === 1 ? '' : 's'} ${parents.join(', ') || '(unknown)'} missing from this shallow clone, ` +
          `so what it changes cannot be told${fetchError ? ` (${fetchError})` : from === null ? ' (no remote to fetch them from)' : ''}; ` +
          `fetch them (${command}, or git fetch --deepen=<n> ${remote}) and run verify again`,
        { kind: 'shallow', commit, parents, command },
      );
    }
    const how = round < DEEPEN_ROUNDS ? { deepen: Math.max(64, oids.length) * 2 ** round } : ('unshallow' as const);
    try {
      // With the cut commits themselves as wants (a CI checkout's head may be on no branch);
      // a server that refuses ids as wants gets the plain fetch.
      await fetchHistory(ctx.repo, from, how, timeoutMs, cut.slice(0, 100)).catch(() => fetchHistory(ctx.repo, from, how, timeoutMs));
    } catch (e) {
      fetchError = (e as Error).message;
    }
  }
}
