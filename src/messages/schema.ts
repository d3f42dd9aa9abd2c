/**
 * Message records (store/layout.ts has where each lives). A message is written once and never
 * changed; what happens to it afterwards is recorded on its recipients' and sender's own refs.
 */
import * as z from 'zod/mini';
import { Address, AgentId, Iso, Priority } from '../schemas.js';

/** Message, thread and channel ids follow the agent-id rule: valid ref components, printable. */
export const Id = AgentId;
export { Address };

export const MessageRecord = z.object({
  v: z.literal(1),
  type: z.literal('message'),
  id: Id,
  from: AgentId,
  /** The addresses as sent: agent ids, `@all`, `#<channel>`. */
  to: z.array(Address).check(z.minLength(1)),
  subject: z.string(),
  body: z.string(),
  /** 0 is the most urgent, as for tasks. */
  priority: Priority,
  thread: Id,
  replyTo: z.nullable(Id),
  sentAt: Iso,
  /** Null: never expires. */
  expiresAt: z.nullable(Iso),
  /** Every recipient is asked to acknowledge it (else it is a dead letter once expired). */
  ack: z.boolean(),
});
export type MessageRecord = z.infer<typeof MessageRecord>;

/** One acknowledgement: which message, its commit, when, and until when it must be kept. */
export const AckEntry = z.object({
  id: Id,
  oid: z.string(),
  at: Iso,
  /** Dropped after this (the message's expiry, a week later when it asked for acks); null: kept. */
  until: z.nullable(Iso),
});
export type AckEntry = z.infer<typeof AckEntry>;

/**
 * A record kept as a chain of additions (`receipts/<agent>`, `out/<agent>`): this commit's
 * entries add to (or, by id, replace) its parent's; `length` counts the chain's commits, this one
 * included (1: a whole record, parentless), `base` the entries of that root. A record without it
 * (written before) is whole. box.ts reads a chain whole; rules.ts, `ledgerStep`, says when a write
 * starts a new root.
 */
export const Ledger = z.object({ length: z.number().check(z.int(), z.gte(1)), base: z.number().check(z.int(), z.gte(0)) });
export type Ledger = z.infer<typeof Ledger>;

/**
 * How far a reader has acknowledged one sender's chain of @all and channel messages: every
 * message of the chain up to the one sent at `sentAt` (chains are in strictly rising `sentAt`),
 * except those in `skip` (passed while not addressed to the reader: a channel it had not joined).
 */
export const ChainMark = z.object({
  id: Id,
  /** That message's commit as read (an ancestor walk stops there; gone after a re-root, then ignored). */
  oid: z.string(),
  sentAt: Iso,
  /** When the mark last moved. */
  at: Iso,
  skip: z.optional(z.array(z.object({ id: Id, until: z.nullable(Iso) }))),
});
export type ChainMark = z.infer<typeof ChainMark>;

/**
 * An agent's acknowledgements, on its own refs: `acks/<agent>` for @all and channel messages
 * (what its inbox filters out), `receipts/<agent>` for direct ones (their refs are deleted).
 */
export const AckRecord = z.object({
  v: z.literal(1),
  type: z.literal('acks'),
  agent: AgentId,
  /** Messages acknowledged one by one: direct ones, old-layout broadcasts, and chain messages past the sender's mark. */
  acks: z.array(AckEntry),
  /** Per sender, how far its chain is acknowledged (`acks/<agent>` only). */
  marks: z.optional(z.record(AgentId, ChainMark)),
  /** `receipts/<agent>`: kept as a chain of additions (see Ledger). */
  delta: z.optional(Ledger),
});
export type AckRecord = z.infer<typeof AckRecord>;

/** One message in its sender's index. */
export const SentEntry = z.object({
  id: Id,
  oid: z.string(),
  to: z.array(Address),
  ack: z.boolean(),
  expiresAt: z.nullable(Iso),
  /** For an @all or channel message asking for acks: who it reached when sent. */
  expect: z.nullable(z.array(AgentId)),
  /** Its @all and channel refs are deleted (it expired); for a chain message: it left the chain. */
  pruned: z.boolean(),
  /** Sent on the sender's chain (`bcast/<agent>`), not on refs of its own. */
  chain: z.optional(z.boolean()),
});
export type SentEntry = z.infer<typeof SentEntry>;

/** The sender's index of its messages (`out/<agent>`): unexpired ones, and dead letters for a week. */
export const OutboxRecord = z.object({
  v: z.literal(1),
  type: z.literal('outbox'),
  agent: AgentId,
  sent: z.array(SentEntry),
  /**
   * The sender's chain (`bcast/<agent>`): how many messages it holds (expired ones too, until it
   * is re-rooted), how many it held when last examined for re-rooting, and the earliest expiry
   * among them (null: none expires). See rules.ts, `examineChain`.
   */
  chain: z.optional(z.object({ length: z.number().check(z.int(), z.gte(0)), checked: z.number().check(z.int(), z.gte(0)), firstExpiry: z.nullable(Iso) })),
  /** Kept as a chain of additions (see Ledger). */
  delta: z.optional(Ledger),
});
export type OutboxRecord = z.infer<typeof OutboxRecord>;

/** The channels an agent joined (`member/<agent>`), with when. */
export const MembershipRecord = z.object({
  v: z.literal(1),
  type: z.literal('membership'),
  agent: AgentId,
  channels: z.record(Id, Iso),
});
export type MembershipRecord = z.infer<typeof MembershipRecord>;
