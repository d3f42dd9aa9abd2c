/**
 * Matching concrete paths (as git lists them) against patterns, by the definition in glob.ts;
 * fast enough for a hook that checks a thousand staged paths against a thousand locks: each
 * path and each of its ancestors is looked up in hash maps of files, directories and globs (by
 * anchor), so a glob is only tried on paths below its anchor.
 */
import { matchAlt } from './glob.js';
import type { GlobPattern, Pattern } from './pattern.js';

/** Whether `path` (repository-relative, `/`-separated, as git lists it) matches the pattern. */
export function matches(p: Pattern, path: string): boolean {
  const key = p.anchor.join('/');
  if (p.kind === 'file') return path === key;
  if (!under(path, key)) return false;
  return p.kind === 'dir' || globMatches(p, path.split('/'));
}

function globMatches(p: GlobPattern, segs: string[]): boolean {
  return p.alts.some((a) => matchAlt(a, segs));
}

/** Whether `path` is `dir` or below it ('' is the top, above everything). */
function under(path: string, dir: string): boolean {
  return dir === '' || path === dir || (path.startsWith(dir) && path.charCodeAt(dir.length) === 0x2f);
}

export class PathIndex<T> {
  private files = new Map<string, T[]>();
  private dirs = new Map<string, T[]>();
  /** Globs by anchor: only those anchored at the path or one of its ancestors are tried. */
  private globs = new Map<string, { pattern: GlobPattern; item: T }[]>();

  constructor(items: Iterable<{ pattern: Pattern; item: T }>) {
    for (const { pattern, item } of items) {
      const key = pattern.anchor.join('/');
      if (pattern.kind === 'file') push(this.files, key, item);
      else if (pattern.kind === 'dir') push(this.dirs, key, item);
      else push(this.globs, key, { pattern, item });
    }
  }

  /** Every item whose pattern matches `path`. */
  covering(path: string): T[] {
    const hits: T[] = [...(this.files.get(path) ?? [])];
    let segs: string[] | undefined;
    // The path itself and each of its ancestor directories, up to the top ('').
    let cut = path.length;
    for (;;) {
      const key = path.slice(0, cut);
      const d = this.dirs.get(key);
      if (d) hits.push(...d);
      for (const g of this.globs.get(key) ?? []) {
        segs ??= path.split('/');
        if (globMatches(g.pattern, segs)) hits.push(g.item);
      }
      if (cut === 0) break;
      cut = path.lastIndexOf('/', cut - 1);
      if (cut < 0) cut = 0;
    }
    return hits;
  }
}

function push<T>(m: Map<string, T[]>, k: string, v: T): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}
