/**
 * The files `setup claude` (and `setup codex`) write into the work tree, read and written safely.
 * The rule is the config file's (session/config.ts): the work tree is committed, so anyone can make
 * a settings file a symbolic link out of it, a FIFO (reading would hang), a directory, or make its
 * directory a link or a plain file.
 *
 * - A file is followed through a symbolic link only to a regular file inside the work tree; a
 *   dangling link, a link out of the work tree, or anything but a regular file: UsageError (exit 2).
 * - Each directory on the way (`.claude/`) is a directory inside the work tree (a link to one is
 *   followed) or absent (created when written); a file where a directory belongs: exit 2.
 * - Every file of a setup is checked and read before any is written (`planFiles`), so a refusal
 *   leaves all of them as they were; writing opens with O_NOFOLLOW and O_NONBLOCK, so a file
 *   swapped for a link or a FIFO in between is refused, never followed or waited on.
 */
import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.js';

/** A settings file is a few KiB; anything this large is not one. */
export const SETUP_FILE_MAX_BYTES = 1024 * 1024;

export interface PlannedFile {
  /** As given, relative to the top of the work tree (`/`-separated). */
  rel: string;
  /** Where it is read from and written to (a link's target, resolved). */
  target: string;
  /** Its text, or null when it does not exist yet. */
  text: string | null;
}

const errno = (e: unknown) => (e as NodeJS.ErrnoException).code ?? (e as Error).message;

function refuse(rel: string, why: string): UsageError {
  return new UsageError(`cannot set up ${rel}: ${why}; nothing was written`, { code: 'unsafe-setup-file', path: rel });
}

function insideTop(realTop: string, p: string): boolean {
  return p === realTop || p.startsWith(realTop + path.sep);
}

/** Where `rel` under `top` is, checked by the rule above, and its text (null: absent). */
export function planFile(top: string, rel: string): PlannedFile {
  const shown = rel.split(path.sep).join('/');
  const realTop = fs.realpathSync(top);
  const parts = rel.split(/[\\/]+/).filter(Boolean);
  let dir = realTop;
  // The directories on the way: each a directory inside the work tree, or absent from here on.
  let absent = false;
  for (const part of parts.slice(0, -1)) {
    const p = path.join(dir, part);
    if (absent) {
      dir = p;
      continue;
    }
    let st: fs.Stats;
    try {
      st = fs.lstatSync(p);
    } catch (e) {
      if (errno(e) !== 'ENOENT') throw refuse(shown, `cannot read ${part} (${errno(e)})`);
      absent = true;
      dir = p;
      continue;
    }
    if (st.isSymbolicLink()) {
      let real: string;
      try {
        real = fs.realpathSync(p);
      } catch (e) {
        throw refuse(shown, `${part} is a link that cannot be followed (${errno(e)})`);
      }
      if (!insideTop(realTop, real)) throw refuse(shown, `${part} is a link to ${real}, outside the work tree`);
      if (!fs.statSync(real).isDirectory()) throw refuse(shown, `${part} is a link to something that is not a directory`);
      dir = real;
      continue;
    }
    if (!st.isDirectory()) throw refuse(shown, `${part} is not a directory`);
    dir = p;
  }
  let target = path.join(dir, parts[parts.length - 1]!);
  if (absent) return { rel: shown, target, text: null };
  let st: fs.Stats;
  try {
    st = fs.lstatSync(target);
  } catch (e) {
    if (errno(e) === 'ENOENT') return { rel: shown, target, text: null };
    throw refuse(shown, `cannot read it (${errno(e)})`);
  }
  if (st.isSymbolicLink()) {
    let real: string;
    try {
      real = fs.realpathSync(target);
    } catch (e) {
      throw refuse(shown, `it is a link that cannot be followed (${errno(e)})`);
    }
    if (!insideTop(realTop, real)) throw refuse(shown, `it is a link to ${real}, outside the work tree`);
    target = real;
  }
  return { rel: shown, target, text: readRegular(shown, target) };
}

/** The text of the regular file `target`, at most SETUP_FILE_MAX_BYTES, opened without following or blocking. */
function readRegular(shown: string, target: string): string {
  let fd: number;
  try {
    fd = fs.openSync(target, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | fs.constants.O_NOFOLLOW);
  } catch (e) {
    throw refuse(shown, `cannot read it (${errno(e)})`);
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw refuse(shown, st.isDirectory() ? 'it is a directory, not a file' : 'it is not a regular file');
    if (st.size > SETUP_FILE_MAX_BYTES) throw refuse(shown, `it is larger than ${SETUP_FILE_MAX_BYTES} bytes`);
    const buf = Buffer.alloc(SETUP_FILE_MAX_BYTES + 1);
    let n = 0;
    for (let got; n < buf.length && (got = fs.readSync(fd, buf, n, buf.length - n, null)) > 0; ) n += got;
    if (n > SETUP_FILE_MAX_BYTES) throw refuse(shown, `it is larger than ${SETUP_FILE_MAX_BYTES} bytes`);
    return buf.subarray(0, n).toString('utf8');
  } finally {
    fs.closeSync(fd);
  }
}

/** Every file checked and read (the first refusal throws before anything is written). */
export function planFiles(top: string, rels: string[]): PlannedFile[] {
  return rels.map((rel) => planFile(top, rel));
}

/** Writes each planned file's new content (the plans came from planFiles, all checked). */
export function writePlanned(files: { plan: PlannedFile; content: string }[]): void {
  for (const { plan, content } of files) {
    fs.mkdirSync(path.dirname(plan.target), { recursive: true });
    let fd: number;
    try {
      fd = fs.openSync(plan.target, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_TRUNC | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK, 0o666);
    } catch (e) {
      throw refuse(plan.rel, `cannot write it (${errno(e)})`);
    }
    try {
      if (!fs.fstatSync(fd).isFile()) throw refuse(plan.rel, 'it is not a regular file');
      fs.writeSync(fd, content);
    } finally {
      fs.closeSync(fd);
    }
  }
}

/**
 * The environment assignments a user put before a hook command (`GIT_COORD_AGENT=alice `), kept
 * when setup rewrites the command: the README tells users to add them.
 */
export function envPrefix(command: unknown): string {
  if (typeof command !== 'string') return '';
  return /^(?:\s*[A-Za-z_][A-Za-z0-9_]*=(?:'[^']*'|"[^"]*"|[^\s'"]*)\s+)*/.exec(command)?.[0] ?? '';
}
