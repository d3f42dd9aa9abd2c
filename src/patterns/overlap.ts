/**
 * Whether two patterns can match a common path. Exact for files, directories and globs built
 * from `*`, `?`, `**`, `[...]` and `{x,y}`; anything it cannot model exactly (extglobs, POSIX
 * classes, huge brace expansions) is widened to a superset, so the answer errs towards
 * "overlapping": refuse rather than grant twice.
 *
 * Method: a pattern is a sequence of path segments, each either `**` (any number of segments) or
 * a segment glob over characters. Two sequences intersect iff a product walk over both reaches
 * the end of each; two segment globs intersect iff the product of their character automata
 * accepts some string.
 */
import braces from 'braces';
import type { Pattern } from './pattern.js';

type CharSet = { neg: boolean; ranges: [number, number][] };
type CharTok = { t: 'star' } | { t: 'set'; set: CharSet };
type Seg = { t: 'globstar' } | { t: 'seg'; toks: CharTok[] };

const ANY: CharSet = { neg: true, ranges: [] };
const MAX_EXPANSIONS = 64;

export function overlaps(a: Pattern, b: Pattern): boolean {
  // Fast path: anchors must be prefix-related, or no path starts with both.
  const n = Math.min(a.anchor.length, b.anchor.length);
  for (let i = 0; i < n; i++) if (a.anchor[i] !== b.anchor[i]) return false;
  if (a.kind !== 'glob' && b.kind !== 'glob') return literalOverlap(a, b);
  const as = alternatives(a);
  const bs = alternatives(b);
  for (const x of as) for (const y of bs) if (seqIntersect(x, y)) return true;
  return false;
}

function literalOverlap(a: Pattern, b: Pattern): boolean {
  const pa = a.anchor.join('/');
  const pb = b.anchor.join('/');
  if (a.kind === 'file' && b.kind === 'file') return pa === pb;
  // A directory covers itself and everything below; the anchors are already prefix-related.
  if (a.kind === 'dir' && b.kind === 'dir') return true;
  const [dir, file] = a.kind === 'dir' ? [a, b] : [b, a];
  return file.anchor.length >= dir.anchor.length;
}

/** The pattern as segment sequences, one per brace alternative. */
export function alternatives(p: Pattern): Seg[][] {
  if (p.kind === 'file') return [p.anchor.map(literalSeg)];
  if (p.kind === 'dir') return [[...p.anchor.map(literalSeg), { t: 'globstar' }]];
  let texts: string[];
  try {
    texts = p.text.includes('{') ? braces(p.text, { expand: true, rangeLimit: MAX_EXPANSIONS }) : [p.text];
  } catch {
    texts = [];
  }
  if (texts.length === 0 || texts.length > MAX_EXPANSIONS) {
    // Too many alternatives to compare: everything below the anchor.
    return [[...p.anchor.map(literalSeg), { t: 'globstar' }]];
  }
  return texts.map(parseGlob);
}

function literalSeg(s: string): Seg {
  return { t: 'seg', toks: [...s].map((c) => ({ t: 'set', set: lit(c.codePointAt(0)!) })) };
}

function lit(c: number): CharSet {
  return { neg: false, ranges: [[c, c]] };
}

function parseGlob(text: string): Seg[] {
  return text
    .split('/')
    .filter((s) => s !== '')
    .map((s): Seg => {
      if (s === '**') return { t: 'globstar' };
      // Extglobs can span alternatives we do not model: widen to any number of segments.
      if (/[@!+*?]\(/.test(s)) return { t: 'globstar' };
      return { t: 'seg', toks: parseSegment(s) };
    });
}

function parseSegment(s: string): CharTok[] {
  const chars = [...s];
  const toks: CharTok[] = [];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (c === '\\' && i + 1 < chars.length) {
      toks.push({ t: 'set', set: lit(chars[++i]!.codePointAt(0)!) });
    } else if (c === '*') {
      if (toks.at(-1)?.t !== 'star') toks.push({ t: 'star' });
    } else if (c === '?') {
      toks.push({ t: 'set', set: ANY });
    } else if (c === '[') {
      const parsed = parseClass(chars, i);
      if (parsed) {
        toks.push({ t: 'set', set: parsed.set });
        i = parsed.end;
      } else {
        toks.push({ t: 'set', set: lit(91) });
      }
    } else {
      toks.push({ t: 'set', set: lit(c.codePointAt(0)!) });
    }
  }
  return toks;
}

