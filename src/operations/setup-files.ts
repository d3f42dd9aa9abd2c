/**
 * Writing the files `setup claude` and `setup codex` own, safely: one rule for every such file.
 *
 * A file is written only when it is absent or a regular file, or a symbolic link to a regular
 * file inside the work tree (then the link's target is written, the link kept). Anything else (a
 * link out of the work tree or to nothing, a directory, a FIFO, a device) is refused with a
 * usage error (exit 2) before anything is written: setup first reads and plans every file, then
 * writes them. A file is replaced through a temporary file renamed into place, and only when its
 * content changes.
 */
import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.js';

/** The most of an existing setup file read: these are small config files. */
export const SETUP_FILE_MAX_BYTES = 1024 * 1024;

export interface SetupFile {
  /** Relative to the top of the work tree (or as shown, for a file outside it). */
  path: string;
  changed: boolean;
  /** The file's content after setup. */
  content: string;
}

/** A file setup will write: where (the real file, links followed), what it held (null: none). */
export interface Planned {
  label: string;
  /** The path written (a link's target, resolved). */
  real: string;
  current: string | null;
}

function within(dir: string, p: string): boolean {
  const rel = path.relative(dir, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * Reads a file setup may write, checking the rule above. `root`: links must stay inside it (the
 * work tree; for a user-level file, its own directory's parent). Throws UsageError otherwise.
 */
export function planFile(file: string, label: string, root: string): Planned {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(file);
  } catch {
    // Absent: the directories on the way must not be links out of the root either, nor a file
    // or a link to nothing where a directory must be made.
    const dir = nearestPresent(path.dirname(file));
    let realDir: string;
    try {
      realDir = fs.realpathSync(dir);
    } catch {
      throw new UsageError(`${label}: ${path.relative(root, dir) || '.'} is a symbolic link to nothing: remove it, then run setup again`);
    }
    if (!fs.statSync(realDir).isDirectory()) throw new UsageError(`${label}: ${path.relative(root, dir) || '.'} is not a directory: refusing to write there`);
    if (!within(realRoot(root), realDir) && within(root, dir)) throw new UsageError(`${label}: ${path.relative(root, dir) || '.'} leads out of the work tree (a symbolic link): refusing to write through it`);
    return { label, real: path.join(realDir, path.relative(dir, file)), current: null };
  }
  let real = file;
  if (st.isSymbolicLink()) {
    try {
      real = fs.realpathSync(file);
      st = fs.statSync(real);
    } catch {
      throw new UsageError(`${label} is a symbolic link to nothing: remove it or point it at a file, then run setup again`);
    }
    if (!within(realRoot(root), real)) throw new UsageError(`${label} is a symbolic link out of the work tree (${real}): refusing to write through it`);
  }
  if (!st.isFile()) throw new UsageError(`${label} is not a regular file: refusing to write it`);
  if (st.size > SETUP_FILE_MAX_BYTES) throw new UsageError(`${label} is larger than ${SETUP_FILE_MAX_BYTES} bytes: refusing to rewrite it`);
  return { label, real, current: fs.readFileSync(real, 'utf8') };
}

function realRoot(root: string): string {
  const d = nearestExisting(root);
  try {
    return path.join(fs.realpathSync(d), path.relative(d, root));
  } catch {
    return root;
  }
}

/** The nearest of `dir` and its parents that is there at all (a dangling link counts). */
function nearestPresent(dir: string): string {
  let d = dir;
  for (;;) {
    try {
      fs.lstatSync(d);
      return d;
    } catch {
      if (path.dirname(d) === d) return d;
      d = path.dirname(d);
    }
  }
}

function nearestExisting(dir: string): string {
  let d = dir;
  while (!fs.existsSync(d) && path.dirname(d) !== d) d = path.dirname(d);
  return d;
}

/** Writes `content` to a planned file (its directories made), through a temporary file renamed into place. */
export function writePlanned(p: Planned, content: string): void {
  fs.mkdirSync(path.dirname(p.real), { recursive: true });
  const tmp = `${p.real}.git-coord-${process.pid}.tmp`;
  fs.writeFileSync(tmp, content);
  try {
    const mode = fs.statSync(p.real).mode & 0o777;
    fs.chmodSync(tmp, mode);
  } catch {
    // a new file: default mode
  }
  fs.renameSync(tmp, p.real);
}

/** A JSON object from a planned file's text ({} when absent); UsageError when it is not one. */
export function jsonObject(p: Planned, command: string): Record<string, unknown> {
  if (p.current === null) return {};
  let v: unknown;
  try {
    v = JSON.parse(p.current);
  } catch (e) {
    throw new UsageError(`${p.label} is not valid JSON (${(e as Error).message}): fix it, then run ${command} again`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new UsageError(`${p.label} must hold a JSON object`);
  return v as Record<string, unknown>;
}
