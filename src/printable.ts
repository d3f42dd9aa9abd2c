/**
 * Text from other agents (reasons, messages, patterns, subjects) printed for people. A newline or
 * an escape sequence inside it could forge lines in another agent's terminal (a fake refusal, a
 * fake "ok"), so every control character, and the Unicode characters that reorder or hide text,
 * is shown as a visible escape instead. JSON output needs none of this: it is already escaped.
 */
// C0 controls and DEL, C1 controls, line/paragraph separators, bidi overrides and isolates.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

export function printable(text: string): string {
  return text.replace(UNSAFE, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\r') return '\\r';
    if (c === '\t') return '\\t';
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/**
 * A path or pattern to paste into a shell: left bare when it is plainly safe, else single-quoted
 * (and printable). One starting with `-` is written `./-…` (the same path), so no command reads it
 * as an option.
 */
export function shellWord(path: string): string {
  const word = path.startsWith('-') ? `./${path}` : path;
  if (/^[A-Za-z0-9._\/@%+=:,-]+$/.test(word)) return word;
  return shellQuote(printable(word));
}

/** Any text as one shell word: single-quoted, a quote inside written `'\''`. The one shell-quoting rule. */
export function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}
