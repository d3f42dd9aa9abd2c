/**
 * Which paths an agent's write really touches, and which repository judges each: the rules every
 * agent hook (Claude Code's, Codex's) shares, apart from the hook's I/O.
 *
 * - `writeTargets`: a write to a symbolic link writes where the link points, even when that does not
 *   exist yet (a dangling link creates its target): both the link and its final target are judged.
 * - `owningTop`: a path is judged by the repository that holds it: the nearest directory above it
 *   with a `.git` (a nested repository, a worktree or a submodule inside the work tree), not the
 *   repository the session started in.
 * - `processCwd`: the process's directory, or null when it was deleted (Node throws `uv_cwd`).
 */
import fs from 'node:fs';
import path from 'node:path';

/** Links followed at most (as the kernel's ELOOP limit). */
const MAX_LINKS = 40;

/** The process's working directory, or null when it no longer exists. */
export function processCwd(): string | null {
  try {
    return process.cwd();
  } catch {
    return null;
  }
}

/**
 * The absolute paths a write of `file` (absolute) touches: the path itself and, when it is a
 * symbolic link (a chain of them, dangling or not), the path at the end of the chain. A loop or a
 * chain past MAX_LINKS ends where it is: writing it fails anyway.
 */
export function writeTargets(file: string): string[] {
  const out = [file];
  let p = file;
  for (let i = 0; i < MAX_LINKS; i++) {
    let link: string;
    try {
      if (!fs.lstatSync(p).isSymbolicLink()) break;
      link = fs.readlinkSync(p);
    } catch {
      break;
    }
    // Relative to the link's own directory, with that directory's links resolved as the kernel would.
    p = path.resolve(realDir(path.dirname(p)), link);
    if (out.includes(p)) break;
    out.push(p);
  }
  return out.length > 2 ? [out[0]!, out[out.length - 1]!] : out;
}

/** `dir` with the links of its existing part resolved. */
export function realDir(dir: string): string {
  let base = dir;
  const rest: string[] = [];
  while (!fs.existsSync(base) && path.dirname(base) !== base) {
    rest.unshift(path.basename(base));
    base = path.dirname(base);
  }
  try {
    return path.join(fs.realpathSync(base), ...rest);
  } catch {
    return dir;
  }
}

/**
 * The top of the innermost repository or worktree that holds `file` (absolute): the nearest
 * directory at or above the file's directory that has a `.git` entry (a directory, or the file
 * of a worktree or submodule). Null when there is none.
 */
export function owningTop(file: string): string | null {
  let d = realDir(path.dirname(file));
  for (;;) {
    if (fs.lstatSync(path.join(d, '.git'), { throwIfNoEntry: false })) return d;
    const up = path.dirname(d);
    if (up === d) return null;
    d = up;
  }
}
