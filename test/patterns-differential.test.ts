/**
 * Differential test of the pattern definition (src/patterns/). Random patterns over a small
 * alphabet are checked against every short path over {a, b, ., /}:
 *   - the matcher agrees, on every path, with a reference written here straight from the
 *     README's rules (brace expansion, then a regular expression per alternative);
 *   - the parser refuses exactly the patterns the reference calls invalid;
 *   - overlap finds a common path whenever one exists among the enumerated paths, and every
 *     common path it reports is one both patterns match (so it is exact both ways);
 *   - the hooks' PathIndex answers as the matcher does.
 * The generator is seeded: a failure names the pair, and reruns reproduce it.
 */
import { describe, expect, it } from 'vitest';
import { matches, PathIndex } from '../src/patterns/matcher.js';
import { overlapWitness } from '../src/patterns/overlap.js';
import { parsePattern, patternFromText, type Pattern } from '../src/patterns/pattern.js';
import { UsageError } from '../src/errors.js';

const SEED = Number(process.env.PATTERN_SEED ?? 20240611);
const POOL = 320; // patterns; every pair of them is checked: ~51,000 pairs
const MAX_PATH = 6;

/** mulberry32: a small seeded PRNG. */
function prng(seed: number): (n: number) => number {
  let s = seed >>> 0;
  return (n: number) => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

/** Every path up to MAX_PATH characters over {a, b, ., /} that git could list. */
function allPaths(): string[] {
  const out: string[] = [];
  let layer = [''];
  for (let len = 1; len <= MAX_PATH; len++) {
    layer = layer.flatMap((p) => ['a', 'b', '.', '/'].map((c) => p + c));
    for (const p of layer) if (p.split('/').every((s) => s !== '' && s !== '.' && s !== '..')) out.push(p);
  }
  return out;
}

// ---- The reference: the README's rules, written down directly. ----

/** Brace expansion as the shell does it (the generator writes no escapes). */
function refExpand(text: string): string[] {
  const open = text.indexOf('{');
  if (open < 0) return [text];
  let depth = 0;
  const commas: number[] = [];
  let close = -1;
  for (let i = open; i < text.length && close < 0; i++) {
    if (text[i] === '{') depth++;
    else if (text[i] === '}' && --depth === 0) close = i;
    else if (text[i] === ',' && depth === 1) commas.push(i);
  }
  const cuts = [open, ...commas, close];
  const options = cuts.slice(0, -1).map((c, k) => text.slice(c + 1, cuts[k + 1]));
  return options.flatMap((o) => refExpand(text.slice(0, open) + o + text.slice(close + 1)));
}

/** One segment glob (no `**`) as a regular expression over one segment. */
function refSegment(seg: string): string {
  let re = '';
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = seg.indexOf(']', i + 2);
      const body = seg.slice(i + 1, end);
      // A class never matches "/" (the generator's positive classes cannot hold it).
      re += body[0] === '!' || body[0] === '^' ? `[^/${body.slice(1)}]` : `[${body}]`;
      i = end;
    } else re += c === '.' ? '\\.' : c;
  }
  return re;
}

/**
 * The reference's verdict on a pattern: null when the README says it is refused, else a regular
 * expression the path followed by `/` must match. Segments end in `/`, so `**` (any number of
 * whole segments) is `(?:[^/]+/)*`, and a directory `x/` is `x/**`.
 */
function reference(text: string): RegExp | null {
  const dir = text.endsWith('/');
  const body = dir ? text.slice(0, -1) : text;
  const alts: string[] = [];
  for (const alt of refExpand(body)) {
    const segs = alt.split('/');
    if (dir) segs.push('**');
    let re = '';
    for (const s of segs) {
      if (s === '' || s === '.' || s === '..') return null;
      if (s === '**') re += '(?:[^/]+/)*';
      else if (s.includes('**')) return null;
      else re += `${refSegment(s)}/`;
    }
    alts.push(re);
  }
  return new RegExp(`^(?:${alts.join('|')})$`, 'u');
}

// ---- The generator. ----

const PIECES = ['a', 'b', '.', 'a', 'b', '*', '?', '[ab]', '[!a]', '[^b]', '[a-b]', '[.a]', '{a,b}', '{a,.}', '{a,b/a}', '{a,{b,.b}}', 'a*', '*'];

function generator(rnd: (n: number) => number): () => string {
  const segment = (): string => {
    if (rnd(7) === 0) return '**';
    const n = 1 + rnd(3);
    let s = '';
    for (let k = 0; k < n; k++) s += PIECES[rnd(PIECES.length)];
    // Plain "." or ".." segments are path syntax, normalised away before any glob is read.
    return s === '.' || s === '..' ? 'a' : s;
  };
  return () => {
    const n = 1 + rnd(3);
    let t = Array.from({ length: n }, segment).join('/');
    if (rnd(8) === 0) t += '/';
    return t;
  };
}

const BASE = { top: '/repo', prefix: '' };

