/**
 * Sending: one new ref per direct address (a name nobody else uses), an @all or channel message
 * on the sender's own chain (re-rooted now and then), and the sender's own index and journal, all
 * in one compare-and-swap (docs/design.md, "A send").
 */
import { FailedError, UsageError } from '../errors.js';

/** The first time a record cannot hold (year 10000: the times are ISO 8601 with four-digit years). */
const LAST_TIME = Date.UTC(10000, 0, 1);
import { iso } from '../time.js';
import { recordOf, type RecordChange } from '../store/journal.js';
import { answer, cas, commit } from '../store/cas.js';
import { decode, parseBody, type NewRecord, type RefEntry, type RefUpdate, type Schema } from '../store/records.js';
import { JOURNAL, MESSAGES, bcastRef, deliveryRef } from '../store/layout.js';
import type { MembershipRecord, MessageRecord, OutboxRecord, SentEntry } from './schema.js';
import { messageSchemas } from './schemas.js';
import { ALL, DEFAULT_PRIORITY, checkBody, checkSubject, expired, keptSent, messageId, newMessageId, parseAddresses, shared, shouldReroot, examineChain, earlier, ledgerStep, view, type MessageView } from './rules.js';
import { one, ownRefs, wholeLedgers, type MessageSession } from './box.js';
import { checkPriority } from '../fields.js';

export interface SendOptions {
  subject?: string;
  /** Join this thread (default: the message starts its own, named by its id). */
  thread?: string;
  /** 0 (most urgent) to 4; default 2. */
  priority?: number;
  /** Lifetime in ms, null for none; undefined: the configured `messages.ttl`. */
  ttlMs?: number | null;
  /** Ask every recipient to acknowledge it. */
  ack?: boolean;
}

/** The agents an @all or channel message reaches now (other than its sender). */
async function reached(entries: RefEntry[], addresses: string[], me: string): Promise<string[]> {
  const who = new Set<string>();
  if (addresses.includes(ALL)) {
    const { EventRecord } = await import('../history/schema.js');
    const { records } = decode(EventRecord, entries.filter((e) => e.ref.startsWith(JOURNAL)));
    for (const s of records) who.add(s.record.agent);
  }
  const chans = addresses.filter((a) => a.startsWith('#')).map((a) => a.slice(1));
  if (chans.length > 0) {
    const { MembershipRecord } = await messageSchemas();
    const { records } = decode<MembershipRecord>(MembershipRecord, entries.filter((e) => e.ref.startsWith(`${MESSAGES}member/`)));
    for (const s of records) if (chans.some((c) => Object.hasOwn(s.record.channels, c))) who.add(s.record.agent);
  }
  who.delete(me);
  return [...who].sort();
}