/** Parses `[...]` starting at `start`; null when unterminated (then `[` is literal). */
function parseClass(chars: string[], start: number): { set: CharSet; end: number } | null {
  let i = start + 1;
  let neg = false;
  if (chars[i] === '!' || chars[i] === '^') {
    neg = true;
    i++;
  }
  const ranges: [number, number][] = [];
  let first = true;
  let widened = false;
  for (; i < chars.length; i++) {
    let c = chars[i]!;
    if (c === ']' && !first) return { set: widened ? ANY : { neg, ranges }, end: i };
    first = false;
    if (c === '[' && chars[i + 1] === ':') {
      // POSIX class such as [:alpha:]: not modelled, widen the whole bracket to any character.
      const close = chars.indexOf(']', i + 2);
      if (close === -1) return null;
      widened = true;
      i = close;
      continue;
    }
    if (c === '\\' && i + 1 < chars.length) c = chars[++i]!;
    const lo = c.codePointAt(0)!;
    if (chars[i + 1] === '-' && chars[i + 2] !== undefined && chars[i + 2] !== ']') {
      let hiC = chars[i + 2]!;
      let skip = 2;
      if (hiC === '\\' && chars[i + 3] !== undefined) {
        hiC = chars[i + 3]!;
        skip = 3;
      }
      const hi = hiC.codePointAt(0)!;
      ranges.push(lo <= hi ? [lo, hi] : [hi, lo]);
      i += skip;
    } else {
      ranges.push([lo, lo]);
    }
  }
  return null;
}

/** Whether some character lies in both sets. */
export function setsIntersect(a: CharSet, b: CharSet): boolean {
  if (a.neg && b.neg) return true; // the complement of two finite unions is never empty
  if (!a.neg && !b.neg) {
    for (const [l1, h1] of a.ranges) for (const [l2, h2] of b.ranges) if (l1 <= h2 && l2 <= h1) return true;
    return false;
  }
  const [pos, neg] = a.neg ? [b, a] : [a, b];
  // Is some character of `pos` outside every range of `neg`?
  for (const [lo, hi] of pos.ranges) {
    let cursor = lo;
    const cover = neg.ranges.filter(([l, h]) => h >= lo && l <= hi).sort((x, y) => x[0] - y[0]);
    for (const [l, h] of cover) {
      if (l > cursor) return true;
      cursor = Math.max(cursor, h + 1);
      if (cursor > hi) break;
    }
    if (cursor <= hi) return true;
  }
  return false;
}

/**
 * Walks the product of two automata whose states are positions 0..aLen and 0..bLen: is the pair
 * of final positions reachable from (0, 0)? `next` gives the successors of a pair of positions.
 */
function productReaches(aLen: number, bLen: number, next: (i: number, j: number) => [number, number][]): boolean {
  const seen = new Set<number>();
  const stack: [number, number][] = [[0, 0]];
  while (stack.length) {
    const [i, j] = stack.pop()!;
    const key = i * (bLen + 1) + j;
    if (seen.has(key)) continue;
    seen.add(key);
    if (i === aLen && j === bLen) return true;
    stack.push(...next(i, j));
  }
  return false;
}

/** Can one string match both segment globs? */
function segIntersect(a: CharTok[], b: CharTok[]): boolean {
  return productReaches(a.length, b.length, (i, j) => {
    const out: [number, number][] = [];
    const ta = a[i];
    const tb = b[j];
    // A star may match nothing.
    if (ta?.t === 'star') out.push([i + 1, j]);
    if (tb?.t === 'star') out.push([i, j + 1]);
    // Both consume one common character; a star consumes and stays (two stars together add nothing).
    if (ta && tb && !(ta.t === 'star' && tb.t === 'star')) {
      const sa = ta.t === 'star' ? ANY : ta.set;
      const sb = tb.t === 'star' ? ANY : tb.set;
      if (setsIntersect(sa, sb)) out.push([ta.t === 'star' ? i : i + 1, tb.t === 'star' ? j : j + 1]);
    }
    return out;
  });
}

/** Can one path match both segment sequences, `**` standing for any number of segments? */
function seqIntersect(a: Seg[], b: Seg[]): boolean {
  return productReaches(a.length, b.length, (i, j) => {
    const out: [number, number][] = [];
    const sa = a[i];
    const sb = b[j];
    if (sa?.t === 'globstar') {
      out.push([i + 1, j]);
      if (sb) out.push([i, j + 1]);
    }
    if (sb?.t === 'globstar') {
      out.push([i, j + 1]);
      if (sa) out.push([i + 1, j]);
    }
    if (sa?.t === 'seg' && sb?.t === 'seg' && segIntersect(sa.toks, sb.toks)) out.push([i + 1, j + 1]);
    return out;
  });
}