describe('patterns against a reference, over every path up to 6 characters', () => {
  const paths = allPaths();
  const words = Math.ceil(paths.length / 32);
  const rnd = prng(SEED);
  const next = generator(rnd);

  // The pool: distinct texts, each parsed or refused, with the set of enumerated paths it matches.
  const pool: { text: string; pattern: Pattern; bits: Uint32Array; count: number }[] = [];
  let refused = 0;
  const seen = new Set<string>();
  const build = () => {
    let attempts = 0;
    while (pool.length < POOL && attempts++ < POOL * 20) {
      const text = next();
      if (seen.has(text)) continue;
      seen.add(text);
      const ref = reference(text);
      let pattern: Pattern | null = null;
      try {
        pattern = parsePattern(text, BASE);
      } catch (e) {
        if (!(e instanceof UsageError)) throw e;
      }
      expect(pattern !== null, `${text}: the parser ${pattern ? 'accepts' : 'refuses'} it, the reference ${ref ? 'accepts' : 'refuses'} it`).toBe(ref !== null);
      if (!pattern || !ref) {
        refused++;
        continue;
      }
      const bits = new Uint32Array(words);
      let count = 0;
      for (let k = 0; k < paths.length; k++) {
        const p = paths[k]!;
        const want = ref.test(`${p}/`);
        if (matches(pattern, p) !== want) expect.fail(`${text} against ${p}: matcher says ${!want}, reference says ${want}`);
        if (want) {
          bits[k >> 5]! |= 1 << (k & 31);
          count++;
        }
      }
      pool.push({ text, pattern, bits, count });
    }
  };

  it(`matcher and parser agree with the reference (seed ${SEED})`, () => {
    build();
    expect(pool.length).toBe(POOL);
    expect(paths.length).toBeGreaterThan(2000);
    // The pool is not degenerate: refusals happen, most patterns match something, some do not.
    expect(refused).toBeGreaterThan(10);
    expect(pool.filter((e) => e.count > 0).length).toBeGreaterThan(POOL / 2);
    expect(pool.some((e) => e.count === 0)).toBe(true);
    // The stored text reads back to the same pattern.
    for (const e of pool) expect(patternFromText(e.pattern.text), e.text).toEqual(e.pattern);
  });

  it('overlap is exact on every pair of the pool', () => {
    if (pool.length === 0) build();
    let pairs = 0;
    let overlapping = 0;
    let beyond = 0;
    for (let i = 0; i < pool.length; i++) {
      for (let j = i; j < pool.length; j++) {
        const a = pool[i]!;
        const b = pool[j]!;
        let common = -1;
        for (let w = 0; w < words && common < 0; w++) {
          const both = a.bits[w]! & b.bits[w]!;
          if (both !== 0) common = w * 32 + (31 - Math.clz32(both & -both));
        }
        const witness = overlapWitness(a.pattern, b.pattern);
        pairs++;
        if (common >= 0 && witness === null) expect.fail(`${a.text} vs ${b.text}: no overlap found, yet both match ${paths[common]}`);
        if (witness !== null) {
          overlapping++;
          const ok =
            witness.split('/').every((s) => s !== '') &&
            matches(a.pattern, witness) &&
            matches(b.pattern, witness) &&
            reference(a.text)!.test(`${witness}/`) &&
            reference(b.text)!.test(`${witness}/`);
          if (!ok) expect.fail(`${a.text} vs ${b.text}: overlap reports ${JSON.stringify(witness)}, which not both match`);
          if (common < 0) beyond++;
        }
      }
    }
    expect(pairs).toBeGreaterThan(50_000);
    expect(overlapping).toBeGreaterThan(pairs / 10);
    expect(pairs - overlapping).toBeGreaterThan(pairs / 10);
    // Some overlaps need a path longer than the enumeration: the witness shows them.
    expect(beyond).toBeGreaterThan(0);
  });

  it("the hooks' path index answers as the matcher does", () => {
    if (pool.length === 0) build();
    const index = new PathIndex(pool.map((e, k) => ({ pattern: e.pattern, item: k })));
    for (let k = 0; k < paths.length; k++) {
      const want = pool.flatMap((e, n) => (e.bits[k >> 5]! & (1 << (k & 31)) ? [n] : []));
      expect(index.covering(paths[k]!).sort((x, y) => x - y), paths[k]).toEqual(want);
    }
  });
});

describe('the issue\'s cases (issue 6 item 4)', () => {
  const P = (s: string) => parsePattern(s, BASE);
  it('"**" next to other characters is refused, not read two ways', () => {
    expect(() => P('**.ts')).toThrow(UsageError);
    expect(() => P('src/**{.ts,.js}')).toThrow(UsageError);
    // What was meant, written by the rules, overlaps as it matches.
    expect(overlapWitness(P('**/*.ts'), P('src/a.ts'))).toBe('src/a.ts');
    expect(overlapWitness(P('src/**/*{.ts,.js}'), P('src/deep/x.ts'))).toBe('src/deep/x.ts');
  });
  it('"[!a]" means the same to overlap and to matching', () => {
    expect(matches(P('src/[!a].ts'), 'src/b.ts')).toBe(true);
    expect(overlapWitness(P('src/[!a].ts'), P('src/b.ts'))).toBe('src/b.ts');
    expect(matches(P('src/[!a].ts'), 'src/a.ts')).toBe(false);
    expect(overlapWitness(P('src/[!a].ts'), P('src/a.ts'))).toBeNull();
  });
});
