/**
 * Matching concrete paths against patterns, fast enough for a hook that checks a thousand staged
 * paths against a thousand locks: files and directories are looked up by path in hash maps, and a
 * glob is only tried on paths under its anchor.
 */
import picomatch from 'picomatch';
import type { Pattern } from './pattern.js';

const GLOB_OPTS = { dot: true } as const;

export function compileMatcher(p: Pattern): (path: string) => boolean {
  if (p.kind === 'file') return (x) => x === p.text;
  if (p.kind === 'dir') {
    if (p.anchor.length === 0) return () => true;
    const dir = p.text.slice(0, -1);
    return (x) => x === dir || x.startsWith(p.text);
  }
  return picomatch(p.text, GLOB_OPTS);
}

export class PathIndex<T> {
  private files = new Map<string, T[]>();
  private dirs = new Map<string, T[]>();
  private globs: { anchor: string; match: (p: string) => boolean; item: T }[] = [];

  constructor(items: Iterable<{ pattern: Pattern; item: T }>) {
    for (const { pattern, item } of items) {
      const key = pattern.anchor.join('/');
      if (pattern.kind === 'file') push(this.files, key, item);
      else if (pattern.kind === 'dir') push(this.dirs, key, item);
      else this.globs.push({ anchor: key === '' ? '' : `${key}/`, match: compileMatcher(pattern), item });
    }
  }

  /** Every item whose pattern matches `path`. */
  covering(path: string): T[] {
    const hits: T[] = [...(this.files.get(path) ?? [])];
    // The path itself and each of its ancestor directories, down to the root.
    let cut = path.length;
    for (;;) {
      const d = this.dirs.get(path.slice(0, cut));
      if (d) hits.push(...d);
      if (cut === 0) break;
      cut = path.lastIndexOf('/', cut - 1);
      if (cut < 0) cut = 0;
    }
    for (const g of this.globs) if (path.startsWith(g.anchor) && g.match(path)) hits.push(g.item);
    return hits;
  }
}

function push<T>(m: Map<string, T[]>, k: string, v: T): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}
