/**
 * The git hooks: installing them (plain hooks, core.hooksPath, husky, or a bare repository's
 * server-side hook) and what they check.
 *
 * Plain hooks go where git looks for them (the common git dir, or core.hooksPath), so one
 * install serves every worktree. A hook already there is renamed `<hook>.git-coord-orig` and
 * still runs first. With husky, a marked block is added to `.husky/<hook>` that calls the copy
 * kept in the common git dir.
 */
import fs from 'node:fs';
import path from 'node:path';
import { hooksDir, stagedDiff, stagedTouches } from '../git/worktree.js';
import { commitTouches, notRecords, TRAILER } from '../git/commits.js';
import { OID } from '../git/objects.js';
import { listRemote } from '../git/remote.js';
import { AGENT_ID } from '../agents/id.js';
import { REMOTE_NAME } from '../session/config.js';
import { FailedError, RefusedError, UsageError } from '../errors.js';
import { printable, shellWord } from '../printable.js';
import { LOCKS } from '../store/layout.js';
import { Coord, type OpenOptions } from '../session/coord.js';
import { Locks, type Conflict } from '../locks/locks.js';

/** Client hooks, and the template each is rendered from (in the package's hooks/). */
const CLIENT_HOOKS: Record<string, string> = {
  'pre-commit': 'pre-commit',
  'pre-merge-commit': 'pre-commit',
  'prepare-commit-msg': 'prepare-commit-msg',
  'pre-push': 'pre-push',
};
/** A bare repository gets the server-side hook (in the package's templates/). */
const SERVER_HOOKS: Record<string, string> = { 'pre-receive': 'pre-receive' };

export const HOOKS = Object.keys(CLIENT_HOOKS);
const MARK = 'git-coord';
const ORIG = '.git-coord-orig';
const BLOCK_START = '# >>> git-coord >>>';
const BLOCK_END = '# <<< git-coord <<<';

export interface Runtime {
  /** The Node that runs git-coord, and the bundled CLI: the hooks call exactly these. */
  node: string;
  cli: string;
  /** The package's root (holding hooks/ and templates/). */
  root: string;
}

function render(rt: Runtime, hook: string, server: boolean): string {
  const file = server ? path.join(rt.root, 'templates', SERVER_HOOKS[hook]!) : path.join(rt.root, 'hooks', CLIENT_HOOKS[hook]!);
  // The paths go between single quotes in the scripts: a quote in one must not end the string
  // (the hook would then look for another path, find none, and skip the check). Replaced by
  // functions, so a `$&` or `$'` in a path is not read as a replacement pattern.
  const quoted = (s: string) => () => s.replaceAll("'", () => `'\\''`);
  return fs.readFileSync(file, 'utf8').replaceAll('@HOOK@', hook).replaceAll('@NODE@', quoted(rt.node)).replaceAll('@CLI@', quoted(rt.cli));
}

function isOurs(file: string): boolean {
  try {
    return fs.readFileSync(file, 'utf8').includes(`# ${MARK} `);
  } catch {
    return false;
  }
}

function huskyDir(dir: string): string | null {
  // husky 9 points core.hooksPath at .husky/_ ; husky 4-8 at .husky
  if (path.basename(dir) === '_' && path.basename(path.dirname(dir)) === '.husky') return path.dirname(dir);
  if (path.basename(dir) === '.husky') return dir;
  return null;
}

export interface InstallReport {
  dir: string;
  husky: boolean;
  server: boolean;
  installed: string[];
  chained: string[];
}

/** Installs the client hooks, or in a bare repository the server-side pre-receive hook. */
export async function installHooks(ctx: Coord, rt: Runtime): Promise<InstallReport> {
  const { dir } = await hooksDir(ctx.repo);
  const server = ctx.repo.top === null;
  const husky = server ? null : huskyDir(dir);
  const report: InstallReport = { dir, husky: husky !== null, server, installed: [], chained: [] };
  // The real scripts: in the hooks dir for plain git, in the common git dir for husky.
  const scriptDir = husky ? path.join(ctx.repo.commonDir, 'git-coord', 'hooks') : dir;
  fs.mkdirSync(scriptDir, { recursive: true });
  for (const hook of Object.keys(server ? SERVER_HOOKS : CLIENT_HOOKS)) {
    const target = path.join(scriptDir, hook);
    if (!husky && fs.existsSync(target) && !isOurs(target)) {
      if (server) throw new FailedError(`${target} exists and is not git-coord's: merge the two by hand`);
      if (fs.existsSync(target + ORIG)) throw new FailedError(`cannot chain ${target}: ${target + ORIG} already exists`);
      fs.renameSync(target, target + ORIG);
      report.chained.push(hook);
    }
    fs.writeFileSync(target, render(rt, hook, server), { mode: 0o755 });
    fs.chmodSync(target, 0o755);
    if (husky) addHuskyBlock(path.join(husky, hook), hook);
    report.installed.push(hook);
  }
  return report;
}

