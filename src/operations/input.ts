/**
 * What every operation shares: its argument rules, thrown as the contract's errors with the rule
 * in `detail.code`, so that each face words them in its own terms (the command line with its flag
 * names, the MCP tools with their argument names). The message is a plain fallback for callers
 * that word nothing themselves (the library).
 */
import { UsageError } from '../errors.js';
import { REASON_MAX, checkLine } from '../fields.js';
import { checkDurationMs } from '../session/duration.js';
import type { Coord } from '../session/coord.js';

/** An argument rule broken: exit 2, `detail.code` naming the rule, any facts beside it. */
export function invalid(code: string, message: string, detail: Record<string, unknown> = {}): UsageError {
  return new UsageError(message, { code, ...detail });
}

/** A wait: a duration in ms, or 'default' for the configured `wait` (else 10m). */
export type Wait = number | 'default';

export async function waitMs(ctx: Coord, wait: Wait, what: string): Promise<number> {
  return wait === 'default' ? (await ctx.config()).waitMs : checkDurationMs(wait, what);
}

/** A count such as the most entries to show: a whole number, 1 or more. */
export function checkCount(n: number, what: string): number {
  if (!Number.isInteger(n) || n < 1) throw invalid('bad-count', `bad count for ${what}: ${JSON.stringify(n)} (a whole number, 1 or more)`, { field: what, value: n });
  return n;
}

/** `{ [key]: value }` when value is defined, else `{}`: for building concept options without undefined keys. */
export function given<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/** A reason (a lock's, or why --force): one line of plain text, at most REASON_MAX characters. */
export function checkReason(reason: string | undefined): void {
  if (reason !== undefined) checkLine('reason', reason, REASON_MAX);
}
