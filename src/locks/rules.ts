/**
 * The pure rules of locks, testable without git: what a lock looks like to readers, when a
 * record holds anything (liveness), which locks conflict, the ticket order between racing
 * requests, and the record states each step of the protocol writes.
 */
import { RefusedError } from '../errors.js';
import { printable } from '../printable.js';
import { iso } from '../time.js';
import type { RecordChange } from '../store/journal.js';
import { patternFromText, type Pattern } from '../patterns/pattern.js';
import { overlaps } from '../patterns/overlap.js';
import type { LockRecord } from './schema.js';
import type { Writer } from './writer.js';

/** A pending record not granted within this is dead; its writer gives up well before. */
export const PENDING_TTL_MS = 30_000;
/** A grant not decided within this after its pending write is withdrawn. */
export const GRANT_DEADLINE_MS = 10_000;
/** How long a new request waits for others' pending records to settle before calling them conflicts. */
export const SETTLE_MS = 2_000;

export interface LockView {
  pattern: string;
  kind: Pattern['kind'];
  agent: string;
  reason: string;
  acquiredAt: string;
  expiresAt: string | null;
  token: number;
}

export interface Conflict {
  /** The requested pattern or checked path. */
  path: string;
  /** The other agent's lock that covers it. */
  pattern: string;
  agent: string;
  reason: string;
  expiresAt: string | null;
  state: 'granted' | 'pending';
}

export type LockAction = LockRecord['event']['action'];

/** A change of one lock record, before it becomes a RecordChange (`recorded`). */
export interface Change {
  slot: { ref: string; oid: string };
  rec: LockRecord;
  action: LockAction;
  /** Why, for the history: the reason of a lock, or of a forced break. */
  why?: string;
  other?: string;
  remove?: boolean;
}

export function view(r: LockRecord): LockView {
  return {
    pattern: r.pattern,
    kind: patternFromText(r.pattern).kind,
    agent: r.agent,
    reason: r.reason,
    acquiredAt: r.acquiredAt,
    expiresAt: r.expiresAt,
    token: r.token,
  };
}

/** Whether a record holds anything at `now`: granted and unexpired, or pending within its window. */
export function liveness(r: LockRecord, now: number): 'granted' | 'pending' | null {
  if (r.state === 'granted') return r.expiresAt === null || Date.parse(r.expiresAt) > now ? 'granted' : null;
  if (r.state === 'pending') return r.pendingUntil !== null && Date.parse(r.pendingUntil) > now ? 'pending' : null;
  return null;
}

/** The ticket order between two pending requests: earlier first, then by agent, then by nonce. */
export function ticketLess(a: LockRecord, b: LockRecord): boolean {
  if (a.ticket.at !== b.ticket.at) return a.ticket.at < b.ticket.at;
  if (a.agent !== b.agent) return a.agent < b.agent;
  return a.ticket.nonce < b.ticket.nonce;
}

export function conflict(path: string, r: LockRecord, state: 'granted' | 'pending'): Conflict {
  return { path, pattern: r.pattern, agent: r.agent, reason: r.reason, expiresAt: r.expiresAt, state };
}

/** Others' live locks overlapping any of `pats`. */
export function conflictsWith(pats: Pattern[], records: { record: LockRecord }[], me: string | null, now: number): Conflict[] {
  const out: Conflict[] = [];
  for (const s of records) {
    if (s.record.agent === me) continue;
    const state = liveness(s.record, now);
    if (!state) continue;
    const theirs = patternFromText(s.record.pattern);
    for (const p of pats) if (overlaps(p, theirs)) out.push(conflict(p.text, s.record, state));
  }
  return out;
}

/**
 * The refusal of a request over held paths: `detail.conflicts` has every conflict (the data a
 * face renders its own lines and next steps from); the message is the command line's text.
 */
export function refusal(conflicts: Conflict[], verb = 'cannot lock'): RefusedError {
  const lines = conflicts.map(
    (c) =>
      `  ${printable(c.path)}: ${c.state === 'pending' ? 'being locked' : 'locked'} by ${c.agent} as ${printable(c.pattern)}` +
      `${c.reason ? ` (${printable(c.reason)})` : ''}, ${c.expiresAt ? `until ${c.expiresAt}` : 'no expiry'}`,
  );
  return new RefusedError(`${verb}: held by another agent\n${lines.join('\n')}`, { kind: 'held', conflicts });
}

