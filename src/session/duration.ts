/** Durations: `90s`, `30m`, `2h`, `1d`, and sums such as `1h30m`; `none` where allowed. */
import { UsageError } from '../errors.js';

const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** Milliseconds, or null for `none` (only when `allowNone`). */
export function parseDuration(text: string, what: string, allowNone = false): number | null {
  const t = text.trim();
  if (allowNone && t === 'none') return null;
  if (!/^(\d+[smhdw])+$/.test(t)) {
    throw new UsageError(
      `bad ${what} ${JSON.stringify(text)}: use a duration such as 90s, 30m, 2h, 1d or 1h30m${allowNone ? ', or none' : ''}`,
    );
  }
  let ms = 0;
  for (const m of t.matchAll(/(\d+)([smhdw])/g)) ms += Number(m[1]) * UNIT_MS[m[2]!]!;
  if (!Number.isSafeInteger(ms)) throw new UsageError(`bad ${what} ${JSON.stringify(text)}: too long`);
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
