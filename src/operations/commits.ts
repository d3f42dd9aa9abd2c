/**
 * Judging commits against the lock state: the staged changes of the commit in progress
 * (pre-commit, `check --staged`), and lists of commits with their changed paths and Coord-Agent
 * trailers (pre-push, the server's pre-receive, and `verify <range>` in operations/verify.ts).
 * Returns data: the hooks' face (hooks/entry.ts, hooks/render.ts) words the refusals.
 */
import { stagedDiff, stagedTouches } from '../git/worktree.js';
import { commitTouches, notArchives, notRecords, type CommitTouch } from '../git/commits.js';
import { OID } from '../git/objects.js';
import { listRemote } from '../git/remote.js';
import { AGENT_ID } from '../agents/id.js';
import { REMOTE_NAME } from '../session/config.js';
import { FailedError, RefusedError, UsageError } from '../errors.js';
import { printable } from '../printable.js';
import { ARCHIVE, LOCKS } from '../store/layout.js';
import { Coord, type OpenOptions } from '../session/coord.js';
import { Locks, type Conflict } from '../locks/locks.js';
import type { RefLine, UnrecordedFree } from './lock-audit.js';

/**
 * With a remote as the authority, a hook works from the local view, refreshed first when it is
 * older than the configured age, within the configured timeout. When the remote cannot be
 * reached: `hooks.offline: allow` checks the last view (fail open), `refuse` refuses (fail closed).
 */
async function refreshForHook(ctx: Coord, always: boolean): Promise<void> {
  if (!ctx.store.remote) return;
  const cfg = await ctx.config();
  if (!always && ctx.readMode(cfg.hooks.refresh) === 'view') return;
  try {
    await ctx.store.refresh([LOCKS], 'authority', cfg.hooks.timeoutMs);
  } catch (e) {
    // A remote that is not one (an invalid config) is no outage: exit 2, whatever hooks.offline says.
    if (e instanceof UsageError) throw e;
    const t = ctx.store.viewTime();
    const age = t ? `${Math.round((ctx.now() - t) / 1000)}s old` : 'never synced';
    if (cfg.hooks.offline === 'refuse') {
      throw new RefusedError(`${(e as Error).message}; refusing, since hooks.offline is refuse (the local view is ${age})`);
    }
    ctx.warn(`${(e as Error).message}; checking against the local view (${age}), since hooks.offline is allow`);
  }
}

/** pre-commit / pre-merge-commit, `check --staged`: the staged paths this commit touches that others hold. */
export async function stagedConflicts(ctx: Coord, staged?: Promise<string[]>): Promise<Conflict[]> {
  const paths = await stagedTouches(ctx.repo, staged);
  if (paths.length === 0) return [];
  await refreshForHook(ctx, false);
  return new Locks(ctx).check([], { paths, mode: 'view' });
}

/**
 * What the pre-commit hook runs: opens the repository and reads the staged changes at the same
 * time (both need only the directory), then checks them.
 */
export async function runCommitCheck(opts: OpenOptions = {}): Promise<{ conflicts: Conflict[]; warnings: string[] }> {
  let staged: Promise<string[]> | undefined;
  const ctx = await Coord.open({ ...opts, alongside: (cwd) => (staged = stagedDiff(cwd)) });
  try {
    return { conflicts: await stagedConflicts(ctx, staged), warnings: ctx.warnings };
  } finally {
    ctx.close();
  }
}

/** A pushed commit that changes a path another agent holds. */
export interface PushViolation {
  commit: string;
  subject: string;
  /** The commit's Coord-Agent, or null. */
  author: string | null;
  conflict: Conflict;
}

/** A commit as the judge sees it: its id, subject, Coord-Agent trailer (or null) and the paths it changes. */
export type TouchingCommit = CommitTouch;

/**
 * The rule shared by pre-push, the server's pre-receive (and `verify <range>`): each commit may
 * change a held path only if the holder made that commit (its Coord-Agent trailer). Judges the
 * given commits against the live locks (read from the local view).
 */
