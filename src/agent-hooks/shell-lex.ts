/**
 * A tokenizer for the shell commands agents run (bash's syntax, as far as finding write targets
 * needs it): words with their quoting resolved, control operators, redirections (with an fd
 * prefix), here-document bodies, and the text of command substitutions (`$(…)`, backticks,
 * `<(…)`, `>(…)`) so the caller can look inside them too.
 *
 * A word records whether its value is known before the command runs: `dynamic` when it holds an
 * expansion (`$VAR`, `${…}`, `$(…)`, backticks, `$((…))`, a leading `~`), `glob` when an unquoted
 * `*`, `?`, `[` or a brace list (`{a,b}`, `{1..3}`) would expand it.
 *
 * Pure and total: never throws; input it cannot read to the end (an unterminated quote or
 * substitution) sets `unclear`.
 */

export interface Word {
  kind: 'word';
  text: string;
  dynamic: boolean;
  glob: boolean;
  /** Some part of it was quoted (so `2>` written as `"2">` is no fd prefix). */
  quoted: boolean;
  /** Commands inside it: `$(…)`, backticks, `<(…)`, `>(…)`. */
  subs: string[];
  /** A process substitution (`<(…)`, `>(…)`): a pipe, not a file anyone names. */
  proc?: boolean;
}

export interface Op {
  kind: 'op';
  op: string;
  /** A redirection's explicit fd (`2>`). */
  fd?: number;
  /** A here-document's body (`<<` and `<<-`), once read. */
  body?: string;
  /** Commands substituted in an unquoted here-document's body (`$(…)`, backticks): they run. */
  subs?: string[];
}

export type Token = Word | Op;

export interface Lexed {
  tokens: Token[];
  unclear: boolean;
}

const OPS = ['&>>', '<<<', '<<-', '&>', '>>', '>|', '>&', '<<', '<>', '<&', '&&', '||', '|&', ';;', '>', '<', '|', '&', ';', '(', ')'];
export const REDIRECTS = new Set(['&>>', '<<<', '<<-', '&>', '>>', '>|', '>&', '<<', '<>', '<&', '>', '<']);
const META = new Set([';', '&', '|', '(', ')', '<', '>']);

/** The index of the `)` closing the `(` at `open`, or -1. Quotes and escapes inside are skipped. */
export function closingParen(s: string, open: number): number {
  let depth = 0;
  for (let j = open; j < s.length; j++) {
    const c = s[j];
    if (c === '\\') {
      j++;
    } else if (c === "'") {
      const e = s.indexOf("'", j + 1);
      if (e < 0) return -1;
      j = e;
    } else if (c === '"') {
      for (j++; j < s.length && s[j] !== '"'; j++) if (s[j] === '\\') j++;
      if (j >= s.length) return -1;
    } else if (c === '(') {
      depth++;
    } else if (c === ')') {
      depth--;
      if (depth === 0) return j;
    }
  }
  return -1;
}

const ANSI: Record<string, string> = { n: '\n', t: '\t', r: '\r', a: '\x07', b: '\b', e: '\x1b', E: '\x1b', f: '\f', v: '\v', '\\': '\\', "'": "'", '"': '"' };

/** The commands `$(…)` and backticks substitute in text that expands (an unquoted here-document). */
/**
 * One escape of a `$'…'` word, `at` just past the backslash: [its text, the index after it, whether
 * it is known]. Bash decodes `\xHH`, octal `\NNN`, `\uHHHH`, `\UHHHHHHHH` and `\cX` too: a target
 * spelled with them is as evident as plain text (`$'\x68eld'` is `held`). An escape decoded to
 * nothing printable, or `\c`, is not known: the word is then unclear rather than misread.
 */
