/**
 * Reading an agent's messages: its direct deliveries, the @all and channel messages, and its own
 * records (acknowledgements, receipts, memberships, the index of what it sent), in one read; and
 * which of them it can see. store/layout.ts has the layout.
 */
import { decode, parseBody, type ReadMode, type RefEntry, type Schema } from '../store/records.js';
import { BCAST, BROADCASTS, CHANNELS, MESSAGES, agentMessagesRef, bcastRef, inboxPrefix, journalRef } from '../store/layout.js';
import type { Coord } from '../session/coord.js';
import type { AckRecord, MembershipRecord, MessageRecord, OutboxRecord, SentEntry } from './schema.js';
import { messageSchemas } from './schemas.js';
import { addressedTo, expired, markCovers, shared as isShared, view, type MessageView } from './rules.js';

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
  /** @all and channel messages by id: from the senders' chains and the old layout's refs. */
  shared: Map<string, StoredMessage>;
  /** Each sender's chain as read (its head, and its messages newer than the reader's mark, or all of them). */
  chains: Map<string, { ref: string; head: string; messages: StoredMessage[] }>;
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
  return [r.inbox, BCAST, BROADCASTS, CHANNELS, r.acks, r.member];
}

/**
 * The messages on the senders' chains (`heads`: their refs as read), newest first, each checked:
 * a record, sent by the chain's owner, to an @all or channel address. `stops`: commits (a
 * reader's marks) whose ancestors need not be read.
 */
export async function readChains(ctx: Coord, heads: RefEntry[], stops: string[]): Promise<Map<string, { ref: string; head: string; messages: StoredMessage[] }>> {
  const out = new Map<string, { ref: string; head: string; messages: StoredMessage[] }>();
  // Several refs may name one commit (a ref pointed by hand at another sender's chain): each tip
  // keeps all of them, and a message counts only on its own sender's chain.
  const byTip = new Map<string, RefEntry[]>();
  const byRef = new Map<string, RefEntry>();
  const marked = new Set(stops);
  for (const h of heads) {
    if (h.missing) {
      ctx.warn(`skipping message chain ${h.ref}: its object is missing from the repository, or is not a commit`);
      continue;
    }
    byRef.set(h.ref, h);
    // A chain whose head is a reader's mark has nothing newer: no `git log` for it (none at all
    // when the reader has seen every chain, an inbox's common case).
    if (marked.has(h.oid)) continue;
    byTip.set(h.oid, [...(byTip.get(h.oid) ?? []), h]);
  }
  const schemas = messageSchemas();
  const read = async (tips: string[]) => {
    try {
      return await ctx.store.chains(tips, stops);
    } catch (e) {
      ctx.warn(`${(e as Error).message}; reading only the newest message of each chain`);
      return tips.map((t) => ({ oid: t, tip: t, parents: [], body: byTip.get(t)![0]!.body }));
    }
  };
  const first = await read([...byTip.keys()]);
  const { MessageRecord } = await schemas;
  const taken = new Set<string>();
  // Senders whose messages were reached first from another ref's tip (git names a commit two
  // chains share once): their own chains are read again alone, so no ref can hide them.
  const again = new Set<string>();
  const take = (c: { oid: string; tip: string; body: string }, alone: boolean) => {
    const refs = byTip.get(c.tip);
    if (!refs) return;
    const r = parseBody(MessageRecord, c.body);
    if (!r.ok) {
      if (!alone) ctx.warn(`skipping unreadable message ${c.oid.slice(0, 10)} on ${refs[0]!.ref}: ${r.problem}`);
      return;
    }
    const own = byRef.get(bcastRef(r.value.from));
    if (!own || !isShared(r.value.to)) {
      if (!alone) ctx.warn(`skipping message ${r.value.id} on ${refs[0]!.ref}: not an @all or channel message of that chain's sender`);
      return;
    }
    if (!refs.includes(own)) {
      if (alone) return;
      again.add(own.oid);
      ctx.warn(`skipping message ${r.value.id} on ${refs[0]!.ref}: not an @all or channel message of that chain's sender`);
      return;
    }
    if (taken.has(`${own.ref}\0${c.oid}`)) return;
    taken.add(`${own.ref}\0${c.oid}`);
    const chain = out.get(r.value.from) ?? { ref: own.ref, head: own.oid, messages: [] };
    chain.messages.push({ oid: c.oid, record: r.value });
    out.set(r.value.from, chain);
  };
  for (const c of first) take(c, false);
  for (const tip of [...again].filter((t) => byTip.has(t))) {
    for (const c of await read([tip])) take({ ...c, tip }, true);
  }
  // Newest first, as along a chain (its send times rise strictly).
  if (again.size > 0) for (const chain of out.values()) chain.messages.sort((a, b) => Date.parse(b.record.sentAt) - Date.parse(a.record.sentAt));
  return out;
}

