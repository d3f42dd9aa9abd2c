/**
 * The field rules every concept, face and generated shell hook shares, as plain values: the one
 * definition of each. src/schemas.ts builds the zod schemas from these (and re-exports them); this
 * module stays free of zod so that a command's start-up (agents/id.ts, session/duration.ts) and
 * the shell generator (scripts/gen-shell.mjs) read them without loading it.
 *
 * The MCP tools (zod classic) derive their input schemas from these values too: the numbers, the
 * enum's values, and each regex's source (`*_SOURCE`, unanchored, to put between `^` and `$`).
 */
import { UsageError } from './errors.js';

/** Agent ids (also task, message, thread, channel ids and labels): 1 to 64 characters. */
export const AGENT_ID_MAX = 64;
/** The characters an id may start with, as a bracket-expression body (regex and POSIX shell alike). */
export const AGENT_ID_FIRST = 'A-Za-z0-9';
/** The characters an id may hold after its first, as a bracket-expression body (`-` last: literal). */
export const AGENT_ID_REST = 'A-Za-z0-9._-';
export const AGENT_ID_SOURCE = `[${AGENT_ID_FIRST}][${AGENT_ID_REST}]{0,${AGENT_ID_MAX - 1}}`;
export const AGENT_ID_RE = new RegExp(`^${AGENT_ID_SOURCE}$`);
export const AGENT_ID_HINT = `use 1 to ${AGENT_ID_MAX} letters, digits, '.', '_' or '-', starting with a letter or digit`;

/** Priorities of tasks and messages: 0 is the most urgent. */
export const PRIORITY_MIN = 0;
export const PRIORITY_MAX = 4;
export const PRIORITY_DEFAULT = 2;
export const PRIORITY_HINT = `use ${PRIORITY_MIN} (most urgent) to ${PRIORITY_MAX}`;

export function checkPriority(n: number): number {
  if (!Number.isInteger(n) || n < PRIORITY_MIN || n > PRIORITY_MAX) throw new UsageError(`bad priority ${n}: ${PRIORITY_HINT}`);
  return n;
}

/** A priority as typed (`--priority 1`). */
export function parsePriority(text: string): number {
  const t = text.trim();
  if (!/^\d$/.test(t) || Number(t) < PRIORITY_MIN || Number(t) > PRIORITY_MAX) throw new UsageError(`bad priority ${JSON.stringify(text)}: ${PRIORITY_HINT}`);
  return Number(t);
}

/** A task's status (claimed past its lease still says claimed: see tasks/rules.ts). */
export const TASK_STATUSES = ['open', 'claimed', 'done', 'failed'] as const;
export type TaskStatusName = (typeof TASK_STATUSES)[number];

/** Duration units, in ms: `90s`, `30m`, `2h`, `1d`, `1w`, and sums such as `1h30m`. */
export const DURATION_UNITS_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
const UNITS = Object.keys(DURATION_UNITS_MS).join('');
export const DURATION_SOURCE = `(\\d+[${UNITS}])+`;
export const DURATION_RE = new RegExp(`^${DURATION_SOURCE}$`);
/** One term of a duration: its number and unit. */
export const DURATION_TERM_RE = new RegExp(`(\\d+)([${UNITS}])`, 'g');
export const DURATION_HINT = 'use a duration such as 90s, 30m, 2h, 1d or 1h30m';
/**
 * The longest duration accepted anywhere, and the longest a record may carry: 100 years. A lease
 * or a deadline is a point in time (now + duration) that must stay a valid date.
 */
export const DURATION_MAX_MS = 36_500 * DURATION_UNITS_MS.d;
/** The word that means "no limit" where one is allowed (`--ttl none`). */
export const DURATION_NONE = 'none';

/** Message addresses: an agent id, everyone, or a channel (`#` and a channel id). */
export const ADDRESS_ALL = '@all';
export const CHANNEL_PREFIX = '#';
export const ADDRESS_SOURCE = `(${ADDRESS_ALL}|${CHANNEL_PREFIX}?${AGENT_ID_SOURCE})`;
export const ADDRESS_RE = new RegExp(`^${ADDRESS_SOURCE}$`);

/** A git remote's name as the config and --remote take it: never a URL or a path (committed text must not choose where pushes go). */
export const REMOTE_NAME = /^(?!.*\.\.)(?!.*\.lock$)[A-Za-z0-9][A-Za-z0-9._+-]*(?:\/[A-Za-z0-9][A-Za-z0-9._+-]*)*$/;
export const REMOTE_HINT = 'expected the name of a git remote, such as origin (`git remote` lists them), not a URL or a path';

/**
 * Free text (subjects, titles, reasons, notes, bodies, roles). Every face shares these rules, and
 * every limit here is also the README's "Limits" table.
 *
 * A one-line field (subject, title, reason, role) holds no control character at all (C0, DEL, C1,
 * the line and paragraph separators): it goes into commit subject lines and one-line displays. A
 * text field (a body, a note) may hold tabs and line breaks, but never NUL (git cuts commit text at
 * a NUL, and `fsck` refuses it) and never a lone UTF-16 surrogate (it cannot be stored as UTF-8).
 */
export const LINE_FORBIDDEN = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
export const TEXT_FORBIDDEN = /\u0000/;
/** Reasons (lock, fail, release, reopen, --force) and other one-line free text: at most this many characters. */
export const REASON_MAX = 1000;
/** A task's note (`task done --note`): at most this many bytes (UTF-8). */
export const NOTE_MAX_BYTES = 16 * 1024;

function describe(c: string): string {
  const code = c.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

function badText(field: string, why: string, extra: Record<string, unknown> = {}): UsageError {
  return new UsageError(`bad ${field}: ${why}`, { code: 'bad-text', field, ...extra });
}

/** Lone surrogates: text that has no UTF-8 form (what invalid UTF-8 decodes to is caught where bytes are read). */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
function wellFormed(text: string): boolean {
  return !LONE_SURROGATE.test(text);
}

/** A one-line field: no control characters, well-formed, at most `max` characters. Returns it as given. */
export function checkLine(field: string, text: string, max: number): string {
  if (text.length > max) throw badText(field, `too long: ${text.length} characters, at most ${max}`, { max, length: text.length });
  const c = LINE_FORBIDDEN.exec(text);
  if (c) throw badText(field, `it holds a control character (${describe(c[0])}); it must be one line of plain text`);
  if (!wellFormed(text)) throw badText(field, 'it is not valid Unicode text (a lone surrogate)');
  return text;
}

/** A text field: no NUL, well-formed, at most `maxBytes` bytes of UTF-8. Returns it as given. */
export function checkText(field: string, text: string, maxBytes: number): string {
  // Cheap bound first: a UTF-16 unit is at least one UTF-8 byte.
  const bytes = text.length > maxBytes ? text.length : Buffer.byteLength(text, 'utf8');
  if (bytes > maxBytes) throw badText(field, `too long: ${bytes} bytes, at most ${maxBytes}`, { max: maxBytes, length: bytes });
  if (TEXT_FORBIDDEN.test(text)) throw badText(field, 'it holds a NUL character, which cannot be stored');
  if (!wellFormed(text)) throw badText(field, 'it is not valid Unicode text (a lone surrogate)');
  return text;
}

/** Text for one line of a display: cut to `max` characters with an ellipsis (records may be forged past every limit). */
export function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