/** The pending record a request writes for `pattern` over `prev` (the record its ref holds, if any). */
export function pendingRecord(
  me: string,
  pattern: Pattern,
  prev: LockRecord | null,
  req: { ttlMs: number | null; reason: string | undefined; ticket: LockRecord['ticket']; writer: Writer | undefined },
  now: number,
): LockRecord {
  return {
    v: 1,
    type: 'lock',
    pattern: pattern.text,
    agent: me,
    state: 'pending',
    reason: req.reason ?? prev?.reason ?? '',
    // Strictly above the record this replaces; the grant also puts it above the token mark
    // of released grants (see grantedRecord). The clock is a floor for marks that were lost.
    token: Math.max(prev ? prev.token + 1 : 1, now),
    ttlMs: req.ttlMs,
    acquiredAt: iso(now),
    expiresAt: req.ttlMs === null ? null : iso(now + req.ttlMs),
    ticket: req.ticket,
    pendingUntil: iso(now + PENDING_TTL_MS),
    ...(req.writer ? { writer: req.writer } : {}),
    event: { action: 'pending', by: me, at: iso(now), ...(prev && prev.agent !== me ? { from: prev.agent } : {}) },
  };
}

/**
 * Pending → granted: a lock, or a takeover of the expired lock it replaced. Its token is above
 * `markMax`, the highest token released in its directory, read after the pending write: from
 * then on no grant of this pattern can be released but this one.
 */
export function grantedChange(me: string, slot: { ref: string; oid: string }, pending: LockRecord, ttlMs: number | null, markMax: number, now: number): Change {
  const { writer: _, ...p } = pending;
  const taken = p.event.from;
  const rec: LockRecord = {
    ...p,
    state: 'granted',
    token: Math.max(p.token, markMax + 1),
    acquiredAt: iso(now),
    expiresAt: ttlMs === null ? null : iso(now + ttlMs),
    pendingUntil: null,
    event: { action: taken ? 'takeover' : 'lock', by: me, at: iso(now), ...(taken ? { from: taken } : {}) },
  };
  return { slot, rec, action: rec.event.action, why: rec.reason, ...(taken ? { other: taken } : {}) };
}

/** A held lock renewed: a new lease from `now`, and the reason if one is given. */
export function renewedChange(me: string, slot: { ref: string; oid: string }, held: LockRecord, ttlMs: number | null, reason: string | undefined, now: number): Change {
  const rec: LockRecord = {
    ...held,
    reason: reason ?? held.reason,
    ttlMs,
    expiresAt: ttlMs === null ? null : iso(now + ttlMs),
    event: { action: 'renew', by: me, at: iso(now) },
  };
  return { slot, rec, action: 'renew', why: rec.reason };
}

/** A lock released by `me`: its own (`unlock`) or another agent's (`break`, with the reason). */
export function releasedChange(me: string, slot: { ref: string; oid: string }, held: LockRecord, now: number, reason?: string): Change {
  const broken = held.agent !== me;
  const rec: LockRecord = {
    ...held,
    state: 'released',
    pendingUntil: null,
    event: { action: broken ? 'break' : 'unlock', by: me, at: iso(now), ...(broken && reason ? { reason } : {}) },
  };
  return { slot, rec, action: rec.event.action, remove: true, ...(broken ? { other: held.agent, why: reason } : {}) };
}

/** A dead record removed by `me` (`expire`). */
export function expiredChange(me: string, slot: { ref: string; oid: string }, dead: LockRecord, now: number): Change {
  return {
    slot,
    rec: { ...dead, state: 'released', pendingUntil: null, event: { action: 'expire', by: me, at: iso(now) } },
    action: 'expire',
    remove: true,
    ...(dead.agent !== me ? { other: dead.agent } : {}),
  };
}

/** A lock change as the store commits it, with its journal entry. */
export function recorded(c: Change): RecordChange {
  return {
    ref: c.slot.ref,
    oldOid: c.slot.oid,
    record: c.rec,
    subject: `${c.action} ${c.rec.pattern}`,
    ...(c.remove ? { remove: true } : {}),
    event: { action: c.action, subject: c.rec.pattern, reason: c.why, other: c.other },
  };
}