/** Whether `ref` holds a record kept as a chain of additions (receipts, the index of what was sent). */
function ledgerKey(ref: string): 'acks' | 'sent' | null {
  if (ref.startsWith(`${MESSAGES}receipts/`)) return 'acks';
  if (ref.startsWith(`${MESSAGES}out/`)) return 'sent';
  return null;
}

/**
 * Entries as read, with each record kept as a chain of additions made whole: its commits from
 * the root up, each one's entries added to (or, by id, replacing) the ones before, under the
 * head's other fields. One `git log` for all of them; a chain that cannot be read is left as
 * its head (with a warning).
 */
export async function wholeLedgers(ctx: Coord, entries: RefEntry[]): Promise<RefEntry[]> {
  const heads = entries.filter((e) => !e.missing && ledgerKey(e.ref) !== null && /"delta":\{"length":([2-9]|\d\d+)/.test(e.body));
  if (heads.length === 0) return entries;
  let commits: Awaited<ReturnType<Coord['store']['chains']>>;
  try {
    commits = await ctx.store.chains(heads.map((h) => h.oid), []);
  } catch (e) {
    ctx.warn(`${(e as Error).message}; reading only the newest part of those records`);
    return entries;
  }
  const byTip = new Map<string, string[]>();
  for (const c of commits) byTip.set(c.tip, [...(byTip.get(c.tip) ?? []), c.body]);
  const whole = new Map<string, string>();
  for (const h of heads) {
    const key = ledgerKey(h.ref)!;
    const merged = new Map<string, unknown>();
    let top: Record<string, unknown> | null = null;
    for (const body of (byTip.get(h.oid) ?? []).reverse()) {
      let rec: unknown;
      try {
        rec = JSON.parse(body);
      } catch {
        continue;
      }
      if (!rec || typeof rec !== 'object' || !Array.isArray((rec as Record<string, unknown>)[key])) continue;
      for (const e of (rec as Record<string, unknown[]>)[key]!) if (e && typeof e === 'object' && typeof (e as { id?: unknown }).id === 'string') merged.set((e as { id: string }).id, e);
      top = rec as Record<string, unknown>;
    }
    if (top) whole.set(h.ref, JSON.stringify({ ...top, [key]: [...merged.values()] }));
  }
  return entries.map((e) => (whole.has(e.ref) ? { ...e, body: whole.get(e.ref)! } : e));
}

/** One of an agent's own records as read (an unreadable one is replaced by the next write, with a warning). */
export function one<T>(ctx: Coord, schema: Schema<T>, entry: RefEntry | undefined): Slot<T> {
  if (!entry) return { oid: null, record: null };
  const r = parseBody(schema, entry.body);
  if (!r.ok) ctx.warn(`replacing unreadable record ${entry.ref} (${entry.oid.slice(0, 10)}): ${r.problem}`);
  return { oid: entry.oid, record: r.ok ? r.value : null };
}

/** Message records, each checked against the id its ref names. */
function messages(ctx: Coord, schema: Schema<MessageRecord>, entries: RefEntry[]): (StoredMessage & { ref: string })[] {
  const { records, corrupt } = decode(schema, entries);
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
export async function readBox(
  ctx: Coord,
  me: string,
  mode: ReadMode,
  want: { receipts?: boolean; out?: boolean; journal?: boolean; full?: boolean; /** The chained records' newest commit only (what a write adds to). */ heads?: boolean } = {},
): Promise<Box> {
  const r = ownRefs(me);
  const patterns = inboxRefs(me);
  if (want.receipts) patterns.push(r.receipts);
  if (want.out) patterns.push(r.out);
  if (want.journal) patterns.push(r.journal);
  const reading = ctx.store.entries(patterns, mode);
  // The schemas load while git reads.
  const schemas = messageSchemas();
  const read = await reading;
  const entries = want.heads ? read : await wholeLedgers(ctx, read);
  const byRef = new Map(entries.map((e) => [e.ref, e]));
  const { AckRecord, MembershipRecord, MessageRecord, OutboxRecord } = await schemas;
  const box: Box = {
    direct: new Map(),
    shared: new Map(),
    acks: one(ctx, AckRecord, byRef.get(r.acks)),
    receipts: one(ctx, AckRecord, byRef.get(r.receipts)),
    member: one(ctx, MembershipRecord, byRef.get(r.member)),
    out: one(ctx, OutboxRecord, byRef.get(r.out)),
    journal: byRef.get(r.journal)?.oid ?? null,
    chains: new Map(),
  };
  // The chains from their heads down to the reader's marks (unless everything is asked for, or a
  // mark passed over messages the reader may yet be shown: then that chain is read whole).
  const marks = box.acks.record?.marks ?? {};
  const stops = want.full ? [] : Object.values(marks).filter((m) => (m.skip ?? []).length === 0).map((m) => m.oid);
  box.chains = await readChains(ctx, entries.filter((e) => e.ref.startsWith(BCAST)), stops);
  const deliveries = messages(ctx, MessageRecord, entries.filter((e) => e.ref.startsWith(r.inbox)));
  for (const d of deliveries) box.direct.set(d.record.id, d);
  for (const s of messages(ctx, MessageRecord, entries.filter((e) => e.ref.startsWith(BROADCASTS) || e.ref.startsWith(CHANNELS)))) {
    box.shared.set(s.record.id, { oid: s.oid, record: s.record });
  }
  for (const c of box.chains.values()) for (const m of c.messages) box.shared.set(m.record.id, m);
  return box;
}

/** Messages by commit id, from this repository's objects (with a warning for any it lacks). */
async function load(ctx: Coord, oids: string[]): Promise<Map<string, MessageRecord>> {
  const out = new Map<string, MessageRecord>();
  if (oids.length === 0) return out;
  const schemas = messageSchemas();
  const bodies = await ctx.store.bodies([...new Set(oids)]);
  const { MessageRecord } = await schemas;
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
  const marks = box.acks.record?.marks ?? {};
  const chained = new Set([...box.chains.values()].flatMap((c) => c.messages.map((s) => s.record.id)));
  const out = new Map<string, MessageView>();
  const consider = (m: MessageRecord) => {
    if (out.has(m.id) || expired(m, now) || !addressedTo(m, me, channels)) return;
    const onChain = chained.has(m.id);
    const done = (acked.has(m.id) || (onChain && markCovers(Object.hasOwn(marks, m.from) ? marks[m.from] : undefined, m))) && !box.direct.has(m.id);
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

/**
 * The messages this agent sent that are still listed in its index, and those on its own chain
 * (`chain`, as read): a broadcast is in the index only when it asked for acks (its dead-letter
 * status outlives the chain), by id.
 */
export async function sent(ctx: Coord, out: Slot<OutboxRecord>, chain: StoredMessage[] = []): Promise<Map<string, { entry: SentEntry; record: MessageRecord }>> {
  const entries = out.record?.sent ?? [];
  const loaded = await load(ctx, entries.map((e) => e.oid));
  const found = new Map<string, { entry: SentEntry; record: MessageRecord }>();
  for (const e of entries) {
    const m = loaded.get(e.oid);
    if (m && m.id === e.id) found.set(e.id, { entry: e, record: m });
  }
  for (const { oid, record: m } of chain) {
    if (found.has(m.id)) continue;
    found.set(m.id, { entry: { id: m.id, oid, to: m.to, ack: m.ack, expiresAt: m.expiresAt, expect: null, pruned: false, chain: true }, record: m });
  }
  return found;
}

/** Every unexpired message `me` can see: addressed to it, or sent by it. */
export async function seen(ctx: Coord, me: string, mode: ReadMode): Promise<MessageView[]> {
  const box = await readBox(ctx, me, mode, { receipts: true, out: true, full: true });
  const now = ctx.now();
  const out = await visible(ctx, box, me, now, true);
  for (const { record } of (await sent(ctx, box.out, box.chains.get(me)?.messages)).values()) if (!out.has(record.id) && !expired(record, now)) out.set(record.id, view(record, false));
  return [...out.values()];
}
