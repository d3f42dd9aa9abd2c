/**
 * Messages between agents: direct, @all, channels, threads, acknowledgements, dead letters.
 *
 * Every ref here is written by one agent only (store/layout.ts), so a send never swaps a ref that
 * another sender writes: it creates one new ref per direct address (a name nobody else uses),
 * puts an @all or channel message on its sender's own chain, and moves its sender's own index and
 * journal, all in one compare-and-swap. An acknowledgement deletes the recipient's own delivery
 * ref, or moves its own mark on the sender's chain (an entry when out of order), with its journal
 * entry, in one compare-and-swap. So a crash at any moment leaves a message fully sent or absent, and an
 * acknowledgement fully recorded or absent. docs/design.md (Messages) has the reasons and figures.
 *
 * This file is the service the faces call; reading is in box.ts, sending in send.ts, the inbox
 * and waiting in inbox.ts, the pure rules in rules.ts.
 */
import { RefusedError, UsageError } from '../errors.js';
import { iso } from '../time.js';
import type { JournalEvent, RecordChange } from '../store/journal.js';
import { answer, cas, commit } from '../store/cas.js';
import { decode, type RefUpdate } from '../store/records.js';
import { MESSAGES, agentMessagesRef, bcastRef } from '../store/layout.js';
import type { Coord } from '../session/coord.js';
import type { AckRecord, MembershipRecord, AckEntry, ChainMark } from './schema.js';
import { messageSchemas } from './schemas.js';
import { advanceMark, channelName, checkBody, expired, ledgerStep, markCovers, isDead, keepUntil, keptAcks, messageId, recipientAcks, replySubject, shared, view, type MessageView, type OutboxView } from './rules.js';
import { inboxRefs, one, ownRefs, readBox, readChains, seen, sent, visible, wholeLedgers, type Box, type MessageSession } from './box.js';
import { deliver, type SendOptions } from './send.js';
import { inbox, waitPauses, waitReply, type InboxOptions } from './inbox.js';

export { WAIT_READS_PER_SECOND } from './inbox.js';
export type { SendOptions, InboxOptions };

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

/** How long a mark on a chain that is gone is kept: a week's lifetime and a week of dead letters. */
const MARK_RETAIN_MS = 14 * 86_400_000;

/** Which of `ids` (or every open message) `box` lets `me` acknowledge now, which it did before, which it cannot. */
async function sortAcks(ctx: Coord, box: Box, me: string, ids: string[] | 'all', now: number) {
  const marks = box.acks.record?.marks ?? {};
  const open = await visible(ctx, box, me, now, false);
  const before = new Set([...(box.acks.record?.acks ?? []), ...(box.receipts.record?.acks ?? [])].map((a) => a.id));
  for (const [sender, c] of box.chains) {
    const mark = Object.hasOwn(marks, sender) ? marks[sender] : undefined;
    for (const m of c.messages) if (markCovers(mark, m.record)) before.add(m.record.id);
  }
  const targets: MessageView[] = [];
  const already: string[] = [];
  const refused: string[] = [];
  for (const id of ids === 'all' ? [...open.keys()] : [...new Set(ids)]) {
    const m = open.get(id);
    if (m) targets.push(m);
    else if (before.has(id)) already.push(id);
    else refused.push(id);
  }
  return { targets, already, refused, open, now };
}

/**
 * The acknowledgement record's entries and marks after acknowledging `targets` (@all and
 * channel messages): each sender's mark moves as far as it can (rules.ts, advanceMark); a
 * message it does not reach gets an entry; entries the marks now cover, expired ones, and marks
 * on chains that are gone are dropped.
 */
