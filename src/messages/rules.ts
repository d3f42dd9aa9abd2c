/**
 * The rules of messages, without git: addresses, validation, who sees what, order, expiry, what
 * records keep, acknowledgements and dead letters. messages.ts applies them to the store.
 */
import { UsageError } from '../errors.js';
import { checkLine, checkText, cut } from '../fields.js';
import { AGENT_ID } from '../agents/id.js';
import type { AckEntry, ChainMark, MessageRecord, SentEntry } from './schema.js';
import { iso } from '../time.js';

export const ALL = '@all';
/** A body may hold at most this many bytes (UTF-8). */
export const MAX_BODY_BYTES = 64 * 1024;
export const MAX_SUBJECT_CHARS = 1000;
/** How long after expiring a message that asked for acks stays in its sender's outbox (dead letters). */
export const DEAD_RETAIN_MS = 7 * 86_400_000;
export const DEFAULT_PRIORITY = 2;

/** A message as every face shows it (the contract's JSON fields). */
export interface MessageView {
  id: string;
  from: string;
  to: string[];
  subject: string;
  body: string;
  priority: number;
  thread: string;
  replyTo: string | null;
  sentAt: string;
  expiresAt: string | null;
  /** Acknowledgement asked. */
  ack: boolean;
  /** Acknowledged by the reader. */
  acked: boolean;
}

/** A sent message with each recipient's acknowledgement (ISO time, or null: not yet). */
export interface OutboxView extends MessageView {
  acks: Record<string, string | null>;
  dead: boolean;
}

export function view(m: MessageRecord, acked: boolean): MessageView {
  const { id, from, to, subject, body, priority, thread, replyTo, sentAt, expiresAt, ack } = m;
  return { id, from, to, subject, body, priority, thread, replyTo, sentAt, expiresAt, ack, acked };
}

function badId(what: string, text: string): UsageError {
  return new UsageError(`bad ${what} ${JSON.stringify(text)}: use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit`);
}

/** A channel's name, given with or without its `#`. */
export function channelName(text: string): string {
  const name = text.startsWith('#') ? text.slice(1) : text;
  if (!AGENT_ID.test(name)) throw badId('channel name', text);
  return name;
}

/** A message or thread id given on the command line. */
export function messageId(text: string, what = 'message id'): string {
  if (!AGENT_ID.test(text)) throw badId(what, text);
  return text;
}

/** Comma-separated addresses (agent ids, `@all`, `#<channel>`), each checked; duplicates dropped. */
export function parseAddresses(input: string | string[]): string[] {
  const parts = (Array.isArray(input) ? input : [input]).flatMap((s) => s.split(','));
  const out: string[] = [];
  for (const raw of parts) {
    const a = raw.trim();
    if (a === '') throw new UsageError(`bad address list ${JSON.stringify(Array.isArray(input) ? input.join(',') : input)}: an empty address`);
    let address: string;
    if (a === ALL) address = ALL;
    else if (a.startsWith('#')) address = `#${channelName(a)}`;
    else if (AGENT_ID.test(a)) address = a;
    else throw new UsageError(`bad address ${JSON.stringify(a)}: use an agent id, @all, or #<channel>`);
    if (!out.includes(address)) out.push(address);
  }
  if (out.length === 0) throw new UsageError('no address given: use an agent id, @all, or #<channel>');
  return out;
}

export function checkBody(body: string): void {
  const bytes = body.length > MAX_BODY_BYTES ? body.length : Buffer.byteLength(body, 'utf8');
  if (bytes > MAX_BODY_BYTES) throw new UsageError(`message too long: ${bytes} bytes, at most ${MAX_BODY_BYTES} (64 KiB)`, { code: 'bad-text', field: 'message', max: MAX_BODY_BYTES });
  if (body.trim() === '') throw new UsageError('empty message: give the text to send (or - to read it from stdin)');
  checkText('message', body, MAX_BODY_BYTES);
}

/** A subject: one line of plain text (it is also the subject line of the message's commit). */
export function checkSubject(subject: string): void {
  checkLine('subject', subject, MAX_SUBJECT_CHARS);
}

