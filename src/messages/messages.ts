/**
 * Messages between agents: direct, @all, channels, threads, acknowledgements, dead letters.
 *
 * Every ref here is written by one agent only (store/layout.ts), so a send never swaps a ref that
 * another sender writes: it creates one new ref per address (a name nobody else uses) and moves
 * its sender's own index and journal, all in one compare-and-swap. An acknowledgement deletes the
 * recipient's own delivery ref, or adds to its own acknowledgement record, with its journal entry,
 * in one compare-and-swap. So a crash at any moment leaves a message fully sent or absent, and an
 * acknowledgement fully recorded or absent. docs/design.md (Messages) has the reasons and figures.
 */
import { RefusedError, FailedError, UsageError } from '../errors.js';
import { iso } from '../time.js';
import { commitWithJournal, recordOf, type JournalEvent, type RecordChange } from '../store/journal.js';
import { EventRecord } from '../history/schema.js';
import { jitter, sleep } from '../store/cas.js';
import { decode, parseBody, type ReadMode, type RefEntry, type RefUpdate, type Schema } from '../store/records.js';
import { BROADCASTS, CHANNELS, JOURNAL, MESSAGES, agentMessagesRef, deliveryRef, inboxPrefix, journalRef } from '../store/layout.js';
import type { Coord } from '../session/coord.js';
import { validateAgentId } from '../agents/id.js';
import { AckRecord, MembershipRecord, MessageRecord, OutboxRecord, type AckEntry, type SentEntry } from './schema.js';
import {
  ALL,
  DEFAULT_PRIORITY,
  addressedTo,
  channelName,
  checkBody,
  checkSubject,
  expired,
  inboxOrder,
  isDead,
  keepUntil,
  keptAcks,
  keptSent,
  messageId,
  newMessageId,
  parseAddresses,
  recipientAcks,
  replySubject,
  shared,
  view,
  type MessageView,
  type OutboxView,
} from './rules.js';

const MAX_ROUNDS = 50;
/** What all the agents waiting on one remote may ask it together, at most (GitHub asks for at most ~15 reads a second). */
export const WAIT_READS_PER_SECOND = 10;

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

export interface InboxOptions {
  /** Also the messages already acknowledged. */
  all?: boolean;
  from?: string;
  thread?: string;
  channel?: string;
  limit?: number;
  /** When none: wait up to this long for one (then RefusedError). */
  waitMs?: number;
  /** How to read: default, as the session's policy says (a hook passes 'view': a slow remote never delays it). */
  mode?: ReadMode;
}

export interface AckResult {
  /** Acknowledged now. */
  acked: MessageView[];
  /** Acknowledged before (not an error). */
  already: string[];
}

export interface Channel {
  name: string;
  members: string[];
}

interface Slot<T> {
  oid: string | null;
  record: T | null;
}

interface Stored {
  oid: string;
  record: MessageRecord;
}

/** What one agent's reads return: its deliveries, the shared messages, its own records. */
interface Box {
  direct: Map<string, Stored & { ref: string }>;
  shared: Map<string, Stored>;
  acks: Slot<AckRecord>;
  receipts: Slot<AckRecord>;
  member: Slot<MembershipRecord>;
  out: Slot<OutboxRecord>;
  journal: string | null;
}

function lastComponent(ref: string): string {
  return ref.slice(ref.lastIndexOf('/') + 1);
}

/** The messages service of one session. */
export class Messages {
  /** Lost compare-and-swap rounds so far (a send should never need one: nothing else writes its refs). */
  retries = 0;

  constructor(private readonly ctx: Coord) {}

  private refs(me: string) {
    return {
      inbox: inboxPrefix(me),
      acks: agentMessagesRef('acks', me),
      receipts: agentMessagesRef('receipts', me),
      out: agentMessagesRef('out', me),
      member: agentMessagesRef('member', me),
      journal: journalRef(me),
    };
  }

