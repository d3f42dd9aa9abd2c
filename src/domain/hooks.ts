/**
 * The git hooks: installing them (plain hooks, core.hooksPath, or husky) and what they check.
 *
 * Plain hooks go where git looks for them (the common git dir, or core.hooksPath), so one
 * install serves every worktree. A hook already there is renamed `<hook>.git-coord-orig` and
 * still runs first. With husky, a marked block is added to `.husky/<hook>` that calls the copy
 * kept in the common git dir.
 */
import fs from 'node:fs';
import path from 'node:path';
import { hooksDir, stagedDiff, stagedTouches } from '../git/worktree.js';
import { FailedError } from '../errors.js';
import { Coord, type OpenOptions } from './context.js';
import { Locks, type Conflict } from './locks.js';

export const HOOKS = ['pre-commit', 'pre-merge-commit'] as const;
const MARK = 'git-coord';
const ORIG = '.git-coord-orig';
const BLOCK_START = '# >>> git-coord >>>';
const BLOCK_END = '# <<< git-coord <<<';

export interface Runtime {
  /** The Node that runs git-coord, and the bundled CLI: the hooks call exactly these. */
  node: string;
  cli: string;
  /** Folder holding the hook templates (the package's hooks/). */
  templates: string;
}

function render(rt: Runtime, hook: string): string {
  const tpl = fs.readFileSync(path.join(rt.templates, 'pre-commit'), 'utf8');
  return tpl.replaceAll('@HOOK@', hook).replaceAll('@NODE@', rt.node).replaceAll('@CLI@', rt.cli);
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
  installed: string[];
  chained: string[];
}

export async function installHooks(ctx: Coord, rt: Runtime): Promise<InstallReport> {
  const { dir } = await hooksDir(ctx.repo);
  const husky = huskyDir(dir);
  const report: InstallReport = { dir, husky: husky !== null, installed: [], chained: [] };
  // The real scripts: in the hooks dir for plain git, in the common git dir for husky.
  const scriptDir = husky ? path.join(ctx.repo.commonDir, 'git-coord', 'hooks') : dir;
  fs.mkdirSync(scriptDir, { recursive: true });
  for (const hook of HOOKS) {
    const target = path.join(scriptDir, hook);
    if (!husky && fs.existsSync(target) && !isOurs(target)) {
      if (fs.existsSync(target + ORIG)) throw new FailedError(`cannot chain ${target}: ${target + ORIG} already exists`);
      fs.renameSync(target, target + ORIG);
      report.chained.push(hook);
    }
    fs.writeFileSync(target, render(rt, hook), { mode: 0o755 });
    fs.chmodSync(target, 0o755);
    if (husky) addHuskyBlock(path.join(husky, hook), hook);
    report.installed.push(hook);
  }
  return report;
}

function addHuskyBlock(file: string, hook: string): void {
  const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  if (text.includes(BLOCK_START)) return;
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
  const husky = huskyDir(dir);
  const scriptDir = husky ? path.join(ctx.repo.commonDir, 'git-coord', 'hooks') : dir;
  const removed: string[] = [];
  const restored: string[] = [];
  for (const hook of HOOKS) {
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
      if (fs.existsSync(file)) {
        const text = fs.readFileSync(file, 'utf8');
        const start = text.indexOf(BLOCK_START);
        const end = text.indexOf(BLOCK_END);
        if (start >= 0 && end > start) {
          const rest = text.slice(0, start) + text.slice(end + BLOCK_END.length).replace(/^\n/, '');
          if (rest.trim() === '') fs.rmSync(file);
          else fs.writeFileSync(file, rest);
          if (!removed.includes(hook)) removed.push(hook);
        }
      }
    }
  }
  return { dir, removed, restored };
}

/** pre-commit / pre-merge-commit: the staged paths this commit touches that others hold. */
export async function checkCommit(ctx: Coord, staged?: Promise<string[]>): Promise<Conflict[]> {
  const paths = await stagedTouches(ctx.repo, staged);
  if (paths.length === 0) return [];
  return new Locks(ctx).check([], { paths });
}

/**
 * What a hook runs: opens the repository and reads the staged changes at the same time (both
 * need only the directory), then checks them.
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
      `  ${c.path}: locked by ${c.agent} as ${c.pattern}${c.reason ? ` ("${c.reason}")` : ''}, ` +
        `${c.expiresAt ? `until ${c.expiresAt}` : 'with no expiry'}`,
    );
  }
  const first = conflicts[0]!;
  lines.push(
    'What you can do:',
    `  - wait until it is released, then take it: git-coord lock --wait ${first.path}`,
    `  - ask ${first.agent} to release it: git-coord unlock ${first.pattern}`,
    `  - if ${first.agent} is gone, break it (recorded in the history): git-coord unlock --force --reason "<why>" ${first.pattern}`,
    `  - or leave the path out of this commit: git restore --staged ${first.path}`,
  );
  return lines.join('\n');
}
