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
export const TaskAction = z.enum(['add', 'claim', 'renew', 'takeover', 'done', 'fail', 'release', 'reopen', 'depend', 'undepend', 'edit', 'comment', 'child']);
export type TaskAction = z.infer<typeof TaskAction>;

/** A comment on a task (`task comment`): who, when, what. */
export const Comment = z.object({ agent: AgentId, at: Iso, text: z.string() });
export type Comment = z.infer<typeof Comment>;

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
  /** The parent task (`task add --parent`); absent in records written before parents: none. */
  parent: z.optional(z.nullable(TaskId)),
  /** The children's ids, oldest first: adding a child swaps its parent's record too (rules.ts, design). */
  children: z.optional(z.array(TaskId)),
  /** The newest comments, oldest first (at most MAX_COMMENTS: older ones stay in the record's history). */
  comments: z.optional(z.array(Comment)),
  /** How many older comments were dropped from the record to keep it bounded. */
  commentsDropped: z.optional(z.number().check(z.int(), z.nonnegative())),
  /**
   * Every dependency was done when this was last decided (tasks/ready.ts): the ready index names
   * the task while it is on the open shelf. Absent in records written before the index: unknown.
   */
  unblocked: z.optional(z.boolean()),
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
  /** What `task export` writes beyond an open task (so an export reads back): */
  status: z.optional(z.enum(['open', 'claimed', 'done', 'failed'])),
  claimedBy: z.optional(AgentId),
  claimExpiresAt: z.optional(z.nullable(Iso)),
  note: z.optional(z.string()),
  reason: z.optional(z.string()),
  parent: z.optional(TaskId),
  comments: z.optional(z.array(z.strictObject({ agent: AgentId, at: Iso, text: z.string() }))),
});
export type ImportLine = z.infer<typeof ImportLine>;