function addHuskyBlock(file: string, hook: string): void {
  const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  if (text.includes(BLOCK_START)) return;
  // pre-push reads the pushed refs on stdin; husky hands its hook the same stdin.
  const block = [
    BLOCK_START,
    `h="$(git rev-parse --git-common-dir)/git-coord/hooks/${hook}"; if [ -x "$h" ]; then "$h" "$@" || exit $?; fi`,
    BLOCK_END,
    '',
  ].join('\n');
  const sep = text === '' || text.endsWith('\n') ? '' : '\n';
  fs.writeFileSync(file, text + sep + block, { mode: 0o755 });
}

export async function uninstallHooks(ctx: Coord): Promise<{ dir: string; removed: string[]; restored: string[] }> {
  const { dir } = await hooksDir(ctx.repo);
  const husky = ctx.repo.top === null ? null : huskyDir(dir);
  const scriptDir = husky ? path.join(ctx.repo.commonDir, 'git-coord', 'hooks') : dir;
  const removed: string[] = [];
  const restored: string[] = [];
  for (const hook of [...Object.keys(CLIENT_HOOKS), ...Object.keys(SERVER_HOOKS)]) {
    const target = path.join(scriptDir, hook);
    if (isOurs(target)) {
      fs.rmSync(target);
      removed.push(hook);
    }
    if (!husky && fs.existsSync(target + ORIG) && !fs.existsSync(target)) {
      fs.renameSync(target + ORIG, target);
      restored.push(hook);
    }
    if (husky) {
      const file = path.join(husky, hook);
      if (!fs.existsSync(file)) continue;
      const text = fs.readFileSync(file, 'utf8');
      const start = text.indexOf(BLOCK_START);
      const end = text.indexOf(BLOCK_END);
      if (start < 0 || end < start) continue;
      const rest = text.slice(0, start) + text.slice(end + BLOCK_END.length).replace(/^\n/, '');
      if (rest.trim() === '') fs.rmSync(file);
      else fs.writeFileSync(file, rest);
      if (!removed.includes(hook)) removed.push(hook);
    }
  }
  return { dir, removed, restored };
}

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

/** pre-commit / pre-merge-commit: the staged paths this commit touches that others hold. */
export async function checkCommit(ctx: Coord, staged?: Promise<string[]>): Promise<Conflict[]> {
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
    return { conflicts: await checkCommit(ctx, staged), warnings: ctx.warnings };
  } finally {
    ctx.close();
  }
}

export function commitRefusal(conflicts: Conflict[]): string {
  const lines = ['git-coord: commit refused: it touches paths that another agent holds'];
  for (const c of conflicts) {
    lines.push(
      `  ${printable(c.path)}: locked by ${c.agent} as ${printable(c.pattern)}${c.reason ? ` ("${printable(c.reason)}")` : ''}, ` +
        `${c.expiresAt ? `until ${c.expiresAt}` : 'with no expiry'}`,
    );
  }
  const first = conflicts[0]!;
  lines.push(
    'What you can do:',
    `  - wait until it is released, then take it: git-coord lock ${shellWord(first.path)} --wait`,
    `  - ask ${first.agent} to release it: git-coord unlock ${shellWord(first.pattern)}`,
    `  - if ${first.agent} is gone, break it (recorded in the history): git-coord unlock --force --reason "<why>" ${shellWord(first.pattern)}`,
    `  - or leave the path out of this commit: git restore --staged -- ${shellWord(first.path)}`,
  );
  return lines.join('\n');
}

/** A pushed commit that changes a path another agent holds. */
export interface PushViolation {
  commit: string;
  subject: string;
  /** The commit's Coord-Agent, or null. */
  author: string | null;
  conflict: Conflict;
}