function chainAcks(box: Box, me: string, targets: MessageView[], entry: (m: MessageView) => AckEntry, now: number): { acks: AckEntry[]; marks: Record<string, ChainMark> } {
  const channels = new Set(Object.keys(box.member.record?.channels ?? {}));
  const old = box.acks.record;
  const marks: Record<string, ChainMark> = {};
  // A mark on a chain that is gone (every message expired, pruned) is kept while dead letters may still ask about it.
  for (const [sender, mark] of Object.entries(old?.marks ?? {})) if (box.chains.has(sender) || now - Date.parse(mark.at) < MARK_RETAIN_MS) marks[sender] = mark;
  const ackedIds = new Set([...(old?.acks ?? []).map((a) => a.id), ...targets.map((t) => t.id)]);
  for (const sender of new Set(targets.map((t) => t.from))) {
    const chain = box.chains.get(sender);
    if (!chain) continue;
    const moved = advanceMark(Object.hasOwn(marks, sender) ? marks[sender] : undefined, chain.messages, ackedIds, me, channels, now).mark;
    if (moved) marks[sender] = moved;
  }
  const chained = new Map([...box.chains.values()].flatMap((c) => c.messages.map((m) => [m.record.id, m.record] as const)));
  const covered = (id: string) => {
    const m = chained.get(id);
    return m !== undefined && markCovers(Object.hasOwn(marks, m.from) ? marks[m.from] : undefined, m);
  };
  const acks = [...keptAcks(old?.acks ?? [], now), ...targets.map(entry)].filter((a) => !covered(a.id));
  return { acks, marks };
}

/** The messages service of one session. */
export class Messages implements MessageSession {
  /** Lost compare-and-swap rounds so far (a send should never need one: nothing else writes its refs). */
  retries = 0;

  constructor(readonly ctx: Coord) {}

  /** Sends `body` to `to` (addresses, comma-separated or as a list). Returns the message as sent. */
  async send(to: string | string[], body: string, opts: SendOptions = {}): Promise<MessageView> {
    return deliver(this, to, body, opts, null);
  }

  /** The refs that `me`'s inbox reads (a briefing brings them up to date from a remote along with the locks, in one fetch). */
  inboxRefs(me: string): string[] {
    return inboxRefs(me);
  }

  /**
   * Replies to message `id`: to its sender (with `all`, also to its other recipients), in its
   * thread. Replying to one's own message goes to its recipients.
   */
  async reply(id: string, body: string, opts: Omit<SendOptions, 'thread'> & { all?: boolean } = {}): Promise<MessageView> {
    const me = this.ctx.requireAgent();
    messageId(id);
    checkBody(body);
    const original = (await seen(this.ctx, me, this.ctx.readMode())).find((m) => m.id === id);
    if (!original) throw new RefusedError(`cannot reply: no message ${id} that you can see (unknown, expired, or not addressed to you)`, { kind: 'no-message', id });
    const to = original.from === me ? original.to : [original.from, ...(opts.all ? original.to.filter((a) => a !== me) : [])];
    const { all: _all, ...sendOpts } = opts;
    return deliver(this, [...new Set(to)], body, { ...sendOpts, thread: original.thread, subject: opts.subject ?? replySubject(original.subject) }, id);
  }

  /** The messages addressed to this agent that it has not acknowledged (all of them with `all`), most urgent first, then oldest. */
  inbox(opts: InboxOptions = {}): Promise<MessageView[]> {
    return inbox(this.ctx, opts);
  }

  /** How long a waiter for messages pauses before its next read (see inbox.ts). */
  waitPauses(): Promise<(round: number) => number> {
    return waitPauses(this.ctx);
  }

  /** Waits for the first reply to message `id` (sent by this agent) for at most `waitMs`. */
  waitReply(id: string, waitMs: number): Promise<MessageView> {
    return waitReply(this.ctx, id, waitMs);
  }

