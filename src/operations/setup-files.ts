/**
 * The files `setup claude` and `setup codex` own (and `setup codex --trust`'s and `setup claude
 * --user`'s files in the user's home), read and written safely: ONE rule for every such file,
 * the config file's (session/config.ts). The work tree is committed, so anyone can make a settings
 * file a symbolic link out of it, a FIFO (reading would hang), a directory, or make its directory
 * a link or a plain file.
 *
 * - A file is followed through a symbolic link only to a regular file inside its root (the work
 *   tree; for a user-level file, the directory it belongs to); a dangling link, a link out of the
 *   root, or anything but a regular file (a directory, a FIFO, a device): UsageError (exit 2).
 * - Each directory on the way (`.claude/`, `.codex/`) is a directory inside the root (a link to
 *   one is followed) or absent (created when written); a file where a directory belongs: exit 2.
 * - Every file of a setup is checked and read before any is written (`planFile` for each, or
 *   `planFiles`), so a refusal leaves all of them as they were. Reading opens with O_NOFOLLOW and
 *   O_NONBLOCK (a file swapped for a link or a FIFO in between is refused, never followed or
 *   waited on); a file is replaced through a temporary file (created exclusively, never through
 *   a link) renamed into place, keeping its mode, and only when its content changes.
 * - `envPrefix`: the environment assignments a user put before a hook command are kept when
 *   setup rewrites the command.
 */
import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.js';

/** A settings file is a few KiB; anything this large is not one. */
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
  /** The file as shown to the user (`.claude/settings.json`, or an absolute path). */
  label: string;
  /** The path read and written (a link's target, resolved). */
  real: string;
  current: string | null;
}

const errno = (e: unknown) => (e as NodeJS.ErrnoException).code ?? (e as Error).message;

function refuse(label: string, why: string): UsageError {
  return new UsageError(`cannot set up ${label}: ${why}; nothing was written`, { code: 'unsafe-setup-file', path: label });
}

