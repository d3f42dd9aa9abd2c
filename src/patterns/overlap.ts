/**
 * Whether two patterns can match a common path, decided on the same model matching uses
 * (glob.ts), and exact: the answer comes with a witness, a path both patterns match.
 *
 * Method: a path is one or more non-empty segments. Two alternatives (segment sequences, `**`
 * standing for any number of segments) share a path iff a walk over the product of the two
 * sequences reaches both ends having taken at least one segment, where taking a segment needs a
 * segment both sides' globs accept. Two segment globs share a non-empty segment iff the product
 * of their character automata accepts one, where taking a character needs one in both sides'
 * sets (interval arithmetic picks it). Braces were expanded into alternatives: two patterns
 * overlap iff some pair of their alternatives does.
 */
import { ANY, SLASH, inSet, matchSegment, type Alt, type CharSet, type Seg, type Tok } from './glob.js';
import { altsOf, type Pattern } from './pattern.js';

export function overlaps(a: Pattern, b: Pattern): boolean {
  return overlapWitness(a, b) !== null;
}

/** A path both patterns match, or null when there is none. */
export function overlapWitness(a: Pattern, b: Pattern): string | null {
  // Every matched path starts with the pattern's anchor: anchors must be prefix-related.
  const n = Math.min(a.anchor.length, b.anchor.length);
  for (let i = 0; i < n; i++) if (a.anchor[i] !== b.anchor[i]) return null;
  if (a.kind !== 'glob' && b.kind !== 'glob') return literalWitness(a, b);
  for (const x of altsOf(a)) {
    for (const y of altsOf(b)) {
      const w = sequenceWitness(x, y);
      if (w !== null) return w;
    }
  }
  return null;
}

/** Files and directories (anchors already prefix-related); a directory covers itself too. */
function literalWitness(a: Pattern, b: Pattern): string | null {
  const [short, long] = a.anchor.length <= b.anchor.length ? [a, b] : [b, a];
  if (short.kind === 'file' && long.anchor.length > short.anchor.length) return null;
  if (short.kind === 'file' && long.kind === 'dir') return short.anchor.join('/');
  if (long.kind === 'file') return long.anchor.join('/');
  // Two directories: the deeper one, or any path when both are the whole repository.
  return long.anchor.length > 0 ? long.anchor.join('/') : 'a';
}

/**
 * Searches a product automaton breadth-first from state 0 for an accepting state; returns the
 * labels along the path found, or null. `next` lists a state's successors with the label taken
 * (null for a move that takes nothing).
 */
function search(accept: (s: number) => boolean, next: (s: number) => [number, string | null][]): string[] | null {
  const from = new Map<number, [number, string | null]>([[0, [-1, null]]]);
  const queue = [0];
  for (let k = 0; k < queue.length; k++) {
    const s = queue[k]!;
    if (accept(s)) {
      const labels: string[] = [];
      for (let at = s; at !== 0; ) {
        const [prev, label] = from.get(at)!;
        if (label !== null) labels.push(label);
        at = prev;
      }
      return labels.reverse();
    }
    for (const [t, label] of next(s)) {
      if (from.has(t)) continue;
      from.set(t, [s, label]);
      queue.push(t);
    }
  }
  return null;
}

const STAR: Tok[] = [{ t: 'star' }];

/**
 * A path matching both segment sequences. States: positions i in `a`, j in `b`, and whether a
 * segment has been taken yet (a path has at least one), encoded as (i * (b.length + 1) + j) * 2 + taken.
 */
function sequenceWitness(a: Alt, b: Alt): string | null {
  const width = b.length + 1;
  const encode = (i: number, j: number, taken: number) => (i * width + j) * 2 + taken;
  const segmentCache = new Map<number, string | null>();
  const labels = search(
    (s) => s === encode(a.length, b.length, 1),
    (s) => {
      const taken = s & 1;
      const i = Math.floor((s >> 1) / width);
      const j = (s >> 1) % width;
      const sa = a[i];
      const sb = b[j];
      const out: [number, string | null][] = [];
      // `**` may stop taking segments.
      if (sa?.t === 'globstar') out.push([encode(i + 1, j, taken), null]);
      if (sb?.t === 'globstar') out.push([encode(i, j + 1, taken), null]);
      if (sa && sb) {
        // Both take one segment: `**` stays where it is, a segment glob moves on.
        const key = i * width + j;
        if (!segmentCache.has(key)) segmentCache.set(key, segmentWitness(sa, sb));
        const w = segmentCache.get(key)!;
        if (w !== null) out.push([encode(sa.t === 'globstar' ? i : i + 1, sb.t === 'globstar' ? j : j + 1, 1), w]);
      }
      return out;
    },
  );
  return labels && labels.join('/');
}

/** A non-empty segment (no `/`) that both accept (`**` accepts any). */
function segmentWitness(a: Seg, b: Seg): string | null {
  const la = a.t === 'seg' ? a.lit : null;
  const lb = b.t === 'seg' ? b.lit : null;
  if (la !== null && lb !== null) return la === lb ? la : null;
  const ta = a.t === 'globstar' ? STAR : a.toks;
  const tb = b.t === 'globstar' ? STAR : b.toks;
  if (la !== null) return matchSegment(tb, la) ? la : null;
  if (lb !== null) return matchSegment(ta, lb) ? lb : null;
  return tokensWitness(ta, tb);
}

/** Product of two segment globs' character automata; states as in sequenceWitness. */
function tokensWitness(a: Tok[], b: Tok[]): string | null {
  const width = b.length + 1;
  const encode = (i: number, j: number, taken: number) => (i * width + j) * 2 + taken;
  const labels = search(
    (s) => s === encode(a.length, b.length, 1),
    (s) => {
      const i = Math.floor((s >> 1) / width);
      const j = (s >> 1) % width;
      const ta = a[i];
      const tb = b[j];
      const out: [number, string | null][] = [];
      // A star may stop taking characters.
      if (ta?.t === 'star') out.push([encode(i + 1, j, s & 1), null]);
      if (tb?.t === 'star') out.push([encode(i, j + 1, s & 1), null]);
      if (ta && tb) {
        // Both take one character: a star stays, a set moves on.
        const c = pick([ta.t === 'star' ? ANY : ta.set, tb.t === 'star' ? ANY : tb.set]);
        if (c !== null) out.push([encode(ta.t === 'star' ? i : i + 1, tb.t === 'star' ? j : j + 1, 1), String.fromCodePoint(c)]);
      }
      return out;
    },
  );
  return labels && labels.join('');
}

/**
 * A character (never `/`) in every one of `sets`, or null. Their intersection is a union of
 * intervals; each starts at 0, just after `/`, at the start of some set's range, or just after
 * the end of a range some set excludes: trying those points (and `a`, for readable witnesses)
 * finds one if there is one.
 */
export function pick(sets: CharSet[]): number | null {
  const candidates = [0x61, 0, SLASH + 1];
  for (const s of sets) for (const [lo, hi] of s.ranges) candidates.push(lo, hi + 1);
  for (const c of candidates) if (c <= 0x10ffff && sets.every((s) => inSet(s, c))) return c;
  return null;
}