  /**
   * Marks messages as handled by this agent (every one in its inbox with `all`). A message already
   * acknowledged is no error; one not addressed to it (or expired): refused, nothing recorded.
   */
  async ack(ids: string[] | 'all'): Promise<AckResult> {
    const ctx = this.ctx;
    const me = ctx.requireAgent();
    if (ids !== 'all') {
      if (ids.length === 0) throw new UsageError('give the ids of the messages to acknowledge, or ask for all of them', { kind: 'no-ids' });
      for (const id of ids) messageId(id);
    }
    const r = ownRefs(me);
    const result = await cas(ctx.store, me, async () => {
      // First down to the marks only; a message acknowledged in order before is read only when asked for by id.
      // The receipts' newest commit only, unless something must be looked up in them (an id
      // acknowledged before) or the write starts a new whole root.
      let box = await readBox(ctx, me, 'authority', { receipts: true, journal: true, heads: true });
      let sorted = await sortAcks(ctx, box, me, ids, ctx.now());
      const rooting = ledgerStep(box.receipts.record?.delta, box.receipts.record !== null) === 'root' && (box.receipts.record?.delta?.length ?? 1) > 1;
      if (sorted.refused.length > 0 || (rooting && sorted.targets.some((m) => !shared(m.to)))) {
        box = await readBox(ctx, me, 'authority', { receipts: true, journal: true, full: sorted.refused.length > 0 });
        sorted = await sortAcks(ctx, box, me, ids, ctx.now());
      }
      const { targets, already, refused, open, now } = sorted;
      if (refused.length > 0) {
        throw new RefusedError(`cannot acknowledge: not addressed to you, or expired: ${refused.join(', ')}`, { kind: 'not-addressed', ids: refused });
      }
      if (targets.length === 0) return answer({ acked: [], already });
      const oidOf = (m: MessageView) => box.direct.get(m.id)?.oid ?? box.shared.get(m.id)!.oid;
      const entry = (m: MessageView): AckEntry => ({ id: m.id, oid: oidOf(m), at: iso(now), until: keepUntil(m) });
      const event = (m: MessageView): JournalEvent => ({ action: 'ack', subject: `${m.id} from ${m.from}${m.subject ? `: ${m.subject}` : ''}` });
      const changes: RecordChange[] = [];
      // An @all or channel message stays for others: the agent's own record hides it from its
      // inbox: on a sender's chain, by moving its mark there (or, acknowledged out of order, an
      // entry until the mark passes it); of the old layout, by an entry. A direct one: its receipt tells the sender.
      const sharedTargets = targets.filter((m) => shared(m.to));
      if (sharedTargets.length > 0) {
        const { acks, marks } = chainAcks(box, me, sharedTargets, entry, now);
        const record: AckRecord = { v: 1, type: 'acks', agent: me, acks, ...(Object.keys(marks).length > 0 ? { marks } : {}) };
        changes.push({ ref: r.acks, oldOid: box.acks.oid, record, subject: `acks of ${me}`, event: sharedTargets.map(event) });
      }
      const direct = targets.filter((m) => !shared(m.to));
      if (direct.length > 0) {
        // Kept as a chain of additions: one more commit of the new receipts, or now and then a new whole root.
        const head = box.receipts.record?.delta;
        const added = direct.map(entry);
        const change: RecordChange =
          ledgerStep(head, box.receipts.record !== null) === 'add'
            ? { ref: r.receipts, oldOid: box.receipts.oid, record: { v: 1, type: 'acks', agent: me, acks: added, delta: { length: head!.length + 1, base: head!.base } } satisfies AckRecord, subject: `receipts of ${me}`, event: direct.map(event) }
            : (() => {
                const acks = [...keptAcks(box.receipts.record?.acks ?? [], now), ...added];
                return { ref: r.receipts, oldOid: box.receipts.oid, parents: [], record: { v: 1, type: 'acks', agent: me, acks, delta: { length: 1, base: acks.length } } satisfies AckRecord, subject: `receipts of ${me}`, event: direct.map(event) };
              })();
        changes.push(change);
      }
      // Its own direct deliveries: those acknowledged now, and those that expired unacknowledged.
      const deletes: RefUpdate[] = [...box.direct.values()]
        .filter((d) => (open.has(d.record.id) ? targets.some((t) => t.id === d.record.id) : expired(d.record, now)))
        .map((d) => ({ ref: d.ref, newOid: null, oldOid: d.oid }));
      return commit(changes, box.journal, now, { acked: targets.map((m) => ({ ...m, acked: true })), already }, deletes);
    }, { onLost: () => this.retries++ });
    return result;
  }

  /** Every message of a thread this agent can see, oldest first; `id` names the thread or one of its messages. */
  async thread(id: string): Promise<MessageView[]> {
    const me = this.ctx.requireAgent();
    messageId(id, 'thread or message id');
    const all = await seen(this.ctx, me, this.ctx.readMode());
    const thread = all.find((m) => m.id === id)?.thread ?? id;
    const list = all.filter((m) => m.thread === thread).sort((a, b) => Date.parse(a.sentAt) - Date.parse(b.sentAt) || (a.id < b.id ? -1 : 1));
    if (list.length === 0) throw new RefusedError(`no message of thread ${id} that you can see`, { kind: 'no-message', id });
    return list;
  }