export { parsePriority } from '../fields.js';

/** A new message id: time-ordered, unique without coordination (48 random bits), a valid ref component. */
export function newMessageId(now: number): string {
  return `m-${now.toString(36)}-${(process.getBuiltinModule('node:crypto') as typeof import('node:crypto')).randomBytes(6).toString('hex')}`;
}

export function expired(m: { expiresAt: string | null }, now: number): boolean {
  return m.expiresAt !== null && Date.parse(m.expiresAt) <= now;
}

/** Whether `m` is addressed to `me`: directly, through @all, or through a channel `me` joined (not to its own sender). */
export function addressedTo(m: MessageRecord, me: string, channels: ReadonlySet<string>): boolean {
  if (m.to.includes(me)) return true;
  if (m.from === me) return false;
  return m.to.some((a) => a === ALL || (a.startsWith('#') && channels.has(a.slice(1))));
}

/** Whether `m` reaches anyone through a shared ref (@all or a channel). */
export function shared(to: readonly string[]): boolean {
  return to.some((a) => a === ALL || a.startsWith('#'));
}

/** Inbox order: most urgent first, then oldest first. */
export function inboxOrder(a: MessageView, b: MessageView): number {
  return a.priority - b.priority || Date.parse(a.sentAt) - Date.parse(b.sentAt) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** Until when a record about `m` must be kept: its expiry, a week more when it asked for acks (dead letters). */
export function keepUntil(m: { expiresAt: string | null; ack: boolean }): string | null {
  if (m.expiresAt === null) return null;
  return m.ack ? iso(Date.parse(m.expiresAt) + DEAD_RETAIN_MS) : m.expiresAt;
}

export function keptAcks(entries: readonly AckEntry[], now: number): AckEntry[] {
  return entries.filter((e) => e.until === null || Date.parse(e.until) > now);
}

export function keptSent(entries: readonly SentEntry[], now: number): SentEntry[] {
  return entries.filter((e) => {
    const until = keepUntil(e);
    return until === null || Date.parse(until) > now;
  });
}

/**
 * Each recipient's acknowledgement of a sent message (`ackers`: agent → time). Direct recipients
 * are known; for @all and channels, the agents it reached when sent (recorded when it asked for
 * acks) and whoever acknowledged it since.
 */
export function recipientAcks(
  entry: Pick<SentEntry, 'to' | 'expect'>,
  from: string,
  ackers: ReadonlyMap<string, string>,
): Record<string, string | null> {
  const who = new Set<string>(entry.to.filter((a) => a !== ALL && !a.startsWith('#')));
  if (shared(entry.to)) for (const a of [...(entry.expect ?? []), ...ackers.keys()]) if (a !== from) who.add(a);
  const out: Record<string, string | null> = {};
  for (const a of [...who].sort()) out[a] = ackers.get(a) ?? null;
  return out;
}

/**
 * A message that asked for acks is dead once it expired with some recipient not acknowledging it
 * (or nobody at all: an @all or channel message that reached no one).
 */
export function isDead(m: { ack: boolean; expiresAt: string | null }, acks: Record<string, string | null>, now: number): boolean {
  const times = Object.values(acks);
  return m.ack && expired(m, now) && (times.length === 0 || times.some((t) => t === null));
}

/** The subject of a reply: `Re: <subject>` unless it already is one. */
export function replySubject(subject: string): string {
  if (subject === '' || /^re:/i.test(subject)) return cut(subject, MAX_SUBJECT_CHARS);
  // The prefix must not push a subject the sender did not choose past the limit: cut the original.
  return `Re: ${cut(subject, MAX_SUBJECT_CHARS - 4)}`;
}

/**
 * Whether a reader's mark on a sender's chain covers `m` (acknowledged in order): sent no later
 * than the mark's message (a chain's `sentAt` rises strictly) and not passed over unaddressed.
 */
export function markCovers(mark: ChainMark | undefined, m: { id: string; sentAt: string }): boolean {
  if (!mark) return false;
  return Date.parse(m.sentAt) <= Date.parse(mark.sentAt) && !(mark.skip ?? []).some((s) => s.id === m.id);
}

/**
 * Moves a reader's mark on one sender's chain (`chain`: its messages with their commits, any
 * order) as far as it can: past every message acknowledged (`acked`: ids), expired, or not
 * addressed to the reader (remembered in `skip` until it expires, so that joining its channel
 * later still shows it). It stops at the first message the reader still has to see. Returns
 * the new mark (unchanged: the same object) and the ids it now covers.
 */
export function advanceMark(
  mark: ChainMark | undefined,
  chain: readonly { oid: string; record: MessageRecord }[],
  acked: ReadonlySet<string>,
  me: string,
  channels: ReadonlySet<string>,
  now: number,
): { mark: ChainMark | undefined; covered: Set<string> } {
  const after = [...chain]
    .filter((c) => !mark || Date.parse(c.record.sentAt) > Date.parse(mark.sentAt))
    .sort((a, b) => Date.parse(a.record.sentAt) - Date.parse(b.record.sentAt));
  const covered = new Set<string>();
  // Skipped messages the reader acknowledged now (it joined their channel) are covered again.
  let skip = (mark?.skip ?? []).filter((s) => !acked.has(s.id) && (s.until === null || Date.parse(s.until) > now));
  let last: { oid: string; record: MessageRecord } | null = null;
  for (const c of after) {
    const m = c.record;
    if (acked.has(m.id) || expired(m, now)) {
      // passes
    } else if (!addressedTo(m, me, channels)) {
      skip = [...skip, { id: m.id, until: m.expiresAt }];
    } else break;
    covered.add(m.id);
    last = c;
  }
  const skipChanged = skip.length !== (mark?.skip ?? []).length;
  if (!last && !skipChanged) return { mark, covered };
  const base = last ? { id: last.record.id, oid: last.oid, sentAt: last.record.sentAt } : { id: mark!.id, oid: mark!.oid, sentAt: mark!.sentAt };
  return { mark: { ...base, at: iso(now), ...(skip.length > 0 ? { skip } : {}) }, covered };
}

/**
 * Whether a send reads its own chain to see whether to re-root it: only once something on it
 * expired, and then only when it has doubled since last examined, so that a chain whose messages
 * outlive a re-root's threshold is read O(log n) times, not on every send.
 */
export function examineChain(chain: { length: number; checked: number; firstExpiry: string | null }, now: number): boolean {
  return chain.length > 0 && chain.firstExpiry !== null && Date.parse(chain.firstExpiry) <= now && chain.length >= 2 * chain.checked;
}

/** The earlier of two expiries (null: never). */
export function earlier(a: string | null, b: string | null): string | null {
  if (a === null) return b;
  if (b === null) return a;
  return Date.parse(a) <= Date.parse(b) ? a : b;
}

/**
 * Whether a sender's chain should be re-rooted now (a new parentless chain of its unexpired
 * messages): once at least as many of its messages expired as are still live, so that each
 * re-root copies no more messages than expired since the last one (a send costs O(1) copies on
 * average, and the chain holds at most about twice its live messages).
 */
export function shouldReroot(chained: number, live: number): boolean {
  const dead = chained - live;
  return dead > 0 && dead >= live;
}

/** The fewest additions a chained record takes before a write starts a new whole root. */
export const LEDGER_MIN_STEPS = 16;

/**
 * How a write of `added` entries lands on a record kept as a chain of additions (`head`: its
 * Ledger as read; undefined: a record written before, or none): as one more addition, or as a
 * new parentless root holding every kept entry, once the additions since the last root are as
 * many as the root's entries (at least LEDGER_MIN_STEPS). A write then costs O(1) entries on
 * average, and a read walks at most about twice the kept entries.
 */
export function ledgerStep(head: { length: number; base: number } | undefined, exists: boolean): 'add' | 'root' {
  if (!exists || !head) return 'root';
  return head.length - 1 < Math.max(LEDGER_MIN_STEPS, head.base) ? 'add' : 'root';
}