export async function judgeCommits(ctx: Coord, commits: TouchingCommit[]): Promise<PushViolation[]> {
  const paths = [...new Set(commits.flatMap((c) => c.paths))];
  if (paths.length === 0) return [];
  const covering = await new Locks(ctx).covering(paths, 'view');
  const out: PushViolation[] = [];
  for (const c of commits) {
    // A trailer that is not a valid id names nobody.
    const author = c.agent !== null && AGENT_ID.test(c.agent) ? c.agent : null;
    for (const p of c.paths) {
      for (const h of covering.get(p) ?? []) {
        if (h.rec.agent === author) continue;
        const { pattern, agent, reason, expiresAt } = h.rec;
        out.push({ commit: c.oid, subject: c.subject, author, conflict: { path: p, pattern, agent, reason, expiresAt, state: h.state } });
      }
    }
  }
  return out;
}

/**
 * The commits `revs` (commit ids, `^` to exclude) and `options` select, as commitTouches takes
 * them, judged by `judgeCommits`. A merge is judged by the paths it changes against every parent,
 * so one carrying the holder's commit unchanged passes.
 */
export async function checkCommits(ctx: Coord, revs: string[], options: string[] = []): Promise<PushViolation[]> {
  return judgeCommits(ctx, await commitTouches(ctx.repo, revs, options));
}

const ZERO = /^0+$/;
const COORDINATION = 'refs/coordination/';

/**
 * The lines git gives pre-push: `<local ref> SP <local oid> SP <remote ref> SP <remote oid>`.
 * The local ref is what the user typed (`HEAD^{/fix bug}` holds a space), so the fields are
 * taken from the right; ids must be ids. Anything else is refused, never guessed at.
 */
function pushLines(input: string): { localOid: string; remoteRef: string; remoteOid: string }[] {
  return input
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const f = l.split(' ');
      const [localOid, remoteRef, remoteOid] = f.slice(-3);
      if (f.length < 4 || !OID.test(localOid!) || !OID.test(remoteOid!) || !remoteRef) throw new FailedError(`unexpected pre-push input: ${printable(l)}`);
      return { localOid: localOid!, remoteRef, remoteOid: remoteOid! };
    });
}

/** The lines git gives pre-receive: `<old oid> SP <new oid> SP <ref>`. */
function receiveLines(input: string): RefLine[] {
  return input
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const [oldOid, newOid, ref, ...rest] = l.split(' ');
      if (rest.length > 0 || !OID.test(oldOid!) || !OID.test(newOid!) || !ref) throw new FailedError(`unexpected pre-receive input: ${printable(l)}`);
      return { oldOid: oldOid!, newOid: newOid!, ref };
    });
}

/**
 * pre-push: git passes the remote (a name, or the URL pushed to) and its URL, and the refs being
 * pushed on stdin. Checks every commit not yet on that remote, against the coordination state
 * fetched fresh from the authority (or this repository's own, without a remote).
 *
 * Not yet on the remote: not reachable from the remote's old value of each pushed ref, nor from
 * this clone's remote-tracking refs of it. Those may say too little (a push by URL, a remote
 * never fetched, a branch merged from elsewhere), so before refusing, the remote is asked which
 * refs it holds (`ls-remote`, only then), and the commits reachable from them are not judged.
 */
export async function runPushCheck(remote: string, url: string, input: string): Promise<{ violations: PushViolation[]; warnings: string[] }> {
  const ctx = await Coord.open({});
  try {
    const revs: string[] = [];
    for (const u of pushLines(input)) {
      if (ZERO.test(u.localOid) || u.remoteRef.startsWith(COORDINATION)) continue;
      revs.push(u.localOid);
      if (!ZERO.test(u.remoteOid)) revs.push(`^${u.remoteOid}`);
    }
    if (revs.length === 0) return { violations: [], warnings: ctx.warnings };
    await refreshForHook(ctx, true);
    const tracking = REMOTE_NAME.test(remote) ? [`--remotes=${remote}`] : [];
    let violations = await checkCommits(ctx, revs, ['--ignore-missing', '--not', ...tracking]);
    if (violations.length > 0) {
      const cfg = await ctx.config();
      let held: { ref: string; oid: string }[] | null = null;
      try {
        held = await listRemote(ctx.repo, url, [], cfg.hooks.timeoutMs);
      } catch (e) {
        ctx.warn(`${(e as Error).message}; judging every commit not known to be on it`);
      }
      const there = (held ?? []).filter((h) => !h.ref.startsWith(COORDINATION)).map((h) => `^${h.oid}`);
      if (there.length > 0) violations = await checkCommits(ctx, [...revs, ...there], ['--ignore-missing', '--not', ...tracking]);
    }
    return { violations, warnings: ctx.warnings };
  } finally {
    ctx.close();
  }
}

