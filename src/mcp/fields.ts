/**
 * The MCP tools' argument fields, in one place. Each rule comes from the concept's zod definition
 * (task status; the priority range of tasks and messages), converted to zod's classic API, which
 * the SDK turns into JSON Schema. When src/schemas.ts holds every field rule (AgentId, Priority,
 * TaskStatus, DurationText, Address), these become `z.fromJSONSchema`-free re-exports of it.
 *
 * Values the tools' schemas leave open (ids, addresses, durations) are checked by the operations,
 * so that a bad one is answered as "bad arguments: …" with the reason, never a bare schema error.
 */
import * as z from 'zod/v4';
import { TaskStatus as TaskStatusRule } from '../tasks/schema.js';

/** 0 most urgent, 4 least (tasks and messages). */
export const PRIORITY_MIN = 0;
export const PRIORITY_MAX = 4;

export const Priority = z.int().min(PRIORITY_MIN).max(PRIORITY_MAX);
export const TaskStatus = z.enum(TaskStatusRule.options as [string, ...string[]]);
/** A duration as text: 30s, 5m, 2h, 1d, 1h30m; `none` where a lease may have none. */
export const DurationText = z.string();
/** Agent ids, @all, #channels; comma-separated. */
export const Address = z.string();
export const Patterns = z.array(z.string()).min(1);
