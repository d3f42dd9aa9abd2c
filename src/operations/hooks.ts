/**
 * Installing git's hooks (plain hooks, core.hooksPath, husky, or a bare repository's server-side
 * hook) and removing them. What they check is operations/commits.ts; what they say, hooks/render.ts.
 *
 * Plain hooks go where git looks for them (the common git dir, or core.hooksPath), so one
 * install serves every worktree. A hook already there is renamed `<hook>.git-coord-orig` and
 * still runs first. With husky, a marked block is added to `.husky/<hook>` that calls the copy
 * kept in the common git dir.
 */
import fs from 'node:fs';
import path from 'node:path';
import { hooksDir } from '../git/worktree.js';
import { FailedError } from '../errors.js';
import { shellQuote } from '../printable.js';
import type { Coord } from '../session/coord.js';

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
  const quoted = (s: string) => () => shellQuote(s).slice(1, -1);
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