/**
 * What the server refuses: commits that change held paths, updates of refs/coordination/ to
 * anything but records, and held locks deleted or rewritten without the record of it.
 */
export interface ReceiveRefusal {
  violations: PushViolation[];
  /** Refs under refs/coordination/ that would point at (or bring) objects that are not records. */
  notRecords: { ref: string; objects: string[] }[];
  /** Held locks this push frees (deletes or rewrites) with no journal entry of it (operations/lock-audit.ts). */
  unrecorded: UnrecordedFree[];
}

/**
 * pre-receive, in the bare repository that is the authority: `<old> <new> <ref>` lines.
 *
 * - refs/coordination/ holds only records (notRecords: commits with the empty tree; an archive of
 *   finished tasks, notArchives: commits whose tree holds records), so nothing else can be stored there.
 * - A lock ref holding a path is deleted or rewritten only with the journal entry recording it
 *   (an unlock, a break, an expiry, a renewal) in the same push (unrecordedFrees).
 * - Every other ref's new commits are judged: those no ref outside refs/coordination/ reaches
 *   yet (git quarantines pushed objects until the hook passes). Commits reachable only from
 *   coordination refs count as new, so no commit reaches a branch unjudged, however it arrived.
 */
export async function runReceiveCheck(input: string): Promise<ReceiveRefusal> {
  const ctx = await Coord.open({});
  try {
    if (ctx.repo.top !== null) throw new UsageError('the pre-receive check runs in a bare repository');
    const all = receiveLines(input);
    const lines = all.filter((l) => !ZERO.test(l.newOid));
    const coordination = lines.filter((l) => l.ref.startsWith(COORDINATION));
    // The archives of finished tasks hold trees of records (store/trees.ts); every other coordination ref, records.
    const archives = coordination.filter((l) => l.ref.startsWith(ARCHIVE));
    const bad = new Set([
      ...(await notRecords(ctx.repo, [...new Set(coordination.filter((l) => !l.ref.startsWith(ARCHIVE)).map((l) => l.newOid))])),
      ...(await notArchives(ctx.repo, [...new Set(archives.map((l) => l.newOid))])),
    ]);
    const refused: ReceiveRefusal = { violations: [], notRecords: [], unrecorded: [] };
    if (bad.size > 0) {
      // A bad ancestor is reported with every coordination ref of this push.
      const tips = new Set(coordination.map((l) => l.newOid));
      const ancestors = [...bad].filter((o) => !tips.has(o));
      for (const l of coordination) {
        const objects = [...(bad.has(l.newOid) ? [l.newOid] : []), ...ancestors];
        if (objects.length > 0) refused.notRecords.push({ ref: l.ref, objects });
      }
    }
    const news = [...new Set(lines.filter((l) => !l.ref.startsWith(COORDINATION)).map((l) => l.newOid))];
    if (news.length > 0) refused.violations = await checkCommits(ctx, news, ['--not', `--exclude=${COORDINATION}*`, '--all']);
    // (Records first: the journal entries read below must be records to count.)
    if (refused.notRecords.length === 0) refused.unrecorded = await (await import('./lock-audit.js')).unrecordedFrees(ctx, all); // (pre-receive alone: its schemas stay out of the commit hooks' start)
    return refused;
  } finally {
    ctx.close();
  }
}


/** The library's name for stagedConflicts. */
export const checkCommit = stagedConflicts;