/** Sends `body` to `to` (addresses, comma-separated or as a list), as a reply to `replyTo` if not null. Returns the message as sent. */
export async function deliver(s: MessageSession, to: string | string[], body: string, opts: SendOptions, replyTo: string | null): Promise<MessageView> {
  const ctx = s.ctx;
  const me = ctx.requireAgent();
  const addresses = parseAddresses(to);
  checkBody(body);
  const subject = opts.subject ?? '';
  checkSubject(subject);
  const priority = opts.priority ?? DEFAULT_PRIORITY;
  checkPriority(priority);
  const cfg = await ctx.config();
  const ttlMs = opts.ttlMs === undefined ? cfg.messages.ttlMs : opts.ttlMs;
  if (ttlMs !== null && !(ttlMs > 0)) throw new UsageError('bad lifetime: a message must live for some time', { kind: 'bad-ttl' });
  const started = ctx.now();
  const id = newMessageId(started);
  const base = {
    v: 1 as const,
    type: 'message' as const,
    id,
    from: me,
    to: addresses,
    subject,
    body,
    priority,
    thread: opts.thread === undefined ? id : messageId(opts.thread, 'thread id'),
    replyTo,
    ack: Boolean(opts.ack),
  };
  const r = ownRefs(me);
  // An @all or channel message goes on the sender's chain (its own ref); a direct address gets a ref of its own.
  const onChain = shared(addresses);
  const chainRef = bcastRef(me);
  const directRefs = addresses.filter((a) => a !== ALL && !a.startsWith('#')).map((a) => deliveryRef(a, id));
  // Whom an @all or channel message reaches is open-ended; when it asks for acks, the agents it
  // reached when sent are the ones its dead-letter status waits for.
  const snapshot: string[] = [];
  if (base.ack && addresses.includes(ALL)) snapshot.push(JOURNAL);
  if (base.ack && addresses.some((a) => a.startsWith('#'))) snapshot.push(`${MESSAGES}member/`);
  let verifyPrune: string[] = [];
  return cas(ctx.store, me, async (round) => {
    // The index's newest commit only, unless this write starts a new whole root (then all of it).
    const reading = ctx.store.entries([r.out, r.journal, ...(onChain ? [chainRef] : []), ...snapshot, ...verifyPrune], 'authority');
    // The schemas load while git reads.
    const schemas = messageSchemas();
    let entries = await reading;
    const { MessageRecord, OutboxRecord } = await schemas;
    let out = one(ctx, OutboxRecord, entries.find((e) => e.ref === r.out));
    if (ledgerStep(out.record?.delta, out.record !== null) === 'root' && (out.record?.delta?.length ?? 1) > 1) {
      entries = await wholeLedgers(ctx, entries);
      out = one(ctx, OutboxRecord, entries.find((e) => e.ref === r.out));
    }
    const byRef = new Map(entries.map((e) => [e.ref, e]));
    const head = onChain ? byRef.get(chainRef) : undefined;
    // A chain's messages are in strictly rising send time (readers' marks rely on it), whatever the clock did.
    const headAt = head && !head.missing ? chainTime(MessageRecord, head.body) : 0;
    const sentAt = Math.max(started, headAt + 1);
    // A head dated near the end of time (a clock far off, or a chain commit pushed by hand) leaves no
    // later time a record can hold: refused, rather than a record nobody can read said to be sent.
    if (!(sentAt + (ttlMs ?? 0) < LAST_TIME)) {
      throw new FailedError(`cannot send on ${chainRef}: its newest message is dated ${new Date(headAt).toISOString()}, and the messages of a chain rise in time`);
    }
    const message: MessageRecord = { ...base, sentAt: iso(sentAt), expiresAt: ttlMs === null ? null : iso(sentAt + ttlMs) };
    // A lost answer after the swap landed (a remote's): the message is sent already (in the
    // index, or at the head of the chain: nothing else writes it).
    const done = out.record?.sent.find((e) => e.id === id);
    if (done) return answer(view({ ...message, expiresAt: done.expiresAt }, false));
    const atHead = head && !head.missing ? parseBody(MessageRecord, head.body) : null;
    if (atHead?.ok && atHead.value.id === id) return answer(view(atHead.value, false));
    const now = ctx.now();
    // Messages of the layout before the chains: the sender deletes its own expired @all and
    // channel refs (nobody else does, so this never makes another agent's write fail). After a
    // lost round, only those still there.
    const prune = (out.record?.sent ?? []).filter((e) => !e.chain && !e.pruned && shared(e.to) && expired(e, now));
    const kept = keptSent(out.record?.sent ?? [], now);
    const deletes: RefUpdate[] = [];
    for (const e of prune) {
      for (const a of e.to.filter((x) => x === ALL || x.startsWith('#'))) {
        const ref = deliveryRef(a, e.id);
        if (round === 0 || byRef.get(ref)?.oid === e.oid) deletes.push({ ref, newOid: null, oldOid: e.oid });
      }
    }
    let parents: string[] | undefined;
    let chain = out.record?.chain;
    if (onChain) {
      // The chain as the index knows it (a chain it does not know of, written before or by
      // another process of this agent, is examined at once).
      const known = head && !head.missing ? (chain ?? { length: 1, checked: 0, firstExpiry: iso(0) }) : { length: 0, checked: 0, firstExpiry: null };
      const examined = examineChain(known, now) ? await examine(s, me, head!.oid, now) : null;
      parents = examined?.rerooted ? examined.top : head && !head.missing ? [head.oid] : [];
      const base = examined ? { length: examined.length, checked: examined.length, firstExpiry: examined.firstExpiry } : known;
      chain = { length: base.length + 1, checked: base.checked, firstExpiry: earlier(base.firstExpiry, message.expiresAt) };
    }
    const messageChange: RecordChange = {
      ref: onChain ? chainRef : directRefs[0]!,
      oldOid: onChain ? (head?.oid ?? null) : null,
      record: message,
      subject: `message ${id}${subject ? `: ${subject}` : ''}`,
      ...(parents ? { parents } : {}),
      alsoRefs: onChain ? directRefs : directRefs.slice(1),
      event: { action: 'send', subject: `${id} to ${addresses.join(',')}${subject ? `: ${subject}` : ''}` },
    };
    const oid = ctx.store.ids([recordOf(messageChange, me, now)])[0]!;
    const entry: SentEntry = {
      id,
      oid,
      to: addresses,
      ack: message.ack,
      expiresAt: message.expiresAt,
      expect: snapshot.length > 0 ? await reached(entries, addresses, me) : null,
      pruned: false,
      ...(onChain ? { chain: true } : {}),
    };
    // A broadcast is listed only when it asked for acks (its dead letters outlive the chain):
    // else the chain itself is the sender's list, and the index stays small. The index is kept
    // as a chain of additions: the entries changed now, or now and then a new whole root.
    const added = [...prune.map((e) => ({ ...e, pruned: true })), ...(onChain && !message.ack ? [] : [entry])];
    const ledger = out.record?.delta;
    const step = ledgerStep(ledger, out.record !== null);
    const sentNow = step === 'add' ? added : [...kept.map((e) => (prune.includes(e) ? { ...e, pruned: true } : e)), ...added.filter((e) => !prune.some((p) => p.id === e.id))];
    const index: OutboxRecord = {
      v: 1,
      type: 'outbox',
      agent: me,
      sent: sentNow,
      ...(chain ? { chain } : {}),
      delta: step === 'add' ? { length: ledger!.length + 1, base: ledger!.base } : { length: 1, base: sentNow.length },
    };
    const indexChange: RecordChange = { ref: r.out, oldOid: out.oid, record: index, subject: `outbox of ${me}`, ...(step === 'root' ? { parents: [] } : {}) };
    // Should this round be lost, the next one reads these refs too, to delete only those still there.
    verifyPrune = prune.flatMap((e) => e.to.filter((x) => x === ALL || x.startsWith('#')).map((a) => deliveryRef(a, e.id)));
    return commit([messageChange, indexChange], byRef.get(r.journal)?.oid ?? null, now, view(message, false), deletes);
  }, { onLost: () => s.retries++ });
}

