/**
 * Patterns: what a lock covers. Normalised to repository-relative, `/`-separated form, as git
 * pathspecs are. Three kinds: a file (`a/b.ts`), a directory and everything below it (`a/`),
 * and a glob (`src/**\/*.test.ts`).
 */
import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.js';

export type PatternKind = 'file' | 'dir' | 'glob';

export interface Pattern {
  /** Normalised text, the identity of a lock. A directory keeps its trailing slash; the whole repository is `./`. */
  text: string;
  kind: PatternKind;
  /**
   * The literal leading directories: every path the pattern matches starts with these segments.
   * For a file, the whole path; for a directory, the directory itself.
   */
  anchor: string[];
}

const GLOB_CHARS = /[*?[\]{}]|[@!+]\(/;

export function isGlob(text: string): boolean {
  return GLOB_CHARS.test(text) || text.includes('\\');
}

/** Where a pattern was given: the repository top, and the directory it is relative to. */
export interface PatternBase {
  top: string;
  /** cwd relative to top, '' or ending in '/'. */
  prefix: string;
}

/**
 * Normalises a pattern as given on the command line. Relative input is taken from `base.prefix`;
 * an absolute path inside the repository is made relative. Refuses empty input, NUL or newline,
 * anything outside the repository and anything inside `.git`.
 */
export function parsePattern(raw: string, base: PatternBase): Pattern {
  if (raw.length === 0) throw new UsageError('empty pattern');
  if (/[\0\n\r]/.test(raw)) throw new UsageError(`pattern contains a NUL or newline: ${JSON.stringify(raw)}`);
  let rel: string;
  if (path.isAbsolute(raw)) {
    const r = repoRelative(raw, base.top);
    if (r === null) throw new UsageError(`pattern is outside the repository: ${raw}`);
    rel = r.split(path.sep).join('/') + (raw.endsWith('/') && r !== '' ? '/' : '');
    if (r === '') rel = './';
  } else {
    rel = base.prefix + raw;
  }
  const dirLike = rel.endsWith('/') || rel === '.' || rel.endsWith('/.') || rel.endsWith('/..') || rel === '..';
  const out: string[] = [];
  for (const seg of rel.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (out.length === 0) throw new UsageError(`pattern is outside the repository: ${raw}`);
      out.pop();
      continue;
    }
    out.push(seg);
  }
  if (out.some((s) => s === '.git')) throw new UsageError(`pattern is inside .git: ${raw}`);
  const text = out.join('/');
  if (isGlob(text)) {
    if (dirLike) return glob(`${text}/**`);
    return glob(text);
  }
  if (dirLike || out.length === 0) return { text: text === '' ? './' : `${text}/`, kind: 'dir', anchor: out };
  return { text, kind: 'file', anchor: out };
}

/**
 * An absolute path relative to the repository top, or null outside it. Compared as given, then
 * as real paths: through a symlinked directory (`/tmp` on macOS) one file has two names, and the
 * top is a real path. A path that does not exist yet is resolved through its nearest existing parent.
 */
function repoRelative(abs: string, top: string): string | null {
  const inside = (r: string) => r !== '..' && !r.startsWith(`..${path.sep}`) && !path.isAbsolute(r);
  const r = path.relative(top, abs);
  if (inside(r)) return r;
  const real = path.relative(realPath(top), realPath(abs));
  return inside(real) ? real : null;
}

function realPath(p: string): string {
  let rest = '';
  for (let dir = path.resolve(p); ; dir = path.dirname(dir)) {
    try {
      return path.join(fs.realpathSync(dir), rest);
    } catch {
      if (path.dirname(dir) === dir) return p;
      rest = path.join(path.basename(dir), rest);
    }
  }
}

function glob(text: string): Pattern {
  const segs = text.split('/');
  const anchor: string[] = [];
  for (const s of segs) {
    if (isGlob(s)) break;
    anchor.push(s);
  }
  // A glob whose segments are all literal cannot happen (isGlob was true), so anchor < segs.
  return { text, kind: 'glob', anchor };
}

/** Re-creates a Pattern from its stored normalised text (records keep only the text). */
export function patternFromText(text: string): Pattern {
  if (text === './') return { text, kind: 'dir', anchor: [] };
  if (isGlob(text)) return glob(text);
  if (text.endsWith('/')) return { text, kind: 'dir', anchor: text.slice(0, -1).split('/') };
  return { text, kind: 'file', anchor: text.split('/') };
}