function ansiEscape(s: string, at: number): [string, number, boolean] {
  const c = s[at]!;
  const hex = (max: number, from: number): [string, number] => {
    let j = from;
    while (j < s.length && j - from < max && /[0-9A-Fa-f]/.test(s[j]!)) j++;
    return [s.slice(from, j), j];
  };
  if (c === 'x' || c === 'u' || c === 'U') {
    const [digits, next] = hex(c === 'x' ? 2 : c === 'u' ? 4 : 8, at + 1);
    if (digits === '') return [`\\${c}`, at + 1, true];
    const code = parseInt(digits, 16);
    if (code === 0 || code > 0x10ffff) return ['', next, false];
    return [String.fromCodePoint(code), next, true];
  }
  if (/[0-7]/.test(c)) {
    let j = at;
    while (j < s.length && j - at < 3 && /[0-7]/.test(s[j]!)) j++;
    const code = parseInt(s.slice(at, j), 8) & 0xff;
    return code === 0 ? ['', j, false] : [String.fromCharCode(code), j, true];
  }
  if (c === 'c') return ['', Math.min(at + 2, s.length), false];
  const known = ANSI[c];
  return known !== undefined ? [known, at + 1, true] : [`\\${c}`, at + 1, true];
}

function substitutions(text: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '$' && text[i + 1] === '(' && text[i + 2] !== '(') {
      const end = closingParen(text, i + 1);
      if (end < 0) break;
      out.push(text.slice(i + 2, end));
      i = end;
    } else if (text[i] === '`') {
      const end = text.indexOf('`', i + 1);
      if (end < 0) break;
      out.push(text.slice(i + 1, end));
      i = end;
    }
  }
  return out;
}