  private one<T>(schema: Schema<T>, entry: RefEntry | undefined): Slot<T> {
    if (!entry) return { oid: null, record: null };
    const r = parseBody(schema, entry.body);
    if (!r.ok) this.ctx.warn(`replacing unreadable record ${entry.ref} (${entry.oid.slice(0, 10)}): ${r.problem}`);
    return { oid: entry.oid, record: r.ok ? r.value : null };
  }

  /** Message records, each checked against the id its ref names. */
  private messages(entries: RefEntry[]): (Stored & { ref: string })[] {
    const { records, corrupt } = decode(MessageRecord, entries);
    for (const c of corrupt) this.ctx.warn(`skipping unreadable message ${c.ref} (${c.oid.slice(0, 10)}): ${c.problem}`);
    return records.filter((s) => {
      if (s.record.id === lastComponent(s.ref)) return true;
      this.ctx.warn(`skipping message ${s.ref}: its record names another id (${s.record.id})`);
      return false;
    });
  }

  /**
   * One read (one git call) of what `me` needs: its direct deliveries, the shared messages, and
   * the own records asked for. Decisions read the authority; listings as the session says.
   */
  private async readBox(me: string, mode: ReadMode, want: { receipts?: boolean; out?: boolean; journal?: boolean } = {}): Promise<Box> {
    const r = this.refs(me);
    const patterns = this.inboxRefs(me);
    if (want.receipts) patterns.push(r.receipts);
    if (want.out) patterns.push(r.out);
    if (want.journal) patterns.push(r.journal);
    const entries = await this.ctx.store.entries(patterns, mode);
    const byRef = new Map(entries.map((e) => [e.ref, e]));
    const box: Box = {
      direct: new Map(),
      shared: new Map(),
      acks: this.one(AckRecord, byRef.get(r.acks)),
      receipts: this.one(AckRecord, byRef.get(r.receipts)),
      member: this.one(MembershipRecord, byRef.get(r.member)),
      out: this.one(OutboxRecord, byRef.get(r.out)),
      journal: byRef.get(r.journal)?.oid ?? null,
    };
    const deliveries = this.messages(entries.filter((e) => e.ref.startsWith(r.inbox)));
    for (const d of deliveries) box.direct.set(d.record.id, d);
    for (const s of this.messages(entries.filter((e) => e.ref.startsWith(BROADCASTS) || e.ref.startsWith(CHANNELS)))) {
      box.shared.set(s.record.id, { oid: s.oid, record: s.record });
    }
    return box;
  }

  /** The refs that `me`'s inbox reads (a briefing brings them up to date from a remote along with the locks, in one fetch). */
  inboxRefs(me: string): string[] {
    const r = this.refs(me);
    return [r.inbox, BROADCASTS, CHANNELS, r.acks, r.member];
  }

  /** Messages by commit id, from this repository's objects (with a warning for any it lacks). */
  private async load(oids: string[]): Promise<Map<string, MessageRecord>> {
    const out = new Map<string, MessageRecord>();
    if (oids.length === 0) return out;
    const bodies = await this.ctx.store.bodies([...new Set(oids)]);
    for (const oid of new Set(oids)) {
      const body = bodies.get(oid);
      const r = body === undefined ? null : parseBody(MessageRecord, body);
      if (r?.ok) out.set(oid, r.value);
      else this.ctx.warn(`message ${oid.slice(0, 10)} ${r ? `is unreadable: ${r.problem}` : `is not here${this.ctx.store.remote ? ' (git-coord sync fetches it)' : ''}`}`);
    }
    return out;
  }

  /**
   * The unexpired messages addressed to `me` in `box`, each once; with `withAcked`, also those it
   * acknowledged (direct ones are read by the ids its receipts keep).
   */
  private async visible(box: Box, me: string, now: number, withAcked: boolean): Promise<Map<string, MessageView>> {
    const channels = new Set(Object.keys(box.member.record?.channels ?? {}));
    const acked = new Set([...(box.acks.record?.acks ?? []), ...(box.receipts.record?.acks ?? [])].map((a) => a.id));
    const out = new Map<string, MessageView>();
    const consider = (m: MessageRecord) => {
      if (out.has(m.id) || expired(m, now) || !addressedTo(m, me, channels)) return;
      const done = acked.has(m.id) && !box.direct.has(m.id);
      if (done && !withAcked) return;
      out.set(m.id, view(m, done));
    };
    for (const d of box.direct.values()) consider(d.record);
    for (const s of box.shared.values()) consider(s.record);
    if (withAcked) {
      const gone = (box.receipts.record?.acks ?? []).filter((a) => !out.has(a.id) && (a.until === null || Date.parse(a.until) > now));
      const loaded = await this.load(gone.map((a) => a.oid));
      for (const a of gone) {
        const m = loaded.get(a.oid);
        if (m && m.id === a.id) consider(m);
      }
    }
    return out;
  }

