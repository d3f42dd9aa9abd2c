/** History entries: one per change, on the acting agent's journal ref. */
import * as z from 'zod/mini';
import { AgentId, Iso } from '../schemas.js';

export const EventRecord = z.object({
  v: z.literal(1),
  type: z.literal('event'),
  at: Iso,
  agent: AgentId,
  action: z.string(),
  subject: z.string(),
  reason: z.optional(z.string()),
  /** Other agents involved: the holder of a broken or taken-over lock. */
  other: z.optional(AgentId),
});
export type EventRecord = z.infer<typeof EventRecord>;
