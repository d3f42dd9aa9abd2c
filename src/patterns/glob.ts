/**
 * The one definition of what a pattern matches (README "Patterns" states the rules). The text is
 * read once, here, into one model that both matching (matcher.ts) and overlap (overlap.ts) work
 * on, so a lock can never cover one set of paths when it is granted and another when a hook
 * checks a commit.
 *
 * The model: braces are expanded first, into alternatives; each alternative is a sequence of
 * segments, one per path segment: `**` (any number of whole segments, none included) or a
 * segment glob, a sequence of tokens each `*` (any run of characters) or one character out of a
 * set. Anything outside these rules is refused (UsageError), never guessed.
 */
import { UsageError } from '../errors.js';

/** A set of characters (code points): `ranges`, or with `neg` everything else. Never holds `/`. */
export interface CharSet {
  neg: boolean;
  ranges: [number, number][];
}
export type Tok = { t: 'star' } | { t: 'set'; set: CharSet };
/** One path segment: `**`, or a segment glob (`lit` is its text when it has no wildcard). */
export type Seg = { t: 'globstar' } | { t: 'seg'; toks: Tok[]; lit: string | null };
/** One brace alternative: a path as a sequence of segments. */
export type Alt = Seg[];

/** Above this many brace alternatives a pattern is refused (each costs matching and overlap time). */
const MAX_ALTERNATIVES = 256;
export const SLASH = 0x2f;
export const ANY: CharSet = { neg: true, ranges: [] };
export const GLOBSTAR: Seg = { t: 'globstar' };

const POSIX: Record<string, [number, number][]> = {
  alnum: [[48, 57], [65, 90], [97, 122]],
  alpha: [[65, 90], [97, 122]],
  blank: [[9, 9], [32, 32]],
  cntrl: [[0, 31], [127, 127]],
  digit: [[48, 57]],
  graph: [[33, 126]],
  lower: [[97, 122]],
  print: [[32, 126]],
  punct: [[33, 47], [58, 64], [91, 96], [123, 126]],
  space: [[9, 13], [32, 32]],
  upper: [[65, 90]],
  xdigit: [[48, 57], [65, 70], [97, 102]],
};

export function inSet(set: CharSet, c: number): boolean {
  if (c === SLASH) return false;
  let hit = false;
  for (const [lo, hi] of set.ranges) {
    if (c >= lo && c <= hi) {
      hit = true;
      break;
    }
  }
  return hit !== set.neg;
}

/** Whether `text` (a path segment or a whole normalised pattern) has any unescaped special character. */
export function hasSpecial(text: string): boolean {
  return /[*?[\]{}\\]|[@!+]\(/.test(text);
}

type Lex = { t: 'char'; c: number } | { t: 'star' } | { t: 'set'; set: CharSet } | { t: 'slash' } | { t: 'open' } | { t: 'comma' } | { t: 'close' };

/** Reads the text into lexemes, resolving escapes and classes; refuses what the rules do not allow. */
function lex(text: string, what: string): Lex[] {
  const chars = [...text];
  const out: Lex[] = [];
  let depth = 0;
  const bad = (why: string): never => {
    throw new UsageError(`bad pattern ${JSON.stringify(what)}: ${why}`);
  };
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if ('@!+*?'.includes(c) && chars[i + 1] === '(') {
      bad(`extglob "${c}(...)" is not supported (to mean a literal parenthesis, write "\\(")`);
    }
    switch (c) {
      case '\\': {
        const next = chars[++i];
        if (next === undefined) bad('it ends with a lone "\\"');
        if (next === '/') bad('a "/" cannot be escaped');
        out.push({ t: 'char', c: next!.codePointAt(0)! });
        break;
      }
      case '*':
        out.push({ t: 'star' });
        break;
      case '?':
        out.push({ t: 'set', set: ANY });
        break;
      case '[': {
        const { set, end } = readClass(chars, i, bad);
        out.push({ t: 'set', set });
        i = end;
        break;
      }
      case ']':
        bad('"]" without its "[" (to mean a literal one, write "\\]")');
        break;
      case '{':
        depth++;
        out.push({ t: 'open' });
        break;
      case '}':
        if (depth === 0) bad('"}" without its "{" (to mean a literal one, write "\\}")');
        depth--;
        out.push({ t: 'close' });
        break;
      case ',':
        out.push(depth > 0 ? { t: 'comma' } : { t: 'char', c: 0x2c });
        break;
      case '/':
        out.push({ t: 'slash' });
        break;
      default:
        out.push({ t: 'char', c: c.codePointAt(0)! });
    }
  }
  if (depth > 0) bad('"{" is not closed (to mean a literal one, write "\\{")');
  return out;
}

