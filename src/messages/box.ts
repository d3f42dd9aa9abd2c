/**
 * Reading an agent's messages: its direct deliveries, the @all and channel messages, and its own
 * records (acknowledgements, receipts, memberships, the index of what it sent), in one read; and
 * which of them it can see. store/layout.ts has the layout.
 */
import { decode, parseBody, type ReadMode, type RefEntry, type Schema } from '../store/records.js';
import { BROADCASTS, CHANNELS, agentMessagesRef, inboxPrefix, journalRef } from '../store/layout.js';
import type { Coord } from '../session/coord.js';
import { AckRecord, MembershipRecord, MessageRecord, OutboxRecord, type SentEntry } from './schema.js';
import { addressedTo, expired, view, type MessageView } from './rules.js';

/** What the message commands share within one session (the Messages service). */
export interface MessageSession {
  readonly ctx: Coord;
  /** Lost compare-and-swap rounds so far (a send should never need one: nothing else writes its refs). */
  retries: number;
}

export interface Slot<T> {
  oid: string | null;
  record: T | null;
}

export interface StoredMessage {
  oid: string;
  record: MessageRecord;
}

/** What one agent's reads return: its deliveries, the shared messages, its own records. */
export interface Box {
  direct: Map<string, StoredMessage & { ref: string }>;
  shared: Map<string, StoredMessage>;
  acks: Slot<AckRecord>;
  receipts: Slot<AckRecord>;
  member: Slot<MembershipRecord>;
  out: Slot<OutboxRecord>;
  journal: string | null;
}

function lastComponent(ref: string): string {
  return ref.slice(ref.lastIndexOf('/') + 1);
}

/** An agent's own message refs, and its journal. */
export function ownRefs(me: string) {
  return {
    inbox: inboxPrefix(me),
    acks: agentMessagesRef('acks', me),
    receipts: agentMessagesRef('receipts', me),
    out: agentMessagesRef('out', me),
    member: agentMessagesRef('member', me),
    journal: journalRef(me),
  };
}

/** The refs that `me`'s inbox reads. */
export function inboxRefs(me: string): string[] {
  const r = ownRefs(me);
  return [r.inbox, BROADCASTS, CHANNELS, r.acks, r.member];
}

/** One of an agent's own records as read (an unreadable one is replaced by the next write, with a warning). */
export function one<T>(ctx: Coord, schema: Schema<T>, entry: RefEntry | undefined): Slot<T> {
  if (!entry) return { oid: null, record: null };
  const r = parseBody(schema, entry.body);
  if (!r.ok) ctx.warn(`replacing unreadable record ${entry.ref} (${entry.oid.slice(0, 10)}): ${r.problem}`);
  return { oid: entry.oid, record: r.ok ? r.value : null };
}

/** Message records, each checked against the id its ref names. */
function messages(ctx: Coord, entries: RefEntry[]): (StoredMessage & { ref: string })[] {
  const { records, corrupt } = decode(MessageRecord, entries);
  for (const c of corrupt) ctx.warn(`skipping unreadable message ${c.ref} (${c.oid.slice(0, 10)}): ${c.problem}`);
  return records.filter((s) => {
    if (s.record.id === lastComponent(s.ref)) return true;
    ctx.warn(`skipping message ${s.ref}: its record names another id (${s.record.id})`);
    return false;
  });
}

/**
 * One read (one git call) of what `me` needs: its direct deliveries, the shared messages, and
 * the own records asked for. Decisions read the authority; listings as the session says.
 */
export async function readBox(ctx: Coord, me: string, mode: ReadMode, want: { receipts?: boolean; out?: boolean; journal?: boolean } = {}): Promise<Box> {
  const r = ownRefs(me);
  const patterns = inboxRefs(me);
  if (want.receipts) patterns.push(r.receipts);
  if (want.out) patterns.push(r.out);
  if (want.journal) patterns.push(r.journal);
  const entries = await ctx.store.entries(patterns, mode);
  const byRef = new Map(entries.map((e) => [e.ref, e]));
  const box: Box = {
    direct: new Map(),
    shared: new Map(),
    acks: one(ctx, AckRecord, byRef.get(r.acks)),
    receipts: one(ctx, AckRecord, byRef.get(r.receipts)),
    member: one(ctx, MembershipRecord, byRef.get(r.member)),
    out: one(ctx, OutboxRecord, byRef.get(r.out)),
    journal: byRef.get(r.journal)?.oid ?? null,
  };
  const deliveries = messages(ctx, entries.filter((e) => e.ref.startsWith(r.inbox)));
  for (const d of deliveries) box.direct.set(d.record.id, d);
  for (const s of messages(ctx, entries.filter((e) => e.ref.startsWith(BROADCASTS) || e.ref.startsWith(CHANNELS)))) {
    box.shared.set(s.record.id, { oid: s.oid, record: s.record });
  }
  return box;
}

/** Messages by commit id, from this repository's objects (with a warning for any it lacks). */
async function load(ctx: Coord, oids: string[]): Promise<Map<string, MessageRecord>> {
  const out = new Map<string, MessageRecord>();
  if (oids.length === 0) return out;
  const bodies = await ctx.store.bodies([...new Set(oids)]);
  for (const oid of new Set(oids)) {
    const body = bodies.get(oid);
    const r = body === undefined ? null : parseBody(MessageRecord, body);
    if (r?.ok) out.set(oid, r.value);
    else ctx.warn(`message ${oid.slice(0, 10)} ${r ? `is unreadable: ${r.problem}` : `is not here${ctx.store.remote ? ' (git-coord sync fetches it)' : ''}`}`);
  }
  return out;
}

/**
 * The unexpired messages addressed to `me` in `box`, each once; with `withAcked`, also those it
 * acknowledged (direct ones are read by the ids its receipts keep).
 */
export async function visible(ctx: Coord, box: Box, me: string, now: number, withAcked: boolean): Promise<Map<string, MessageView>> {
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
    const loaded = await load(ctx, gone.map((a) => a.oid));
    for (const a of gone) {
      const m = loaded.get(a.oid);
      if (m && m.id === a.id) consider(m);
    }
  }
  return out;
}

/** The messages this agent sent that are still listed in its index, by id. */
export async function sent(ctx: Coord, out: Slot<OutboxRecord>): Promise<Map<string, { entry: SentEntry; record: MessageRecord }>> {
  const entries = out.record?.sent ?? [];
  const loaded = await load(ctx, entries.map((e) => e.oid));
  const found = new Map<string, { entry: SentEntry; record: MessageRecord }>();
  for (const e of entries) {
    const m = loaded.get(e.oid);
    if (m && m.id === e.id) found.set(e.id, { entry: e, record: m });
  }
  return found;
}

/** Every unexpired message `me` can see: addressed to it, or sent by it. */
export async function seen(ctx: Coord, me: string, mode: ReadMode): Promise<MessageView[]> {
  const box = await readBox(ctx, me, mode, { receipts: true, out: true });
  const now = ctx.now();
  const out = await visible(ctx, box, me, now, true);
  for (const { record } of (await sent(ctx, box.out)).values()) if (!out.has(record.id) && !expired(record, now)) out.set(record.id, view(record, false));
  return [...out.values()];
}
