/** Durations: `90s`, `30m`, `2h`, `1d`, and sums such as `1h30m`; `none` where allowed. */
import { UsageError } from '../errors.js';

const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * The longest duration accepted anywhere: 100 years. A lease or a deadline is a point in time
 * (now + duration) that must stay a valid date; JavaScript dates end in the year 275760.
 */
export const MAX_DURATION_MS = 36_500 * UNIT_MS.d!;
/** The shortest: one second. A zero lease would write a lock that is expired as it is granted. */
export const MIN_DURATION_MS = UNIT_MS.s!;

/** Milliseconds, or null for `none` (only when `allowNone`). Between 1s and 100 years. */
export function parseDuration(text: string, what: string, allowNone = false): number | null {
  const t = text.trim();
  if (allowNone && t === 'none') return null;
  const bad = (why: string) => new UsageError(`bad ${what} ${JSON.stringify(text)}: ${why}`);
  if (!/^(\d+[smhdw])+$/.test(t)) throw bad(`use a duration such as 90s, 30m, 2h, 1d or 1h30m${allowNone ? ', or none' : ''}`);
  let ms = 0;
  for (const m of t.matchAll(/(\d+)([smhdw])/g)) ms += Number(m[1]) * UNIT_MS[m[2]!]!;
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
