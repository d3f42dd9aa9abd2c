/** The presence record: one per agent, on its own ref (store/layout.ts), rewritten by each heartbeat. */
import * as z from 'zod/mini';
import { AgentId, Iso } from '../schemas.js';
import { TaskId } from '../tasks/schema.js';

export const PresenceRecord = z.object({
  v: z.literal(1),
  type: z.literal('presence'),
  agent: AgentId,
  at: Iso,
  /** What the agent says it does (`heartbeat --role`), or null. */
  role: z.nullable(z.string()),
  /** The task it says it works on (`heartbeat --task`), or null. */
  task: z.nullable(TaskId),
});
export type PresenceRecord = z.infer<typeof PresenceRecord>;