  /**
   * The messages this agent sent, newest first, with each recipient's acknowledgement: the
   * unexpired ones, and dead letters (asked for acks, expired before every recipient gave one)
   * for a week after they expired. `dead`: only those.
   */
  async outbox(opts: { dead?: boolean } = {}): Promise<OutboxView[]> {
    const ctx = this.ctx;
    const me = ctx.requireAgent();
    const r = ownRefs(me);
    const reading = ctx.store.entries([r.out, bcastRef(me), `${MESSAGES}acks/`, `${MESSAGES}receipts/`], ctx.readMode());
    const schemas = messageSchemas();
    const entries = await wholeLedgers(ctx, await reading);
    const { AckRecord, OutboxRecord } = await schemas;
    const out = one(ctx, OutboxRecord, entries.find((e) => e.ref === r.out));
    const chain = (await readChains(ctx, entries.filter((e) => e.ref === bcastRef(me)), [])).get(me)?.messages ?? [];
    // Who acknowledged what, from every agent's own records.
    const ackers = new Map<string, Map<string, string>>();
    // Each reader's mark on this agent's chain: what it acknowledged in order (at or before the mark's time).
    const marks = new Map<string, ChainMark>();
    const { records, corrupt } = decode(AckRecord, entries.filter((e) => e.ref !== r.out && e.ref !== bcastRef(me)));
    for (const c of corrupt) ctx.warn(`skipping unreadable acknowledgements ${c.ref}: ${c.problem}`);
    for (const s of records) {
      if (agentMessagesRef(s.ref.startsWith(`${MESSAGES}acks/`) ? 'acks' : 'receipts', s.record.agent) !== s.ref) continue;
      const mark = s.record.marks && Object.hasOwn(s.record.marks, me) ? s.record.marks[me] : undefined;
      if (mark) marks.set(s.record.agent, mark);
      for (const a of s.record.acks) {
        const m = ackers.get(a.id) ?? new Map<string, string>();
        m.set(s.record.agent, a.at);
        ackers.set(a.id, m);
      }
    }
    const now = ctx.now();
    const list: OutboxView[] = [];
    for (const { entry, record } of (await sent(ctx, out, chain)).values()) {
      const who = new Map(ackers.get(entry.id) ?? []);
      if (entry.chain) for (const [agent, mark] of marks) if (!who.has(agent) && markCovers(mark, record)) who.set(agent, mark.at);
      const acks = recipientAcks(entry, me, who);
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
    const ctx = this.ctx;
    const me = ctx.requireAgent();
    const r = ownRefs(me);
    return cas(ctx.store, me, async () => {
      const reading = ctx.store.entries([r.member, r.journal], 'authority');
      const schemas = messageSchemas();
      const entries = await reading;
      const slot = one(ctx, (await schemas).MembershipRecord, entries.find((e) => e.ref === r.member));
      const channels = { ...(slot.record?.channels ?? {}) };
      const now = ctx.now();
      if (Object.hasOwn(channels, name) === join) {
        if (join) return answer(false);
        throw new RefusedError(`cannot leave #${name}: you are not a member`, { kind: 'not-member', channel: name });
      }
      if (join) channels[name] = iso(now);
      else delete channels[name];
      const record: MembershipRecord = { v: 1, type: 'membership', agent: me, channels };
      const change: RecordChange = { ref: r.member, oldOid: slot.oid, record, subject: `channels of ${me}`, event: { action: join ? 'join' : 'leave', subject: `#${name}` } };
      return commit([change], entries.find((e) => e.ref === r.journal)?.oid ?? null, now, true);
    }, { onLost: () => this.retries++ });
  }

  /** Every channel with a member, with its members. */
  async channels(): Promise<Channel[]> {
    const reading = this.ctx.store.entries([`${MESSAGES}member/`], this.ctx.readMode());
    const schemas = messageSchemas();
    const entries = await reading;
    const { records, corrupt } = decode((await schemas).MembershipRecord, entries);
    for (const c of corrupt) this.ctx.warn(`skipping unreadable membership ${c.ref}: ${c.problem}`);
    const byName = new Map<string, string[]>();
    for (const s of records) {
      if (agentMessagesRef('member', s.record.agent) !== s.ref) continue;
      for (const c of Object.keys(s.record.channels)) byName.set(c, [...(byName.get(c) ?? []), s.record.agent]);
    }
    return [...byName.entries()].map(([name, members]) => ({ name, members: members.sort() })).sort((a, b) => (a.name < b.name ? -1 : 1));
  }
}