export function lex(src: string): Lexed {
  const tokens: Token[] = [];
  let unclear = false;
  const s = src;
  const n = s.length;
  let i = 0;
  let w: Word | null = null;
  let brace = false;
  /** Here-documents whose delimiter word is next, then whose body starts at the next newline. */
  let wantDelim: Op | null = null;
  const pending: { op: Op; delim: string; strip: boolean; expand: boolean }[] = [];

  const word = (): Word => (w ??= { kind: 'word', text: '', dynamic: false, glob: false, quoted: false, subs: [] });
  const flush = () => {
    if (!w) return;
    if (wantDelim) {
      pending.push({ op: wantDelim, delim: w.text, strip: wantDelim.op === '<<-', expand: !w.quoted });
      wantDelim = null;
    }
    tokens.push(w);
    w = null;
    brace = false;
  };

  /** `$…` at i (outside single quotes); returns the index after it. */
  const dollar = (at: number, inDq: boolean): number => {
    const nx = s[at + 1];
    const cur = word();
    if (nx === '(') {
      const end = closingParen(s, at + 1);
      if (end < 0) {
        unclear = true;
        cur.dynamic = true;
        return n;
      }
      // $(( … )) is arithmetic: no command inside.
      if (s[at + 2] !== '(') cur.subs.push(s.slice(at + 2, end));
      cur.dynamic = true;
      return end + 1;
    }
    if (nx === '{') {
      let depth = 0;
      for (let j = at + 1; j < n; j++) {
        if (s[j] === '{') depth++;
        else if (s[j] === '}' && --depth === 0) {
          cur.dynamic = true;
          return j + 1;
        }
      }
      unclear = true;
      cur.dynamic = true;
      return n;
    }
    if (!inDq && nx === "'") {
      cur.quoted = true;
      let j = at + 2;
      for (; j < n && s[j] !== "'"; j++) {
        if (s[j] === '\\' && j + 1 < n) {
          const [text, next, known] = ansiEscape(s, j + 1);
          cur.text += text;
          if (!known) cur.dynamic = true;
          j = next - 1;
        } else cur.text += s[j];
      }
      if (j >= n) unclear = true;
      return j + 1;
    }
    if (!inDq && nx === '"') return at + 1; // $"…": a double-quoted string
    if (nx !== undefined && /[A-Za-z_0-9@*#?$!-]/.test(nx)) {
      cur.dynamic = true;
      let j = at + 1;
      if (/[A-Za-z_]/.test(nx)) while (j < n && /[A-Za-z_0-9]/.test(s[j]!)) j++;
      else j++;
      return j;
    }
    cur.text += '$';
    return at + 1;
  };

  const backtick = (at: number): number => {
    let j = at + 1;
    let inner = '';
    for (; j < n && s[j] !== '`'; j++) {
      if (s[j] === '\\' && j + 1 < n) inner += s[++j];
      else inner += s[j];
    }
    if (j >= n) unclear = true;
    const cur = word();
    cur.dynamic = true;
    cur.subs.push(inner);
    return j + 1;
  };

  /** Here-document bodies begin after the newline at `nl`; returns the index after the last. */
  const bodies = (nl: number): number => {
    let pos = nl + 1;
    for (const h of pending) {
      const lines: string[] = [];
      let done = false;
      while (pos <= n && !done) {
        let e = s.indexOf('\n', pos);
        if (e < 0) e = n;
        let line = s.slice(pos, e);
        if (line.endsWith('\r')) line = line.slice(0, -1);
        const cmp = h.strip ? line.replace(/^\t+/, '') : line;
        pos = e + 1;
        if (cmp === h.delim) done = true;
        else lines.push(line);
        if (e >= n) break;
      }
      h.op.body = lines.join('\n');
      if (h.expand) h.op.subs = substitutions(h.op.body);
    }
    pending.length = 0;
    return pos;
  };

  while (i < n) {
    const c = s[i]!;
    if (c === ' ' || c === '\t') {
      flush();
      i++;
    } else if (c === '\\' && s[i + 1] === '\n') {
      i += 2;
    } else if (c === '\n' || (c === '\r' && s[i + 1] === '\n')) {
      flush();
      tokens.push({ kind: 'op', op: ';' });
      const nl = c === '\r' ? i + 1 : i;
      i = pending.length ? bodies(nl) : nl + 1;
    } else if (c === '#' && !w) {
      while (i < n && s[i] !== '\n') i++;
    } else if (META.has(c)) {
      if ((c === '<' || c === '>') && s[i + 1] === '(' && !w) {
        const end = closingParen(s, i + 1);
        const cur = word();
        cur.dynamic = true;
        cur.proc = true;
        if (end < 0) {
          unclear = true;
          i = n;
        } else {
          cur.subs.push(s.slice(i + 2, end));
          i = end + 1;
        }
        continue;
      }
      let fd: number | undefined;
      const cw = w as Word | null; // (assigned in closures: no narrowing)
      if ((c === '<' || c === '>') && cw && !cw.quoted && !cw.dynamic && /^\d{1,3}$/.test(cw.text)) {
        fd = Number(cw.text);
        w = null;
      } else flush();
      const op = OPS.find((o) => s.startsWith(o, i))!;
      const tok: Op = { kind: 'op', op: op === ';;' ? ';' : op, ...(fd !== undefined ? { fd } : {}) };
      tokens.push(tok);
      if (op === '<<' || op === '<<-') wantDelim = tok;
      i += op.length;
    } else if (c === "'") {
      const e = s.indexOf("'", i + 1);
      const cur = word();
      cur.quoted = true;
      if (e < 0) {
        unclear = true;
        cur.text += s.slice(i + 1);
        i = n;
      } else {
        cur.text += s.slice(i + 1, e);
        i = e + 1;
      }
    } else if (c === '"') {
      const cur = word();
      cur.quoted = true;
      let j = i + 1;
      while (j < n && s[j] !== '"') {
        const d = s[j]!;
        if (d === '\\' && j + 1 < n) {
          const e = s[j + 1]!;
          if (e === '\n') j += 2;
          else {
            cur.text += '$`"\\'.includes(e) ? e : `\\${e}`;
            j += 2;
          }
        } else if (d === '$') j = dollar(j, true);
        else if (d === '`') j = backtick(j);
        else {
          cur.text += d;
          j++;
        }
      }
      if (j >= n) unclear = true;
      i = j + 1;
    } else if (c === '$') {
      i = dollar(i, false);
    } else if (c === '`') {
      i = backtick(i);
    } else if (c === '\\') {
      const cur = word();
      cur.quoted = true;
      if (i + 1 < n) cur.text += s[i + 1];
      i += 2;
    } else {
      const cur = word();
      if (c === '*' || c === '?' || c === '[') cur.glob = true;
      else if (c === '{') brace = true;
      else if (brace && (c === ',' || (c === '.' && s[i + 1] === '.'))) cur.glob = true;
      else if (c === '~' && cur.text === '' && !cur.quoted) cur.dynamic = true;
      cur.text += c;
      i++;
    }
  }
  flush();
  if (wantDelim || pending.length) {
    // A here-document never closed: bash reads to the end of input; nothing more to see here.
    for (const h of pending) h.op.body ??= '';
  }
  return { tokens, unclear };
}