  /** The messages this agent sent that are still listed in its index, by id. */
  private async sent(out: Slot<OutboxRecord>): Promise<Map<string, { entry: SentEntry; record: MessageRecord }>> {
    const entries = out.record?.sent ?? [];
    const loaded = await this.load(entries.map((e) => e.oid));
    const found = new Map<string, { entry: SentEntry; record: MessageRecord }>();
    for (const e of entries) {
      const m = loaded.get(e.oid);
      if (m && m.id === e.id) found.set(e.id, { entry: e, record: m });
    }
    return found;
  }

  /** Sends `body` to `to` (addresses, comma-separated or as a list). Returns the message as sent. */
  async send(to: string | string[], body: string, opts: SendOptions = {}): Promise<MessageView> {
    return this.deliver(to, body, opts, null);
  }

  private async deliver(to: string | string[], body: string, opts: SendOptions, replyTo: string | null): Promise<MessageView> {
    const me = this.ctx.requireAgent();
    const addresses = parseAddresses(to);
    checkBody(body);
    const subject = opts.subject ?? '';
    checkSubject(subject);
    const priority = opts.priority ?? DEFAULT_PRIORITY;
    if (!Number.isInteger(priority) || priority < 0 || priority > 4) throw new UsageError(`bad priority ${priority}: use 0 (most urgent) to 4`);
    const cfg = await this.ctx.config();
    const ttlMs = opts.ttlMs === undefined ? cfg.messages.ttlMs : opts.ttlMs;
    if (ttlMs !== null && !(ttlMs > 0)) throw new UsageError('bad --ttl: a message must live for some time');
    const sentAt = this.ctx.now();
    const id = newMessageId(sentAt);
    const message: MessageRecord = {
      v: 1,
      type: 'message',
      id,
      from: me,
      to: addresses,
      subject,
      body,
      priority,
      thread: opts.thread === undefined ? id : messageId(opts.thread, 'thread id'),
      replyTo,
      sentAt: iso(sentAt),
      expiresAt: ttlMs === null ? null : iso(sentAt + ttlMs),
      ack: Boolean(opts.ack),
    };
    const refs = addresses.map((a) => deliveryRef(a, id));
    const r = this.refs(me);
    // Whom an @all or channel message reaches is open-ended; when it asks for acks, the agents it
    // reached when sent are the ones its dead-letter status waits for.
    const snapshot: string[] = [];
    if (message.ack && addresses.includes(ALL)) snapshot.push(JOURNAL);
    if (message.ack && addresses.some((a) => a.startsWith('#'))) snapshot.push(`${MESSAGES}member/`);
    let verifyPrune: string[] = [];
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const entries = await this.ctx.store.entries([r.out, r.journal, ...snapshot, ...verifyPrune], 'authority');
      const byRef = new Map(entries.map((e) => [e.ref, e]));
      const out = this.one(OutboxRecord, byRef.get(r.out));
      // A lost answer after the swap landed (a remote's): the message is sent already.
      if (out.record?.sent.some((e) => e.id === id)) return view(message, false);
      const now = this.ctx.now();
      // The sender deletes its own @all and channel refs once they expired: nobody else does, so
      // this never makes another agent's write fail. After a lost round, only those still there.
      const prune = (out.record?.sent ?? []).filter((e) => !e.pruned && shared(e.to) && expired(e, now));
      const kept = keptSent(out.record?.sent ?? [], now);
      const deletes: RefUpdate[] = [];
      for (const e of prune) {
        for (const a of e.to.filter((x) => x === ALL || x.startsWith('#'))) {
          const ref = deliveryRef(a, e.id);
          if (round === 0 || byRef.get(ref)?.oid === e.oid) deletes.push({ ref, newOid: null, oldOid: e.oid });
        }
      }
      const messageChange: RecordChange = {
        ref: refs[0]!,
        oldOid: null,
        record: message,
        subject: `message ${id}${subject ? `: ${subject}` : ''}`,
        alsoRefs: refs.slice(1),
        event: { action: 'send', subject: `${id} to ${addresses.join(',')}${subject ? `: ${subject}` : ''}` },
      };
      const oid = this.ctx.store.ids([recordOf(messageChange, me, now)])[0]!;
      const entry: SentEntry = {
        id,
        oid,
        to: addresses,
        ack: message.ack,
        expiresAt: message.expiresAt,
        expect: snapshot.length > 0 ? this.reached(entries, addresses, me) : null,
        pruned: false,
      };
      const index: OutboxRecord = {
        v: 1,
        type: 'outbox',
        agent: me,
        sent: [...kept.map((e) => (prune.includes(e) ? { ...e, pruned: true } : e)), entry],
      };
      const indexChange: RecordChange = { ref: r.out, oldOid: out.oid, record: index, subject: `outbox of ${me}` };
      const done = await commitWithJournal(this.ctx.store, me, [messageChange, indexChange], byRef.get(r.journal)?.oid ?? null, now, deletes);
      if (done.ok) return view(message, false);
      this.retries++;
      verifyPrune = prune.flatMap((e) => e.to.filter((x) => x === ALL || x.startsWith('#')).map((a) => deliveryRef(a, e.id)));
      await sleep(jitter(round));
    }
    throw new FailedError('gave up after repeated lost races; try again');
  }

  /** The agents an @all or channel message reaches now (other than its sender). */
  private reached(entries: RefEntry[], addresses: string[], me: string): string[] {
    const who = new Set<string>();
    if (addresses.includes(ALL)) {
      const { records } = decode(EventRecord, entries.filter((e) => e.ref.startsWith(JOURNAL)));
      for (const s of records) who.add(s.record.agent);
    }
    const chans = addresses.filter((a) => a.startsWith('#')).map((a) => a.slice(1));
    if (chans.length > 0) {
      const { records } = decode(MembershipRecord, entries.filter((e) => e.ref.startsWith(`${MESSAGES}member/`)));
      for (const s of records) if (chans.some((c) => Object.hasOwn(s.record.channels, c))) who.add(s.record.agent);
    }
    who.delete(me);
    return [...who].sort();
  }

  /** The message `id` as this agent can see it: addressed to it (acknowledged or not), or sent by it. */
  private async find(me: string, id: string): Promise<MessageView | null> {
    const all = await this.seen(me, this.ctx.readMode());
    return all.find((m) => m.id === id) ?? null;
  }

  /** Every unexpired message this agent can see: addressed to it, or sent by it. */
  private async seen(me: string, mode: ReadMode): Promise<MessageView[]> {
    const box = await this.readBox(me, mode, { receipts: true, out: true });
    const now = this.ctx.now();
    const out = await this.visible(box, me, now, true);
    for (const { record } of (await this.sent(box.out)).values()) if (!out.has(record.id) && !expired(record, now)) out.set(record.id, view(record, false));
    return [...out.values()];
  }

  /**
   * Replies to message `id`: to its sender (with `all`, also to its other recipients), in its
   * thread. Replying to one's own message goes to its recipients.
   */
  async reply(id: string, body: string, opts: Omit<SendOptions, 'thread'> & { all?: boolean } = {}): Promise<MessageView> {
    const me = this.ctx.requireAgent();
    messageId(id);
    checkBody(body);
    const original = await this.find(me, id);
    if (!original) throw new RefusedError(`cannot reply: no message ${id} that you can see (unknown, expired, or not addressed to you)`);
    const to = original.from === me ? original.to : [original.from, ...(opts.all ? original.to.filter((a) => a !== me) : [])];
    const { all: _all, ...sendOpts } = opts;
    return this.deliver([...new Set(to)], body, { ...sendOpts, thread: original.thread, subject: opts.subject ?? replySubject(original.subject) }, id);
  }

  /** The messages addressed to this agent that it has not acknowledged (all of them with `all`), most urgent first, then oldest. */
  async inbox(opts: InboxOptions = {}): Promise<MessageView[]> {
    const me = this.ctx.requireAgent();
    const channel = opts.channel === undefined ? undefined : channelName(opts.channel);
    const from = opts.from === undefined ? undefined : validateAgentId(opts.from, '--from');
    if (opts.thread !== undefined) messageId(opts.thread, 'thread id');
    const pick = (list: MessageView[]) =>
      list
        .filter((m) => (from === undefined || m.from === from) && (opts.thread === undefined || m.thread === opts.thread))
        .filter((m) => channel === undefined || m.to.includes(`#${channel}`))
        .sort(inboxOrder)
        .slice(0, opts.limit ?? Infinity);
    const read = async (mode: ReadMode) => {
      const box = await this.readBox(me, mode, opts.all ? { receipts: true } : {});
      return pick([...(await this.visible(box, me, this.ctx.now(), Boolean(opts.all))).values()]);
    };
    const first = await read(opts.mode ?? this.ctx.readMode());
    if (first.length > 0 || opts.waitMs === undefined) return first;
    return this.poll(opts.waitMs, read, 'no message arrived');
  }

  /**
   * How long a waiter for messages pauses before its next read (by round: 0, 1, ...). Locally
   * every read is current and cheap. A remote is asked no more often than the configured `poll`,
   * backing off to 4×; and since hosted forges limit reads per repository (about 15 a second on
   * GitHub), each waiter assumes every agent it knows of may be waiting too and keeps their sum
   * under WAIT_READS_PER_SECOND (docs/scale.md). The MCP inbox tool waits with these pauses too.
   */
  async waitPauses(): Promise<(round: number) => number> {
    const cfg = await this.ctx.config();
    let [base, cap] = [20, 500];
    if (this.ctx.store.remote) {
      const agents = (await this.ctx.store.entries([JOURNAL], 'view')).length;
      base = Math.max(cfg.pollMs, (agents * 1000) / WAIT_READS_PER_SECOND);
      cap = base * 4;
    }
    return (round) => Math.min(cap, base * 1.5 ** round) * (0.75 + Math.random() / 2);
  }

  /** Reads again, paced by `waitPauses`, until `read` finds something or `waitMs` has passed (then refused). */
  private async poll<T>(waitMs: number, read: (mode: ReadMode) => Promise<T[]>, none: string): Promise<T[]> {
    const deadline = performance.now() + waitMs;
    const pause = await this.waitPauses();
    for (let round = 0; ; round++) {
      const left = deadline - performance.now();
      if (left <= 0) throw new RefusedError(`${none} within ${Math.round(waitMs / 1000)}s`);
      await sleep(Math.min(left, pause(round)));
      const found = await read(this.ctx.store.remote ? 'authority' : 'view');
      if (found.length > 0) return found;
    }
  }

  /** Waits for the first reply to message `id` (sent by this agent) for at most `waitMs`. */
  async waitReply(id: string, waitMs: number): Promise<MessageView> {
    const me = this.ctx.requireAgent();
    const read = async (mode: ReadMode) => {
      const box = await this.readBox(me, mode, { receipts: true });
      return [...(await this.visible(box, me, this.ctx.now(), true)).values()].filter((m) => m.replyTo === id).sort((a, b) => Date.parse(a.sentAt) - Date.parse(b.sentAt));
    };
    const now = await read(this.ctx.store.remote ? 'authority' : 'view');
    if (now.length > 0) return now[0]!;
    return (await this.poll(waitMs, read, `no reply to ${id} arrived`))[0]!;
  }

  /**
   * Marks messages as handled by this agent (every one in its inbox with `all`). A message already
   * acknowledged is no error; one not addressed to it (or expired): refused, nothing recorded.
   */
  async ack(ids: string[] | 'all'): Promise<AckResult> {
    const me = this.ctx.requireAgent();
    if (ids !== 'all') {
      if (ids.length === 0) throw new UsageError('give the ids of the messages to acknowledge, or --all');
      for (const id of ids) messageId(id);
    }
    const r = this.refs(me);
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const box = await this.readBox(me, 'authority', { receipts: true, journal: true });
      const now = this.ctx.now();
      const open = await this.visible(box, me, now, false);
      const before = new Set([...(box.acks.record?.acks ?? []), ...(box.receipts.record?.acks ?? [])].map((a) => a.id));
      const targets: MessageView[] = [];
      const already: string[] = [];
      const refused: string[] = [];
      for (const id of ids === 'all' ? [...open.keys()] : [...new Set(ids)]) {
        const m = open.get(id);
        if (m) targets.push(m);
        else if (before.has(id)) already.push(id);
        else refused.push(id);
      }
      if (refused.length > 0) {
        throw new RefusedError(`cannot acknowledge: not addressed to you, or expired: ${refused.join(', ')}`, { ids: refused });
      }
      if (targets.length === 0) return { acked: [], already };
      const oidOf = (m: MessageView) => box.direct.get(m.id)?.oid ?? box.shared.get(m.id)!.oid;
      const entry = (m: MessageView): AckEntry => ({ id: m.id, oid: oidOf(m), at: iso(now), until: keepUntil(m) });
      const event = (m: MessageView): JournalEvent => ({ action: 'ack', subject: `${m.id} from ${m.from}${m.subject ? `: ${m.subject}` : ''}` });
      const changes: RecordChange[] = [];
      // An @all or channel message stays for others: the agent's own record hides it from its
      // inbox. A direct one only: its receipt tells the sender.
      for (const [kind, slot, list] of [
        ['acks', box.acks, targets.filter((m) => shared(m.to))],
        ['receipts', box.receipts, targets.filter((m) => !shared(m.to))],
      ] as const) {
        if (list.length === 0) continue;
        const record: AckRecord = { v: 1, type: 'acks', agent: me, acks: [...keptAcks(slot.record?.acks ?? [], now), ...list.map(entry)] };
        changes.push({ ref: kind === 'acks' ? r.acks : r.receipts, oldOid: slot.oid, record, subject: `${kind} of ${me}`, event: list.map(event) });
      }
      // Its own direct deliveries: those acknowledged now, and those that expired unacknowledged.
      const deletes: RefUpdate[] = [...box.direct.values()]
        .filter((d) => open.has(d.record.id) ? targets.some((t) => t.id === d.record.id) : expired(d.record, now))
        .map((d) => ({ ref: d.ref, newOid: null, oldOid: d.oid }));
      const done = await commitWithJournal(this.ctx.store, me, changes, box.journal, now, deletes);
      if (done.ok) return { acked: targets.map((m) => ({ ...m, acked: true })), already };
      this.retries++;
      await sleep(jitter(round));
    }
    throw new FailedError('gave up after repeated lost races; try again');
  }

  /** Every message of a thread this agent can see, oldest first; `id` names the thread or one of its messages. */
  async thread(id: string): Promise<MessageView[]> {
    const me = this.ctx.requireAgent();
    messageId(id, 'thread or message id');
    const all = await this.seen(me, this.ctx.readMode());
    const thread = all.find((m) => m.id === id)?.thread ?? id;
    const list = all.filter((m) => m.thread === thread).sort((a, b) => Date.parse(a.sentAt) - Date.parse(b.sentAt) || (a.id < b.id ? -1 : 1));
    if (list.length === 0) throw new RefusedError(`no message of thread ${id} that you can see`);
    return list;
  }

  /**
   * The messages this agent sent, newest first, with each recipient's acknowledgement: the
   * unexpired ones, and dead letters (asked for acks, expired before every recipient gave one)
   * for a week after they expired. `dead`: only those.
   */
  async outbox(opts: { dead?: boolean } = {}): Promise<OutboxView[]> {
    const me = this.ctx.requireAgent();
    const r = this.refs(me);
    const entries = await this.ctx.store.entries([r.out, `${MESSAGES}acks/`, `${MESSAGES}receipts/`], this.ctx.readMode());
    const out = this.one(OutboxRecord, entries.find((e) => e.ref === r.out));
    // Who acknowledged what, from every agent's own records.
    const ackers = new Map<string, Map<string, string>>();
    const { records, corrupt } = decode(AckRecord, entries.filter((e) => e.ref !== r.out));
    for (const c of corrupt) this.ctx.warn(`skipping unreadable acknowledgements ${c.ref}: ${c.problem}`);
    for (const s of records) {
      if (agentMessagesRef(s.ref.startsWith(`${MESSAGES}acks/`) ? 'acks' : 'receipts', s.record.agent) !== s.ref) continue;
      for (const a of s.record.acks) {
        const m = ackers.get(a.id) ?? new Map<string, string>();
        m.set(s.record.agent, a.at);
        ackers.set(a.id, m);
      }
    }
    const now = this.ctx.now();
    const list: OutboxView[] = [];
    for (const { entry, record } of (await this.sent(out)).values()) {
      const acks = recipientAcks(entry, me, ackers.get(entry.id) ?? new Map());
      const dead = isDead(entry, acks, now);
      if ((expired(entry, now) && !dead) || (opts.dead && !dead)) continue;
      list.push({ ...view(record, Object.hasOwn(acks, me) && acks[me] !== null), acks, dead });
    }
    return list.sort((a, b) => Date.parse(b.sentAt) - Date.parse(a.sentAt) || (a.id < b.id ? 1 : -1));
  }

  /** Joins channel `name`; false when already a member (nothing written). */
  async join(name: string): Promise<boolean> {
    return this.membership(channelName(name), true);
  }

  /** Leaves channel `name`; refused when not a member. */
  async leave(name: string): Promise<boolean> {
    return this.membership(channelName(name), false);
  }

  private async membership(name: string, join: boolean): Promise<boolean> {
    const me = this.ctx.requireAgent();
    const r = this.refs(me);
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const entries = await this.ctx.store.entries([r.member, r.journal], 'authority');
      const slot = this.one(MembershipRecord, entries.find((e) => e.ref === r.member));
      const channels = { ...(slot.record?.channels ?? {}) };
      const now = this.ctx.now();
      if (Object.hasOwn(channels, name) === join) {
        if (join) return false;
        throw new RefusedError(`cannot leave #${name}: you are not a member (git-coord channel list shows who is)`);
      }
      if (join) channels[name] = iso(now);
      else delete channels[name];
      const record: MembershipRecord = { v: 1, type: 'membership', agent: me, channels };
      const change: RecordChange = { ref: r.member, oldOid: slot.oid, record, subject: `channels of ${me}`, event: { action: join ? 'join' : 'leave', subject: `#${name}` } };
      const done = await commitWithJournal(this.ctx.store, me, [change], entries.find((e) => e.ref === r.journal)?.oid ?? null, now);
      if (done.ok) return true;
      this.retries++;
      await sleep(jitter(round));
    }
    throw new FailedError('gave up after repeated lost races; try again');
  }

  /** Every channel with a member, with its members. */
  async channels(): Promise<Channel[]> {
    const entries = await this.ctx.store.entries([`${MESSAGES}member/`], this.ctx.readMode());
    const { records, corrupt } = decode(MembershipRecord, entries);
    for (const c of corrupt) this.ctx.warn(`skipping unreadable membership ${c.ref}: ${c.problem}`);
    const byName = new Map<string, string[]>();
    for (const s of records) {
      if (agentMessagesRef('member', s.record.agent) !== s.ref) continue;
      for (const c of Object.keys(s.record.channels)) byName.set(c, [...(byName.get(c) ?? []), s.record.agent]);
    }
    return [...byName.entries()].map(([name, members]) => ({ name, members: members.sort() })).sort((a, b) => (a.name < b.name ? -1 : 1));
  }
}
