/** The lock record: one per locked pattern, on its own ref (store/layout.ts). */
import * as z from 'zod/mini';
import { AgentId, Iso, TtlMs } from '../schemas.js';

/** What happened to a record, as its history shows it. */
export const LockAction = z.enum(['pending', 'lock', 'renew', 'takeover', 'unlock', 'break', 'expire']);

export const LockRecord = z.object({
  v: z.literal(1),
  type: z.literal('lock'),
  /** Normalised pattern text (see patterns.ts). */
  pattern: z.string().check(z.minLength(1)),
  agent: AgentId,
  /**
   * pending: written, not yet decided (see docs/design.md, the two-phase grant).
   * granted: held until expiresAt. released: the last state before the ref is deleted.
   */
  state: z.enum(['pending', 'granted', 'released']),
  reason: z.string(),
  /** Fencing token: strictly increases with each grant of the same pattern. */
  token: z.number().check(z.int(), z.nonnegative()),
  /** Lease length used for renewals; null for no expiry. */
  ttlMs: TtlMs,
  acquiredAt: Iso,
  expiresAt: z.nullable(Iso),
  /** Orders concurrent pending records: lower wins. Epoch ms of the pending write, then a nonce. */
  ticket: z.object({ at: z.number(), nonce: z.string() }),
  /** A pending record not granted by then is dead (its writer was killed or is too slow). */
  pendingUntil: z.nullable(Iso),
  /**
   * Who wrote a pending record: the process, and the process namespace it lives in (boot id and
   * pid namespace), so a later command in the same namespace can tell that its writer is gone.
   */
  writer: z.optional(z.object({ space: z.string(), pid: z.number().check(z.int(), z.positive()) })),
  event: z.object({
    action: LockAction,
    by: AgentId,
    at: Iso,
    reason: z.optional(z.string()),
    /** For a takeover: the agent whose expired lock was taken. */
    from: z.optional(AgentId),
  }),
});
export type LockRecord = z.infer<typeof LockRecord>;

/**
 * The high-water mark of the fencing tokens released in one directory (store/layout.ts,
 * tokenRef). A released lock's ref is deleted; the mark keeps its token, so the next grant of the
 * same pattern is above it whatever the clocks say.
 */
export const TokenMark = z.object({
  v: z.literal(1),
  type: z.literal('tokens'),
  max: z.number().check(z.int(), z.nonnegative()),
});
export type TokenMark = z.infer<typeof TokenMark>;
