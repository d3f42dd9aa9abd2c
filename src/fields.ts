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