function within(dir: string, p: string): boolean {
  const rel = path.relative(dir, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** `dir` with the links of its existing part resolved. */
function realOf(dir: string): string {
  let d = dir;
  while (!fs.existsSync(d) && path.dirname(d) !== d) d = path.dirname(d);
  try {
    return path.join(fs.realpathSync(d), path.relative(d, dir));
  } catch {
    return dir;
  }
}

/**
 * Where `file` (absolute, below `root`) is, checked by the rule above, and its text (null:
 * absent). `label` names it in errors. Throws UsageError (exit 2) when it may not be written.
 */
export function planFile(file: string, label: string, root: string): Planned {
  const rel = path.relative(root, file);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) throw refuse(label, `it is not inside ${root}`);
  const realRoot = realOf(root);
  const parts = rel.split(path.sep).filter(Boolean);
  let dir = realRoot;
  // The directories on the way: each a directory inside the root, or absent from here on.
  let absent = false;
  for (const part of parts.slice(0, -1)) {
    const p = path.join(dir, part);
    dir = p;
    if (absent) continue;
    let st: fs.Stats;
    try {
      st = fs.lstatSync(p);
    } catch (e) {
      if (errno(e) !== 'ENOENT') throw refuse(label, `cannot read ${part} (${errno(e)})`);
      absent = true;
      continue;
    }
    if (st.isSymbolicLink()) {
      let real: string;
      try {
        real = fs.realpathSync(p);
      } catch (e) {
        throw refuse(label, `${part} is a symbolic link that cannot be followed (${errno(e)})`);
      }
      if (!within(realRoot, real)) throw refuse(label, `${part} is a symbolic link to ${real}, outside ${root}`);
      if (!fs.statSync(real).isDirectory()) throw refuse(label, `${part} is a symbolic link to something that is not a directory`);
      dir = real;
      continue;
    }
    if (!st.isDirectory()) throw refuse(label, `${part} is not a directory`);
  }
  let real = path.join(dir, parts[parts.length - 1]!);
  if (absent) return { label, real, current: null };
  let st: fs.Stats;
  try {
    st = fs.lstatSync(real);
  } catch (e) {
    if (errno(e) === 'ENOENT') return { label, real, current: null };
    throw refuse(label, `cannot read it (${errno(e)})`);
  }
  if (st.isSymbolicLink()) {
    let target: string;
    try {
      target = fs.realpathSync(real);
    } catch {
      throw refuse(label, 'it is a symbolic link to nothing (remove it or point it at a file, then run setup again)');
    }
    if (!within(realRoot, target)) throw refuse(label, `it is a symbolic link to ${target}, outside ${root}`);
    real = target;
  }
  return { label, real, current: readRegular(label, real) };
}

/** Every file checked and read, in order (the first refusal throws before anything is written). */
export function planFiles(files: { file: string; label: string; root: string }[]): Planned[] {
  return files.map((f) => planFile(f.file, f.label, f.root));
}

/** The text of the regular file `real`, at most SETUP_FILE_MAX_BYTES, opened without following or blocking. */
function readRegular(label: string, real: string): string {
  let fd: number;
  try {
    fd = fs.openSync(real, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | fs.constants.O_NOFOLLOW);
  } catch (e) {
    throw refuse(label, errno(e) === 'EISDIR' ? 'it is a directory, not a file' : `cannot read it (${errno(e)})`);
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw refuse(label, st.isDirectory() ? 'it is a directory, not a file' : 'it is not a regular file');
    if (st.size > SETUP_FILE_MAX_BYTES) throw refuse(label, `it is larger than ${SETUP_FILE_MAX_BYTES} bytes`);
    const buf = Buffer.alloc(SETUP_FILE_MAX_BYTES + 1);
    let n = 0;
    for (let got; n < buf.length && (got = fs.readSync(fd, buf, n, buf.length - n, null)) > 0; ) n += got;
    if (n > SETUP_FILE_MAX_BYTES) throw refuse(label, `it is larger than ${SETUP_FILE_MAX_BYTES} bytes`);
    return buf.subarray(0, n).toString('utf8');
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Writes `content` to a planned file (its directories made): a temporary file beside it, created
 * exclusively (never through a link), renamed into place; the file's mode kept.
 */
export function writePlanned(p: Planned, content: string): void {
  fs.mkdirSync(path.dirname(p.real), { recursive: true });
  let mode: number | null = null;
  try {
    const st = fs.lstatSync(p.real);
    // Swapped for something else since it was planned: refused, never replaced.
    if (!st.isFile()) throw refuse(p.label, 'it is not a regular file');
    mode = st.mode & 0o777;
  } catch (e) {
    if (e instanceof UsageError) throw e;
  }
  const tmp = `${p.real}.git-coord-${process.pid}.tmp`;
  let fd: number;
  try {
    fd = fs.openSync(tmp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, mode ?? 0o666);
  } catch (e) {
    throw refuse(p.label, `cannot write it (${errno(e)})`);
  }
  try {
    try {
      fs.writeSync(fd, content);
      if (mode !== null) fs.fchmodSync(fd, mode);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, p.real);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
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

/**
 * The environment assignments a user put before a hook command (`GIT_COORD_AGENT=alice `), kept
 * when setup rewrites the command: the README tells users to add them.
 */
export function envPrefix(command: unknown): string {
  if (typeof command !== 'string') return '';
  return /^(?:\s*[A-Za-z_][A-Za-z0-9_]*=(?:'[^']*'|"[^"]*"|[^\s'"]*)\s+)*/.exec(command)?.[0] ?? '';
}

/**
 * git-coord's hooks in a settings file's `hooks` object (Claude Code's and Codex's share the
 * shape): for each event, the groups holding one of ours (`isOurs`) are brought up to date in
 * place and in order, one per wanted entry of that event (its matcher and command; the user's
 * `GIT_COORD_AGENT=<id> ` prefix kept); a missing one is appended; one more than wanted loses our
 * hook (and goes, if that left it empty). A rerun changes nothing; every other hook is kept.
 */
export function mergeEventHooks(
  hooks: Record<string, unknown>,
  wanted: { event: string; matcher?: string; command: string }[],
  isOurs: (command: unknown) => boolean,
  label: string,
  timeout: number,
): void {
  type Json = Record<string, unknown>;
  const events = [...new Set(wanted.map((w) => w.event))];
  for (const event of events) {
    const groups = hooks[event] ?? [];
    if (!Array.isArray(groups)) throw new UsageError(`${label}: hooks.${event} must be an array`);
    hooks[event] = groups;
    const ours = groups.filter((g: Json) => Array.isArray(g?.hooks) && (g.hooks as Json[]).some((h) => isOurs(h?.command)));
    const firstOurs = ours.length ? (ours[0].hooks as Json[]).find((h) => isOurs(h?.command)) : undefined;
    const prefix = envPrefix(firstOurs?.command);
    const want = wanted.filter((w) => w.event === event);
    want.forEach((w, k) => {
      const entry = { type: 'command', command: `${prefix}${w.command}`, timeout };
      const group = ours[k] as Json | undefined;
      if (!group) {
        groups.push({ ...(w.matcher ? { matcher: w.matcher } : {}), hooks: [entry] });
        return;
      }
      const list = group.hooks as Json[];
      const i = list.findIndex((h) => isOurs(h?.command));
      // Keep what the user put before the command (`GIT_COORD_AGENT=<id> `, as the README says).
      list[i] = { ...list[i], ...entry, command: `${envPrefix(list[i]!.command)}${w.command}` };
      if (w.matcher) group.matcher = w.matcher;
    });
    for (const group of ours.slice(want.length) as Json[]) {
      group.hooks = (group.hooks as Json[]).filter((h) => !isOurs(h?.command));
      if ((group.hooks as Json[]).length === 0) groups.splice(groups.indexOf(group), 1);
    }
  }
}
