/**
 * Finding the repository: its work tree, its per-worktree git dir and its common git dir.
 *
 * The common layouts are read from the file system as git itself finds them (a `.git` directory
 * or `gitdir:` file in the directory or one of its parents, a `commondir` file in a linked
 * worktree's git dir, GIT_DIR as git sets it for a linked worktree's hooks, a bare repository
 * entered directly): `git rev-parse` would cost a process start on every command. Anything less
 * usual (GIT_WORK_TREE, GIT_COMMON_DIR, core.worktree, includes, per-worktree config, unknown
 * extensions, another owner, a file system boundary, `-c` options, a git dir entered from its work
 * tree...) is left to `git rev-parse`, which knows every rule.
 *
 * Paths are real paths (symlinks resolved) before they are combined: a relative path git gives
 * is relative to the real directory, not to the symlink it was reached through.
 */
import path from 'node:path';
import fs from 'node:fs';
import { runGit, firstLine } from './run.js';
import { UsageError } from '../errors.js';

export interface Repo {
  /** Top of the current work tree (null in a bare repository). */
  top: string | null;
  /** The directory commands were started in (its real path). */
  cwd: string;
  /** Per-worktree git dir: per-worktree state (the agent id) lives here. */
  gitDir: string;
  /** Common git dir: refs, objects and hooks shared by every worktree. */
  commonDir: string;
  /** cwd relative to top, with a trailing slash, or '' at the top. */
  prefix: string;
  objectFormat: 'sha1' | 'sha256';
  /**
   * Found on the file system, and its config leaves object writing as git does it by default:
   * Node may write loose objects into `<commonDir>/objects` itself (git/objects.ts).
   */
  plain: boolean;
}

