/** The task record: one per task, on its own ref under the shelf of its status (store/layout.ts). */
import * as z from 'zod/mini';
import { AGENT_ID_RE, AgentId, Iso, Priority, TaskStatus, TtlMs } from '../schemas.js';

/** Task ids follow the agent-id rule: they are typed by people and named in ref names (escaped). */
export const TASK_ID = AGENT_ID_RE;
export const TaskId = AgentId;
/** Labels: the same rule, so a label is one word on a command line. */
export const Label = AgentId;
export { Priority, TaskStatus };

/** What happened to a task, as its history (and the journal) shows it. */
export const TaskAction = z.enum(['add', 'claim', 'renew', 'takeover', 'done', 'fail', 'release', 'reopen', 'depend']);
export type TaskAction = z.infer<typeof TaskAction>;

export const TaskRecord = z.object({
  v: z.literal(1),
  type: z.literal('task'),
  id: TaskId,
  title: z.string().check(z.minLength(1)),
  body: z.string(),
  priority: Priority,
  labels: z.array(Label),
  dependsOn: z.array(TaskId),
  /** `claimed` with a claim past `claimExpiresAt` counts as free again (ready, if its dependencies are done). */
  status: TaskStatus,
  createdAt: Iso,
  createdBy: AgentId,
  claimedBy: z.nullable(AgentId),
  claimedAt: z.nullable(Iso),
  claimExpiresAt: z.nullable(Iso),
  /** The claim's lease, for renewals; null: no expiry. */
  claimTtlMs: TtlMs,
  /** Patterns locked together with the claim (`claim --lock`): ending the claim releases exactly these. */
  locks: z.array(z.string()),
  /** `task done --note`. */
  note: z.nullable(z.string()),
  /** `task fail --reason`. */
  reason: z.nullable(z.string()),
  updatedAt: Iso,
  event: z.object({
    action: TaskAction,
    by: AgentId,
    at: Iso,
    reason: z.optional(z.string()),
    /** The claimer whose claim was taken over, or ended by another agent with --force. */
    from: z.optional(AgentId),
  }),
});
export type TaskRecord = z.infer<typeof TaskRecord>;

/** One line of `task import`. */
export const ImportLine = z.strictObject({
  title: z.string().check(z.minLength(1)),
  id: z.optional(TaskId),
  priority: z.optional(Priority),
  labels: z.optional(z.array(Label)),
  dependsOn: z.optional(z.array(TaskId)),
  body: z.optional(z.string()),
});
export type ImportLine = z.infer<typeof ImportLine>;
