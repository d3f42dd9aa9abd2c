/**
 * Finding the repository: its work tree, its per-worktree git dir and its common git dir.
 * One `git rev-parse` answers all of it.
 */
import path from 'node:path';
import fs from 'node:fs';
import { runGit, firstLine } from './run.js';
import { UsageError } from '../errors.js';

export interface Repo {
  /** Top of the current work tree (null in a bare repository). */
  top: string | null;
  /** The directory commands were started in. */
  cwd: string;
  /** Per-worktree git dir: per-worktree state (the agent id) lives here. */
  gitDir: string;
  /** Common git dir: refs, objects and hooks shared by every worktree. */
  commonDir: string;
  /** cwd relative to top, with a trailing slash, or '' at the top. */
  prefix: string;
  objectFormat: 'sha1' | 'sha256';
}

export async function openRepo(cwd: string): Promise<Repo> {
  const st = fs.statSync(cwd, { throwIfNoEntry: false });
  if (!st) throw new UsageError(`cannot change to '${cwd}': no such directory`);
  if (!st.isDirectory()) throw new UsageError(`cannot change to '${cwd}': not a directory`);
  // git answers paths (the common dir) relative to the real directory: through a symbolic link,
  // `../../.git` would name a directory beside the link, outside the repository.
  const dir = fs.realpathSync(path.resolve(cwd));
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
  const common = path.resolve(dir, lines[2]!);
  const objectFormat = lines[3] === 'sha256' ? 'sha256' : 'sha1';
  const top = bare ? null : (lines[4] ?? null);
  const prefix = bare ? '' : (lines[5] ?? '');
  return { top, cwd: dir, gitDir, commonDir: common, prefix, objectFormat };
}
