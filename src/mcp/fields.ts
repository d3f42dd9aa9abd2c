/**
 * The MCP tools' argument fields, in one place, derived from the concepts' zod rules (zod/mini,
 * one definition each): the rule's JSON Schema, read back with zod's classic API, which the SDK
 * turns into the tools' input schemas. So the priority range and the task statuses an agent is
 * shown are the ones the records are checked with. When src/schemas.ts holds every field rule
 * (AgentId, Priority, TaskStatus, DurationText, Address), only the imports below change.
 *
 * Values left open here (ids, addresses, durations) are checked by the operations, so a bad one is
 * answered as "bad arguments: …" with the reason, never a bare schema error.
 */
import * as z from 'zod/v4';
import { Priority as PriorityRule, TaskStatus as TaskStatusRule } from '../tasks/schema.js';

/** The classic-API twin of a zod/mini rule (the type it checks: T), through its JSON Schema. */
function derived<T>(rule: z.core.$ZodType<T>): z.ZodType<T> {
  const { $schema: _, ...json } = z.toJSONSchema(rule) as Record<string, unknown>;
  return z.fromJSONSchema(json) as z.ZodType<T>;
}

/** 0 most urgent, 4 least (tasks and messages). */
export const Priority = derived<number>(PriorityRule);
export const TaskStatus = derived<z.infer<typeof TaskStatusRule>>(TaskStatusRule);
/** A duration as text: 30s, 5m, 2h, 1d, 1h30m; `none` where a lease may have none. */
export const DurationText = z.string();
/** Agent ids, @all, #channels; comma-separated. */
export const Address = z.string();
export const Patterns = z.array(z.string()).min(1);