/**
 * The rule shared by pre-push and the server's pre-receive: each commit may change a held path
 * only if the holder made that commit (its Coord-Agent trailer). A merge is judged by the paths
 * it changes against every parent, so one carrying the holder's commit unchanged passes.
 * `revs` (commit ids, `^` to exclude) and `options` select the commits, as commitTouches takes them.
 */
export async function checkCommits(ctx: Coord, revs: string[], options: string[] = []): Promise<PushViolation[]> {
  const commits = await commitTouches(ctx.repo, revs, options);
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
function receiveLines(input: string): { newOid: string; ref: string }[] {
  return input
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const [oldOid, newOid, ref, ...rest] = l.split(' ');
      if (rest.length > 0 || !OID.test(oldOid!) || !OID.test(newOid!) || !ref) throw new FailedError(`unexpected pre-receive input: ${printable(l)}`);
      return { newOid: newOid!, ref };
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

/** What the server refuses: commits that change held paths, and updates of refs/coordination/ to anything but records. */
export interface ReceiveRefusal {
  violations: PushViolation[];
  /** Refs under refs/coordination/ that would point at (or bring) objects that are not records. */
  notRecords: { ref: string; objects: string[] }[];
}

/**
 * pre-receive, in the bare repository that is the authority: `<old> <new> <ref>` lines.
 *
 * - refs/coordination/ holds only records (notRecords: commits with the empty tree), so nothing
 *   else can be stored there.
 * - Every other ref's new commits are judged: those no ref outside refs/coordination/ reaches
 *   yet (git quarantines pushed objects until the hook passes). Commits reachable only from
 *   coordination refs count as new, so no commit reaches a branch unjudged, however it arrived.
 */
export async function runReceiveCheck(input: string): Promise<ReceiveRefusal> {
  const ctx = await Coord.open({});
  try {
    if (ctx.repo.top !== null) throw new UsageError('the pre-receive check runs in a bare repository');
    const lines = receiveLines(input).filter((l) => !ZERO.test(l.newOid));
    const coordination = lines.filter((l) => l.ref.startsWith(COORDINATION));
    const bad = new Set(await notRecords(ctx.repo, [...new Set(coordination.map((l) => l.newOid))]));
    const refused: ReceiveRefusal = { violations: [], notRecords: [] };
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
    return refused;
  } finally {
    ctx.close();
  }
}

export function notRecordsRefusal(refused: ReceiveRefusal['notRecords']): string {
  const lines = ["git-coord: push refused by the server: refs/coordination/ holds only git-coord's records (commits with an empty tree)"];
  for (const r of refused) lines.push(`  ${printable(r.ref)}: ${r.objects.map((o) => o.slice(0, 10)).join(', ')} ${r.objects.length === 1 ? 'is' : 'are'} not a record`);
  lines.push('Coordination refs change only through git-coord (lock, unlock, ...); push branches to refs/heads/.');
  return lines.join('\n');
}

export function pushRefusal(violations: PushViolation[], where: 'push' | 'server'): string {
  const lines = [
    where === 'server'
      ? 'git-coord: push refused by the server: commits change paths that another agent holds'
      : 'git-coord: push refused: commits change paths that another agent holds',
  ];
  for (const v of violations) {
    const c = v.conflict;
    lines.push(
      `  ${v.commit.slice(0, 10)} "${printable(v.subject)}" (${v.author ? `by ${printable(v.author)}` : `no ${TRAILER} trailer`}): ${printable(c.path)} ` +
        `is locked by ${c.agent} as ${printable(c.pattern)}${c.reason ? ` ("${printable(c.reason)}")` : ''}, ${c.expiresAt ? `until ${c.expiresAt}` : 'with no expiry'}`,
    );
  }
  const first = violations[0]!.conflict;
  lines.push(
    'What you can do:',
    `  - ask ${first.agent} to make the change, or to release ${printable(first.pattern)} (git-coord unlock ${shellWord(first.pattern)}), then push again`,
    `  - if ${first.agent} is gone, break the lock (recorded in the history): git-coord unlock --force --reason "<why>" ${shellWord(first.pattern)}`,
    `  - or take the change out of these commits (git rebase -i) and push the rest`,
  );
  return lines.join('\n');
}
