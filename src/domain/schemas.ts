/**
 * The record types, as zod schemas: the one source of truth. Every record read from a ref is
 * parsed through these; one that does not parse is reported and skipped.
 *
 * zod/mini (zod's tree-shakable API) keeps these out of the hooks' start-up time: the classic
 * API alone would add ~450 KB to the bundle and ~20 ms to every hook.
 */
import * as z from 'zod/mini';
import { AGENT_ID } from './agent.js';

export const AgentId = z.string().check(z.regex(AGENT_ID));
const Iso = z.string().check(z.refine((s) => !Number.isNaN(Date.parse(s)), 'not an ISO 8601 time'));

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
  ttlMs: z.nullable(z.number().check(z.int(), z.positive())),
  acquiredAt: Iso,
  expiresAt: z.nullable(Iso),
  /** Orders concurrent pending records: lower wins. Epoch ms of the pending write, then a nonce. */
  ticket: z.object({ at: z.number(), nonce: z.string() }),
  /** A pending record not granted by then is dead (its writer was killed or is too slow). */
  pendingUntil: z.nullable(Iso),
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

const Duration = z.string().check(z.regex(/^(\d+[smhdw])+$/, 'expected a duration such as 90s, 30m, 2h, 1d or 1h30m'));
const RemoteName = z.string().check(z.regex(/^[^\s:]+$/, 'expected the name of a git remote, such as origin'));

/** `.git-coord.yml`. Unknown keys are refused so a typo never silently does nothing. */
export const ConfigFile = z.nullable(
  z.strictObject({
    /** Default lease for `lock` (`none`: never expires). */
    ttl: z.optional(z.union([Duration, z.literal('none')])),
    /** Longest `lock --wait` waits when given no duration. */
    wait: z.optional(Duration),
    /** The git remote that decides every change (agents in separate clones). */
    remote: z.optional(RemoteName),
    /** With a remote: reads refresh the local view when it is older than this (`always`, `never`). */
    refresh: z.optional(z.union([Duration, z.literal('always'), z.literal('never')])),
    /** With a remote: how often `lock --wait` asks it again. */
    poll: z.optional(Duration),
    hooks: z.optional(
      z.strictObject({
        /** With a remote: pre-commit refreshes the view when it is older than this. */
        refresh: z.optional(z.union([Duration, z.literal('always'), z.literal('never')])),
        /** How long a hook waits for the remote before giving up. */
        timeout: z.optional(Duration),
        /** When the remote cannot be reached: `allow` checks the last view, `refuse` refuses the commit. */
        offline: z.optional(z.union([z.literal('allow'), z.literal('refuse')])),
      }),
    ),
  }),
);
export type ConfigFile = z.infer<typeof ConfigFile>;
