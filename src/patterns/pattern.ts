/**
 * Patterns: what a lock covers. Normalised to repository-relative, `/`-separated form, as git
 * pathspecs are. Three kinds: a file (`a/b.ts`), a directory and everything below it (`a/`),
 * and a glob (`src/**\/*.test.ts`). What each matches is defined once, in glob.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { printable } from '../printable.js';
import { GLOBSTAR, compile, hasSpecial, leadingLiterals, literalSeg, type Alt } from './glob.js';

export type PatternKind = 'file' | 'dir' | 'glob';

interface Common {
  /** Normalised text, the identity of a lock. A directory keeps its trailing slash; the whole repository is `./`. */
  text: string;
  /**
   * The literal leading directories: every path the pattern matches starts with these segments.
   * For a file, the whole path; for a directory, the directory itself.
   */
  anchor: string[];
}
export type Pattern = (Common & { kind: 'file' }) | (Common & { kind: 'dir' }) | GlobPattern;
export type GlobPattern = Common & {
  kind: 'glob';
  /** Its brace alternatives, each a segment sequence (glob.ts): what it matches. */
  alts: Alt[];
};

/** Where a pattern was given: the repository top, and the directory it is relative to. */
export interface PatternBase {
  top: string;
  /** cwd relative to top, '' or ending in '/'. */
  prefix: string;
}

/**
 * Normalises a pattern as given on the command line. Relative input is taken from `base.prefix`;
 * an absolute path inside the repository is made relative. Refuses empty input, NUL or newline,
 * anything outside the repository, anything inside `.git`, and any glob syntax glob.ts does not
 * define. Given `worktree` (the work tree's top), a literal path naming a directory there is
 * taken as that directory (`src/auth` is `src/auth/`).
 */
export function parsePattern(raw: string, base: PatternBase, worktree?: string | null): Pattern {
  if (raw.length === 0) throw new UsageError('empty pattern');
  if (/[\0\n\r]/.test(raw)) throw new UsageError(`pattern contains a NUL or newline: ${JSON.stringify(raw)}`);
  if (raw.startsWith('!')) {
    throw new UsageError(`bad pattern ${JSON.stringify(raw)}: a leading "!" (negation) is not supported; to mean a literal "!", write "\\!"`);
  }
  let rel: string;
  if (path.isAbsolute(raw)) {
    const r = repoRelative(raw, base.top);
    if (r === null) throw new UsageError(`pattern is outside the repository: ${printable(raw)}`);
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
      const last = out.pop();
      if (last === undefined) throw new UsageError(`pattern is outside the repository: ${printable(raw)}`);
      // `*/..` would mean "each directory the star matches, then up": not one place.
      if (hasSpecial(last)) throw new UsageError(`bad pattern ${JSON.stringify(raw)}: ".." can only follow a plain directory name, not "${last}"`);
      continue;
    }
    out.push(seg);
  }
  if (out.some((s) => s === '.git')) throw new UsageError(`pattern is inside .git: ${printable(raw)}`);
  return fromNormalised(out.join('/'), dirLike, raw, worktree ?? null);
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

function fromNormalised(text: string, dirLike: boolean, what: string, worktree: string | null): Pattern {
  if (text === '') return { text: './', kind: 'dir', anchor: [] };
  // Text with glob characters that, read literally, names a path of this work tree means that
  // path, as git matches a pathspec literally first: `app/[id]/page.tsx` (a Next.js route) is that
  // file, not `app/i/page.tsx` and `app/d/page.tsx`. Kept in its escaped form, its identity.
  if (worktree !== null && hasSpecial(text) && !text.includes('\\') && exists(path.join(worktree, ...text.split('/')))) {
    text = text.replace(/[*?[\]{}(),@!+]/g, '\\$&');
  }
  let anchor: string[];
  if (!hasSpecial(text)) {
    anchor = text.split('/');
  } else {
    const compiled = compile(text, what);
    if (!compiled.literal) {
      let alts = compiled.alts;
      // A glob naming directories (`src/*/`) covers each and everything below: `src/*/**`.
      if (dirLike && !(text === '**' || text.endsWith('/**'))) {
        text += '/**';
        alts = alts.map((a) => [...a, GLOBSTAR]);
      }
      return { text, kind: 'glob', anchor: commonPrefix(alts.map(leadingLiterals)), alts };
    }
    anchor = leadingLiterals(compiled.alts[0]!);
  }
  if (dirLike || (worktree !== null && isDirectory(path.join(worktree, ...anchor)))) return { text: `${text}/`, kind: 'dir', anchor };
  return { text, kind: 'file', anchor };
}

/**
 * The first of the pattern's literal leading directories that is a symbolic link in `worktree`
 * (`link` in `link/a.ts`), or null. git tracks the link itself, never a path beyond it, and
 * refuses such a pathspec: a lock there would cover nothing a commit can touch.
 */
export function linkOnTheWay(p: Pattern, worktree: string): string | null {
  const dirs = p.kind === 'file' ? p.anchor.length - 1 : p.anchor.length;
  for (let k = 1; k <= dirs; k++) {
    const rel = p.anchor.slice(0, k).join('/');
    const st = fs.lstatSync(path.join(worktree, rel), { throwIfNoEntry: false });
    if (!st) return null;
    if (st.isSymbolicLink()) return rel;
  }
  return null;
}

function exists(p: string): boolean {
  try {
    return fs.lstatSync(p, { throwIfNoEntry: false }) !== undefined;
  } catch {
    return false;
  }
}

function isDirectory(p: string): boolean {
  try {
    // lstat: a symbolic link is a file to git, even one pointing at a directory.
    return fs.lstatSync(p, { throwIfNoEntry: false })?.isDirectory() === true;
  } catch {
    return false;
  }
}

function commonPrefix(lists: string[][]): string[] {
  const first = lists[0]!;
  let n = first.length;
  for (const l of lists) {
    let k = 0;
    while (k < n && k < l.length && l[k] === first[k]) k++;
    n = k;
  }
  return first.slice(0, n);
}

/**
 * Re-creates a Pattern from its stored normalised text (records keep only the text). A text that
 * an older version accepted and these rules refuse (an extglob, `**.ts`) is widened to everything
 * below its literal leading directories: it may then conflict more, never less.
 */
export function patternFromText(text: string): Pattern {
  if (text === './') return { text, kind: 'dir', anchor: [] };
  const dirLike = text.endsWith('/');
  try {
    const p = fromNormalised(dirLike ? text.slice(0, -1) : text, dirLike, text, null);
    if (p.text === text) return p;
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
  }
  const segs = text.split('/');
  const anchor: string[] = [];
  for (const s of segs.slice(0, -1)) {
    if (s === '' || hasSpecial(s)) break;
    anchor.push(s);
  }
  return { text, kind: 'glob', anchor, alts: [[...anchor.map(literalSeg), GLOBSTAR]] };
}

/** The pattern's alternatives, each a segment sequence (a file or directory has one). */
export function altsOf(p: Pattern): Alt[] {
  if (p.kind === 'glob') return p.alts;
  const segs = p.anchor.map(literalSeg);
  return [p.kind === 'dir' ? [...segs, GLOBSTAR] : segs];
}
