/**
 * Shared context: one record per key, on its own ref (`refs/coordination/context/<key>`, store/layout.ts).
 * A removed key keeps its ref, holding a tombstone (`value: null`), so that its version goes on
 * rising from where it was and never repeats (docs/design.md, Shared context).
 */
import * as z from 'zod/mini';
import { AgentId, Iso } from '../schemas.js';

/** A key follows the agent-id rule: 1 to 64 letters, digits, `.`, `_` and `-`, starting with a letter or digit. */
export const ContextKey = AgentId;

/** A value is text of at most this many bytes in UTF-8. */
export const MAX_VALUE_BYTES = 64 * 1024;

export const ContextRecord = z.object({
  v: z.literal(1),
  type: z.literal('context'),
  key: ContextKey,
  /** The value; null: removed (a tombstone). */
  value: z.nullable(z.string()),
  /** 1 for the first set, one more with every change (removals included). */
  version: z.number().check(z.int(), z.positive()),
  /** Who made this change, and when. */
  agent: AgentId,
  at: Iso,
});
export type ContextRecord = z.infer<typeof ContextRecord>;