/** Reads the class `[...]` that opens at `start`: its set, and the index of its closing `]`. */
function readClass(chars: string[], start: number, bad: (why: string) => never): { set: CharSet; end: number } {
  let i = start + 1;
  const neg = chars[i] === '!' || chars[i] === '^';
  if (neg) i++;
  const ranges: [number, number][] = [];
  const unclosed = () => bad('"[" is not closed within its path segment (to mean a literal one, write "\\[")');
  // One class character at `j`, escapes resolved: its code point and the index after it.
  const one = (j: number): [number, number] => {
    let c = chars[j];
    if (c === '\\') c = chars[++j];
    if (c === undefined) unclosed();
    if (c === '/') bad('a "[...]" class cannot contain "/"');
    return [c!.codePointAt(0)!, j + 1];
  };
  for (let first = true; ; first = false) {
    const c = chars[i];
    if (c === undefined || c === '/') unclosed();
    if (c === ']' && !first) return { set: { neg, ranges }, end: i };
    if (c === '[' && chars[i + 1] === ':') {
      const close = chars.indexOf(':', i + 2);
      if (close < 0 || chars[close + 1] !== ']') bad('"[:" inside a class must start a class name such as "[:alpha:]"');
      const name = chars.slice(i + 2, close).join('');
      const r = POSIX[name];
      if (!r) bad(`unknown character class "[:${name}:]" (known: ${Object.keys(POSIX).join(', ')})`);
      ranges.push(...r!);
      i = close + 2;
      continue;
    }
    const [lo, afterLo] = one(i);
    if (chars[afterLo] === '-' && chars[afterLo + 1] !== undefined && chars[afterLo + 1] !== ']') {
      const [hi, afterHi] = one(afterLo + 1);
      if (hi < lo) bad(`the range "${String.fromCodePoint(lo)}-${String.fromCodePoint(hi)}" is reversed`);
      ranges.push([lo, hi]);
      i = afterHi;
    } else {
      ranges.push([lo, lo]);
      i = afterLo;
    }
  }
}

/**
 * Expands braces, like the shell does before it globs: `a{b,c}d` is `abd` and `acd`. Groups may
 * nest and hold `/`; every group needs a comma; at most MAX_ALTERNATIVES results.
 */
function expand(lexes: Lex[], what: string): Lex[][] {
  let pos = 0;
  const tooMany = () => {
    throw new UsageError(`bad pattern ${JSON.stringify(what)}: its braces expand to more than ${MAX_ALTERNATIVES} alternatives`);
  };
  // A sequence up to a comma or closing brace of the enclosing group (or the end).
  const seq = (): Lex[][] => {
    let alts: Lex[][] = [[]];
    while (pos < lexes.length) {
      const l = lexes[pos]!;
      if (l.t === 'comma' || l.t === 'close') break;
      pos++;
      if (l.t !== 'open') {
        for (const a of alts) a.push(l);
        continue;
      }
      const options: Lex[][] = [];
      let commas = 0;
      for (;;) {
        options.push(...seq());
        if (options.length > MAX_ALTERNATIVES) tooMany();
        const end = lexes[pos++]!; // the lexer guarantees the group is closed
        if (end.t === 'close') break;
        commas++;
      }
      if (commas === 0) {
        throw new UsageError(`bad pattern ${JSON.stringify(what)}: a "{...}" group needs a comma, as in "{a,b}" (to mean literal braces, write "\\{" and "\\}")`);
      }
      if (alts.length * options.length > MAX_ALTERNATIVES) tooMany();
      alts = alts.flatMap((a) => options.map((o) => [...a, ...o]));
    }
    return alts;
  };
  return seq();
}

/** One alternative's lexemes cut into segments. */
function segments(lexes: Lex[], what: string): Alt {
  const bad = (why: string): never => {
    throw new UsageError(`bad pattern ${JSON.stringify(what)}: ${why}`);
  };
  const out: Alt = [];
  let cur: Lex[] = [];
  const close = () => {
    out.push(segment(cur, bad));
    cur = [];
  };
  for (const l of lexes) {
    if (l.t === 'slash') close();
    else cur.push(l);
  }
  close();
  return out;
}