export async function openRepo(cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<Repo> {
  const st = fs.statSync(cwd, { throwIfNoEntry: false });
  if (!st) throw new UsageError(`cannot change to '${cwd}': no such directory`);
  if (!st.isDirectory()) throw new UsageError(`cannot change to '${cwd}': not a directory`);
  // git answers paths (the common dir) relative to the real directory: through a symbolic link,
  // `../../.git` would name a directory beside the link, outside the repository.
  const dir = fs.realpathSync(path.resolve(cwd));
  return discover(dir, env) ?? (await askGit(dir));
}

/** Environment variables that change how git finds or reads the repository: git decides. */
const UNUSUAL_ENV = [
  'GIT_WORK_TREE',
  'GIT_COMMON_DIR',
  'GIT_CEILING_DIRECTORIES',
  'GIT_CONFIG_PARAMETERS',
  'GIT_CONFIG_COUNT',
  'GIT_NAMESPACE',
];

/** The repository as the file system shows it, or null when git must be asked. */
export function discover(dir: string, env: NodeJS.ProcessEnv): Repo | null {
  if (UNUSUAL_ENV.some((k) => env[k] !== undefined)) return null;
  try {
    if (env.GIT_DIR !== undefined) {
      // As git sets it for a linked worktree's hooks (and `GIT_DIR=. ` in a bare repository's):
      // without GIT_WORK_TREE or core.worktree, the current directory is the top of the work tree.
      if (env.GIT_DIR === '') return null;
      return fromGitDir(fs.realpathSync(path.resolve(dir, env.GIT_DIR)), dir, dir);
    }
    const dev = fs.statSync(dir).dev;
    for (let d = dir; ; ) {
      const dotGit = path.join(d, '.git');
      const st = statOrNull(dotGit);
      if (st?.isFile()) return fromGitDir(readGitFile(dotGit), d, dir);
      if (st?.isDirectory()) return fromGitDir(fs.realpathSync(dotGit), d, dir);
      if (st) return null;
      // A bare repository (or a git dir) entered directly.
      if (isGitDir(d)) return d === dir ? fromGitDir(d, null, dir) : null;
      const up = path.dirname(d);
      // The root, or a file system boundary git would not cross without being told.
      if (up === d || fs.statSync(up).dev !== dev) return null;
      d = up;
    }
  } catch {
    return null;
  }
}

function statOrNull(p: string): fs.Stats | null {
  try {
    return fs.statSync(p);
  } catch {
    return null;
  }
}

/** A `.git` file: `gitdir: <path>`, relative to the file's directory. */
function readGitFile(file: string): string {
  const text = fs.readFileSync(file, 'utf8');
  const m = /^gitdir: (.+?)\s*$/.exec(text.split('\n')[0]!);
  if (!m) throw new Error('not a gitdir file');
  return fs.realpathSync(path.resolve(path.dirname(file), m[1]!));
}

/** Where a git dir keeps what its worktrees share: its `commondir` file, else itself. */
function commonDirOf(gitDir: string): string {
  let text: string;
  try {
    text = fs.readFileSync(path.join(gitDir, 'commondir'), 'utf8');
  } catch {
    return gitDir;
  }
  return fs.realpathSync(path.resolve(gitDir, text.trim()));
}

/** git's own test for a git dir: a HEAD, and objects/ and refs/ (in the common dir). */
function isGitDir(d: string): boolean {
  const head = statOrNull(path.join(d, 'HEAD'));
  if (!head?.isFile()) return false;
  let common: string;
  try {
    common = commonDirOf(d);
  } catch {
    return false;
  }
  return Boolean(statOrNull(path.join(common, 'objects'))?.isDirectory() && statOrNull(path.join(common, 'refs'))?.isDirectory());
}

/**
 * The repository of a git dir found at `gitDir`: the work tree is `top` (null when entered
 * directly, so it must be bare). Null when its configuration asks for something unusual.
 */
function fromGitDir(gitDir: string, top: string | null, cwd: string): Repo | null {
  if (!isGitDir(gitDir)) return null;
  const commonDir = commonDirOf(gitDir);
  const cfg = readRepoConfig(path.join(commonDir, 'config'));
  if (!cfg) return null;
  if (cfg.bare) top = null;
  else if (top === null) return null; // inside a git dir that has a work tree: git decides
  // git refuses a repository owned by someone else unless safe.directory allows it: let git say.
  const uid = process.getuid?.();
  if (uid !== undefined && [gitDir, commonDir, top ?? gitDir].some((p) => fs.statSync(p).uid !== uid)) return null;
  let prefix = '';
  if (top !== null) {
    const rel = path.relative(top, cwd);
    if (rel.startsWith('..') || path.isAbsolute(rel)) return null;
    prefix = rel === '' ? '' : `${rel.split(path.sep).join('/')}/`;
  }
  return { top, cwd, gitDir, commonDir, prefix, objectFormat: cfg.objectFormat, plain: cfg.objectsPlain };
}

interface RepoConfig {
  bare: boolean;
  objectFormat: 'sha1' | 'sha256';
  /** Nothing in it changes how git writes objects. */
  objectsPlain: boolean;
}

/** The core settings that decide where things are; every extension matters too. */
const CORE_KEYS = new Set(['core.repositoryformatversion', 'core.bare', 'core.worktree']);
/** Settings that change how git writes objects (shared permissions, fsync): then git writes them. */
export const OBJECT_KEYS = new Set(['core.sharedrepository', 'core.fsync', 'core.fsyncobjectfiles', 'core.fsyncmethod']);
const TRUE = new Set(['true', 'yes', 'on', '1']);
const FALSE = new Set(['false', 'no', 'off', '0']);

/**
 * The few settings of the repository's config file that decide where things are, read only when
 * the file is plain; null (ask git) for includes, quoting, core.worktree, per-worktree config,
 * any extension but the object format, or a format version git may not mean as we read it.
 */
export function readRepoConfig(file: string): RepoConfig | null {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  let section = '';
  let objectsPlain = true;
  const values = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const head = /^\[\s*([A-Za-z0-9.-]+)\s*(?:"[^"\\]*")?\s*\]\s*(?:[#;].*)?$/.exec(line);
    if (head) {
      section = head[1]!.toLowerCase();
      if (section === 'include' || section === 'includeif') return null;
      continue;
    }
    // A continued value could hide anything on its next line.
    if (line.startsWith('[') || line.endsWith('\\')) return null;
    if (section !== 'core' && section !== 'extensions') continue;
    const key = `${section}.${/^[A-Za-z][A-Za-z0-9-]*/.exec(line)?.[0]?.toLowerCase() ?? ''}`;
    if (OBJECT_KEYS.has(key)) objectsPlain = false;
    if (section === 'core' && !CORE_KEYS.has(key)) continue;
    const kv = /^[A-Za-z][A-Za-z0-9-]*\s*(?:=\s*([^"\\#;\s]*)\s*)?(?:[#;].*)?$/.exec(line);
    if (!kv) return null;
    values.set(key, kv[1] === undefined ? 'true' : kv[1].toLowerCase());
  }
  const version = values.get('core.repositoryformatversion') ?? '0';
  if (version !== '0' && version !== '1') return null;
  if (values.has('core.worktree')) return null;
  const bare = values.get('core.bare') ?? 'false';
  if (!TRUE.has(bare) && !FALSE.has(bare)) return null;
  let objectFormat: 'sha1' | 'sha256' = 'sha1';
  for (const [k, v] of values) {
    if (!k.startsWith('extensions.')) continue;
    // Extensions mean something only in format version 1.
    if (version !== '1') return null;
    if (k === 'extensions.objectformat' && (v === 'sha1' || v === 'sha256')) objectFormat = v;
    else return null;
  }
  return { bare: TRUE.has(bare), objectFormat, objectsPlain };
}

/** One `git rev-parse` for every layout git supports. */
async function askGit(dir: string): Promise<Repo> {
  const askRepo = ['rev-parse', '--is-bare-repository', '--absolute-git-dir', '--git-common-dir', '--show-object-format'];
  let r = await runGit(dir, [...askRepo, '--show-toplevel', '--show-prefix']);
  // In a bare repository (or inside a git dir) there is no work tree to show: ask again without.
  if (r.code !== 0 && /must be run in a work tree/.test(r.stderr)) r = await runGit(dir, askRepo);
  if (r.code !== 0) {
    const why = firstLine(r.stderr);
    if (/not a git repository/i.test(why)) throw new UsageError(`not inside a git repository: ${dir}`);
    throw new UsageError(`cannot read the repository at ${dir}: ${why}`);
  }
  const lines = r.stdout.split('\n');
  const bare = lines[0] === 'true';
  // Inside the git dir of a repository that has a work tree: there is no top to find the config
  // at, and hooks installed from here would be a server's. git itself refuses work-tree commands here.
  if (!bare && (lines.length < 6 || lines[4] === '')) {
    throw new UsageError(`${dir} is inside a git directory: run git-coord in the repository's work tree`);
  }
  const gitDir = lines[1]!;
  // A relative common dir is relative to where git ran: `dir`, already a real path.
  const common = path.resolve(dir, lines[2]!);
  const objectFormat = lines[3] === 'sha256' ? 'sha256' : 'sha1';
  const top = bare ? null : (lines[4] ?? null);
  const prefix = bare ? '' : (lines[5] ?? '');
  return { top, cwd: dir, gitDir, commonDir: common, prefix, objectFormat, plain: false };
}
