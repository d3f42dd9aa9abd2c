/**
 * The files an `apply_patch` patch writes, read from its text: Codex's edit tool sends the patch as
 * `tool_input.command` of `apply_patch`, and a patch run through the shell arrives in a shell
 * command (`apply_patch <<'EOF'` … `EOF`, possibly after `cd <dir> &&`).
 *
 * The format (Codex's grammar): `*** Begin Patch`, then hunks `*** Add File: <path>`,
 * `*** Delete File: <path>`, `*** Update File: <path>` (optionally followed by
 * `*** Move to: <path>`), then `*** End Patch`. Every path named by one of those four lines is
 * written (a moved file's old path is deleted, its new one added).
 *
 * Pure and total: never throws, reads at most PATCH_MAX_CHARS, and on a malformed patch returns
 * what is evident (every header line it can read), saying so with `truncated`/`malformed`.
 */
import path from 'node:path';

/** The most of a patch (or command) read; past it the result says `truncated`. */
export const PATCH_MAX_CHARS = 8 * 1024 * 1024;
/** The most paths returned; past it the result says `truncated`. */
export const PATCH_MAX_PATHS = 10_000;

export type PatchOp = 'add' | 'update' | 'delete' | 'move';

export interface PatchFile {
  op: PatchOp;
  /** As written in the patch (trimmed). */
  raw: string;
  /** Absolute (resolved against the base directory), `/`-separated. */
  path: string;
}

export interface PatchPaths {
  files: PatchFile[];
  /** Every distinct absolute path written, in order of first mention. */
  paths: string[];
  /** Input past PATCH_MAX_CHARS or more than PATCH_MAX_PATHS paths: the list may be incomplete. */
  truncated: boolean;
  /** No `*** Begin Patch`/`*** End Patch` pair around the hunks, or a header with no path. */
  malformed: boolean;
}

const BEGIN = /^\s*\*\*\*\s*begin\s+patch\s*$/i;
const END = /^\s*\*\*\*\s*end\s+patch\s*$/i;
const HEADER = /^\s*\*\*\*\s*(add|update|delete)\s+file\s*:\s*(.*)$/i;
const MOVE = /^\s*\*\*\*\s*move\s+to\s*:\s*(.*)$/i;

/** Whether a text (a shell command) carries an apply_patch patch. */
export function containsPatch(text: unknown): boolean {
  if (typeof text !== 'string') return false;
  const t = text.length > PATCH_MAX_CHARS ? text.slice(0, PATCH_MAX_CHARS) : text;
  return /\*\*\*\s*begin\s+patch/i.test(t);
}

/** `p` made absolute against `base` (itself absolute), `/`-separated, normalised. */
function resolveAt(base: string, p: string): string {
  const posix = p.replace(/\\/g, '/');
  if (path.posix.isAbsolute(posix)) return path.posix.normalize(posix);
  return path.posix.resolve(base.replace(/\\/g, '/'), posix);
}

/** A path as a header line carries it: trimmed, surrounding quotes removed. */
function cleanPath(s: string): string {
  let p = s.trim();
  if (p.length >= 2 && ((p.startsWith('"') && p.endsWith('"')) || (p.startsWith("'") && p.endsWith("'")))) p = p.slice(1, -1);
  return p;
}

/**
 * The files a patch writes. `text` is the patch itself or a command carrying one; `cwd` the
 * directory relative paths start from (the event's `cwd`, absolute). A shell command's leading
 * `cd <dir> &&` before the patch moves that base, as Codex's own parser of shell patches allows.
 */
export function patchPaths(text: unknown, cwd: string): PatchPaths {
  const out: PatchPaths = { files: [], paths: [], truncated: false, malformed: false };
  if (typeof text !== 'string' || text.length === 0) return out;
  let t = text;
  if (t.length > PATCH_MAX_CHARS) {
    t = t.slice(0, PATCH_MAX_CHARS);
    out.truncated = true;
  }
  const lines = t.split(/\r\n|\r|\n/);
  let base = cwd;
  const beginAt = lines.findIndex((l) => BEGIN.test(l));
  if (beginAt > 0) {
    const before = lines.slice(0, beginAt).join('\n');
    const cd = /^\s*cd\s+("([^"]*)"|'([^']*)'|([^\s;&|]+))\s*&&/.exec(before);
    if (cd) base = resolveAt(cwd, cd[2] ?? cd[3] ?? cd[4] ?? '.');
  }
  if (beginAt < 0 || !lines.slice(beginAt + 1).some((l) => END.test(l))) out.malformed = true;
  const seen = new Set<string>();
  let inPatch = beginAt < 0; // no Begin: read every header line anyway (what is evident)
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (BEGIN.test(line)) {
      inPatch = true;
      continue;
    }
    if (END.test(line)) {
      inPatch = beginAt < 0;
      continue;
    }
    if (!inPatch) continue;
    let op: PatchOp | null = null;
    let raw = '';
    const h = HEADER.exec(line);
    if (h) {
      op = h[1]!.toLowerCase() as PatchOp;
      raw = cleanPath(h[2]!);
    } else {
      const m = MOVE.exec(line);
      if (m) {
        op = 'move';
        raw = cleanPath(m[1]!);
      }
    }
    if (!op) continue;
    if (!raw || raw.includes('\0')) {
      out.malformed = true;
      continue;
    }
    if (out.files.length >= PATCH_MAX_PATHS) {
      out.truncated = true;
      break;
    }
    const abs = resolveAt(base, raw);
    out.files.push({ op, raw, path: abs });
    if (!seen.has(abs)) {
      seen.add(abs);
      out.paths.push(abs);
    }
  }
  return out;
}
