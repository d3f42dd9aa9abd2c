/**
 * Field schemas shared by every concept's records. Each concept keeps its own record schema beside
 * its code (locks/schema.ts, history/schema.ts, ...): zod schemas are the one source of truth.
 *
 * zod/mini (zod's tree-shakable API) keeps these out of the hooks' start-up time: the classic
 * API alone would add ~450 KB to the bundle and ~20 ms to every hook.
 */
import * as z from 'zod/mini';
import { AGENT_ID } from './agents/id.js';

export const AgentId = z.string().check(z.regex(AGENT_ID));
/**
 * A time as git-coord writes it (`toISOString`: `2026-01-02T03:04:05.678Z`). Only that form:
 * Date.parse alone also takes free text in parentheses (`(any\ntext)2030-01-01`), which a forged
 * record would carry into every line that shows an expiry.
 */
export const Iso = z.iso.datetime('not an ISO 8601 time in UTC');
