/** Durations: `90s`, `30m`, `2h`, `1d`, and sums such as `1h30m`; `none` where allowed. */
import { UsageError } from '../errors.js';
import { DURATION_MAX_MS, DURATION_HINT, DURATION_NONE, DURATION_RE, DURATION_TERM_RE, DURATION_UNITS_MS } from '../fields.js';

const UNIT_MS: Record<string, number> = DURATION_UNITS_MS;

/**
 * The longest duration accepted anywhere: 100 years. A lease or a deadline is a point in time
 * (now + duration) that must stay a valid date; JavaScript dates end in the year 275760.
 */
export const MAX_DURATION_MS = DURATION_MAX_MS;
/** The shortest: one second. A zero lease would write a lock that is expired as it is granted. */
export const MIN_DURATION_MS = UNIT_MS.s!;

/** Milliseconds, or null for `none` (only when `allowNone`). Between 1s and 100 years. */
export function parseDuration(text: string, what: string, allowNone = false): number | null {
  const t = text.trim();
  if (allowNone && t === DURATION_NONE) return null;
  const bad = (why: string) => new UsageError(`bad ${what} ${JSON.stringify(text)}: ${why}`);
  if (!DURATION_RE.test(t)) throw bad(`${DURATION_HINT}${allowNone ? `, or ${DURATION_NONE}` : ''}`);
  let ms = 0;
  for (const m of t.matchAll(DURATION_TERM_RE)) ms += Number(m[1]) * UNIT_MS[m[2]!]!;
  if (!(ms <= MAX_DURATION_MS)) throw bad(`too long: at most 36500d (100 years)${allowNone ? '; use none for no limit' : ''}`);
  if (ms < MIN_DURATION_MS) throw bad('too short: at least 1s');
  return ms;
}

/** Checks a duration given in ms through the library (the command line parses text instead). */
export function checkDurationMs(ms: number, what: string): number {
  if (!Number.isInteger(ms) || ms < MIN_DURATION_MS || ms > MAX_DURATION_MS) {
    throw new UsageError(`bad ${what} ${ms} ms: expected a whole number of ms from 1s to 100 years`);
  }
  return ms;
}

export function formatDuration(ms: number): string {
  if (ms <= 0) return '0s';
  const parts: string[] = [];
  let rest = Math.round(ms / 1000);
  for (const [u, s] of [['d', 86400], ['h', 3600], ['m', 60], ['s', 1]] as const) {
    if (rest >= s) {
      parts.push(`${Math.floor(rest / s)}${u}`);
      rest %= s;
    }
  }
  return parts.join('') || '0s';
}