function segment(lexes: Lex[], bad: (why: string) => never): Seg {
  if (lexes.length === 0) bad('it has an empty path segment');
  if (lexes.length === 2 && lexes[0]!.t === 'star' && lexes[1]!.t === 'star') return GLOBSTAR;
  const toks: Tok[] = [];
  let lit: string | null = '';
  for (let k = 0; k < lexes.length; k++) {
    const l = lexes[k]!;
    if (l.t === 'star') {
      if (lexes[k + 1]?.t === 'star') bad('"**" must be a whole path segment ("a/**/b", "**/*.ts"), not part of one');
      toks.push({ t: 'star' });
      lit = null;
    } else if (l.t === 'set') {
      toks.push(l);
      lit = null;
    } else if (l.t === 'char') {
      toks.push({ t: 'set', set: { neg: false, ranges: [[l.c, l.c]] } });
      if (lit !== null) lit += String.fromCodePoint(l.c);
    }
  }
  if (lit === '.' || lit === '..') bad(`it has a "${lit}" path segment`);
  if (lit === '.git') bad('it names a path inside .git');
  return { t: 'seg', toks, lit };
}

/**
 * Compiles a normalised pattern text (no empty, `.` or `..` segments; see pattern.ts) into its
 * alternatives; `literal` when it has no wildcard or brace at all, so names one path. `what` is
 * what the user wrote, for messages.
 */
export function compile(text: string, what = text): { alts: Alt[]; literal: boolean } {
  const lexes = lex(text, what);
  let alts = expand(lexes, what).map((l) => segments(l, what));
  if (alts.length > 1) {
    // Equal alternatives (`{a,a}`) would only repeat work.
    const seen = new Set<string>();
    alts = alts.filter((a) => {
      const key = JSON.stringify(a);
      return !seen.has(key) && !!seen.add(key);
    });
  }
  return { alts, literal: lexes.every((l) => l.t === 'char' || l.t === 'slash') };
}

export function literalSeg(s: string): Seg {
  return { t: 'seg', toks: [...s].map((c) => ({ t: 'set', set: { neg: false, ranges: [[c.codePointAt(0)!, c.codePointAt(0)!]] } })), lit: s };
}

/** The leading segments every path matching `alt` starts with. */
export function leadingLiterals(alt: Alt): string[] {
  const out: string[] = [];
  for (const s of alt) {
    if (s.t !== 'seg' || s.lit === null) break;
    out.push(s.lit);
  }
  return out;
}

/** Does one path segment (no `/`) match a segment glob? */
export function matchSegment(toks: Tok[], s: string): boolean {
  // Greedy with backtracking to the last star: correct because every other token takes exactly
  // one character, and linear in practice.
  let p = 0;
  let i = 0;
  let starP = -1;
  let starI = 0;
  while (i < s.length) {
    const t = toks[p];
    if (t !== undefined) {
      if (t.t === 'star') {
        starP = p++;
        starI = i;
        continue;
      }
      const c = s.codePointAt(i)!;
      if (inSet(t.set, c)) {
        p++;
        i += c > 0xffff ? 2 : 1;
        continue;
      }
    }
    if (starP < 0) return false;
    p = starP + 1;
    starI += s.codePointAt(starI)! > 0xffff ? 2 : 1;
    i = starI;
  }
  while (toks[p]?.t === 'star') p++;
  return p === toks.length;
}

/** Does a path, cut into its segments, match one alternative? */
export function matchAlt(alt: Alt, segs: string[]): boolean {
  // The same greedy walk one level up: `**` is the star, a segment glob takes one segment.
  let p = 0;
  let i = 0;
  let starP = -1;
  let starI = 0;
  while (i < segs.length) {
    const s = alt[p];
    if (s !== undefined) {
      if (s.t === 'globstar') {
        starP = p++;
        starI = i;
        continue;
      }
      if (s.lit !== null ? s.lit === segs[i] : matchSegment(s.toks, segs[i]!)) {
        p++;
        i++;
        continue;
      }
    }
    if (starP < 0) return false;
    p = starP + 1;
    i = ++starI;
  }
  while (alt[p]?.t === 'globstar') p++;
  return p === alt.length;
}
