/**
 * Field schemas shared by every concept's records, built from the one definition of each rule
 * (src/fields.ts, re-exported here). Each concept keeps its own record schema beside its code
 * (locks/schema.ts, history/schema.ts, ...) and derives its fields from these: zod schemas are
 * the one source of truth for records, and their types come from z.infer.
 *
 * zod/mini (zod's tree-shakable API) keeps these out of the hooks' start-up time: the classic
 * API alone would add ~450 KB to the bundle and ~20 ms to every hook.
 */
import * as z from 'zod/mini';
import { ADDRESS_RE, AGENT_ID_RE, DURATION_MAX_MS, DURATION_RE, PRIORITY_MAX, PRIORITY_MIN, TASK_STATUSES } from './fields.js';

export * from './fields.js';

/** An agent id; task, message, thread and channel ids and labels follow the same rule. */
export const AgentId = z.string().check(z.regex(AGENT_ID_RE));
export type AgentId = z.infer<typeof AgentId>;
/** 0 (most urgent) to 4, for tasks and messages. */
export const Priority = z.number().check(z.int(), z.gte(PRIORITY_MIN), z.lte(PRIORITY_MAX));
export type Priority = z.infer<typeof Priority>;
export const TaskStatus = z.enum(TASK_STATUSES);
export type TaskStatus = z.infer<typeof TaskStatus>;
/** A duration as typed (`90s`, `1h30m`); its bounds are checked by session/duration.ts. */
export const DurationText = z.string().check(z.regex(DURATION_RE, 'expected a duration such as 90s, 30m, 2h, 1d or 1h30m'));
export type DurationText = z.infer<typeof DurationText>;
/** An address as sent: an agent id, `@all`, or `#<channel>` (checked on reading too: records come from other agents). */
export const Address = z.string().check(z.regex(ADDRESS_RE));
export type Address = z.infer<typeof Address>;
/**
 * A time as git-coord writes it (`toISOString`: `2026-01-02T03:04:05.678Z`). Only that form:
 * Date.parse alone also takes free text in parentheses (`(any\ntext)2030-01-01`), which a forged
 * record would carry into every line that shows an expiry.
 */
export const Iso = z.iso.datetime('not an ISO 8601 time in UTC');
/**
 * A lease in ms as records carry it (null: none). Bounded as every face bounds it: a forged record
 * with a lease past that (2^53 - 1) would make each renewal an invalid date; it is reported and skipped.
 */
export const TtlMs = z.nullable(z.number().check(z.int(), z.positive(), z.lte(DURATION_MAX_MS)));