/** The send time of a chain's head (0 when it cannot be read: the next message then starts from the clock). */
function chainTime(schema: Schema<MessageRecord>, body: string): number {
  const r = parseBody(schema, body);
  return r.ok ? Date.parse(r.value.sentAt) : 0;
}

/**
 * Reads `me`'s chain (`head`) and, when at least as many of its messages expired as are live
 * (rules.ts, shouldReroot), writes a new parentless chain of copies of the unexpired ones,
 * oldest first (unreachable until the send's swap lands). Returns the top to build on (the old
 * head when not re-rooted), the chain's length and its earliest expiry.
 */
async function examine(s: MessageSession, me: string, head: string, now: number): Promise<{ rerooted: boolean; top: string[]; length: number; firstExpiry: string | null } | null> {
  const ctx = s.ctx;
  let commits;
  const { MessageRecord } = await messageSchemas();
  try {
    commits = await ctx.store.chains([head], []);
  } catch (e) {
    ctx.warn(`${(e as Error).message}; the chain is not re-rooted this time`);
    return null;
  }
  const records = commits.reverse().map((c) => parseBody(MessageRecord, c.body)).flatMap((r) => (r.ok && r.value.from === me ? [r.value] : []));
  const live = records.filter((m) => !expired(m, now));
  const firstExpiry = (list: MessageRecord[]) => list.reduce<string | null>((a, m) => earlier(a, m.expiresAt), null);
  if (!shouldReroot(commits.length, live.length)) return { rerooted: false, top: [head], length: commits.length, firstExpiry: firstExpiry(records) };
  const copies: NewRecord[] = [];
  let prev: string | null = null;
  for (const m of live) {
    const n: NewRecord = { subject: `message ${m.id}${m.subject ? `: ${m.subject}` : ''}`, record: m, parents: prev ? [prev] : [], agent: me, timeMs: now };
    prev = ctx.store.ids([n])[0]!;
    copies.push(n);
  }
  if (copies.length > 0) await ctx.store.write(copies);
  return { rerooted: true, top: prev ? [prev] : [], length: live.length, firstExpiry: firstExpiry(live) };
}
