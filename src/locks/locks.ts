/**
 * Locks: exclusive leases on files, directories and globs.
 *
 * A lock on pattern P lives on its own ref (store/layout.ts), so locks on unrelated paths never
 * touch the same ref. Two *different* patterns may still overlap (`src/` and `src/a.ts`), and no
 * single ref swap can see a lock that appears elsewhere at the same moment. So a grant takes two
 * steps (docs/design.md has the proof):
 *
 *   1. write a `pending` record for P (compare-and-swap on P's own ref);
 *   2. read every lock that could overlap P: if one is granted, or pending with a lower ticket,
 *      withdraw; if one that was already there at the first read is pending with a higher
 *      ticket, wait for it to settle; else
 *   3. swap the pending record to `granted`.
 *
 * Because each side writes before it reads, of two overlapping racers at least one sees the
 * other, and the ticket order decides between them: never two holders.
 */
import crypto from 'node:crypto';
import { RefusedError, UsageError, FailedError } from '../errors.js';
import { iso } from '../time.js';
import { printable, shellWord } from '../printable.js';
import { LOCKS, TOKENS, coveringQuery, journalRef, lockRef, overlapQuery, tokenRef } from '../store/layout.js';
import { AlongsideMoved, commitWithJournal, type RecordChange } from '../store/journal.js';
import { jitter, sleep } from '../store/cas.js';
import { decode, type Corrupt, type Stored, type RefUpdate, type NewRecord, type RefEntry, type ReadMode, type Schema } from '../store/records.js';
import type { Coord } from '../session/coord.js';
import { checkDurationMs } from '../session/duration.js';
import type { LockRecord, TokenMark } from './schema.js';
import { thisWriter, writerGone } from './writer.js';
import type { EventRecord } from '../history/schema.js';
import { linkOnTheWay, parsePattern, patternFromText, type Pattern } from '../patterns/pattern.js';
import { overlaps } from '../patterns/overlap.js';
import { PathIndex } from '../patterns/matcher.js';

/** A pending record not granted within this is dead; its writer gives up well before. */
export const PENDING_TTL_MS = 30_000;
const GRANT_DEADLINE_MS = 10_000;
/** How long a new request waits for others' pending records to settle before calling them conflicts. */
const SETTLE_MS = 2_000;
const MAX_ROUNDS = 50;
/** Above this many patterns one read of every lock beats per-pattern queries. */
const QUERY_ALL_ABOVE = 64;
/** Staged paths are cheaper to query (a prefix lookup each, measured ~6 ms for 1,000). */
const QUERY_PATHS_ALL_ABOVE = 20_000;

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

function ticketLess(a: LockRecord, b: LockRecord): boolean {
  if (a.ticket.at !== b.ticket.at) return a.ticket.at < b.ticket.at;
  if (a.agent !== b.agent) return a.agent < b.agent;
  return a.ticket.nonce < b.ticket.nonce;
}

function conflict(path: string, r: LockRecord, state: 'granted' | 'pending'): Conflict {
  return { path, pattern: r.pattern, agent: r.agent, reason: r.reason, expiresAt: r.expiresAt, state };
}

/** Others' live locks overlapping any of `pats`. */
export function conflictsWith(pats: Pattern[], records: Stored<LockRecord>[], me: string | null, now: number): Conflict[] {
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

export function refusal(conflicts: Conflict[], verb = 'cannot lock'): RefusedError {
  const lines = conflicts.map(
    (c) =>
      `  ${printable(c.path)}: ${c.state === 'pending' ? 'being locked' : 'locked'} by ${c.agent} as ${printable(c.pattern)}` +
      `${c.reason ? ` (${printable(c.reason)})` : ''}, ${c.expiresAt ? `until ${c.expiresAt}` : 'no expiry'}`,
  );
  return new RefusedError(`${verb}: held by another agent\n${lines.join('\n')}`, { conflicts });
}

export interface LockOptions {
  reason?: string;
  /** Lease in ms, null for none; undefined: the configured default. */
  ttlMs?: number | null;
  /**
   * Changes of other records committed in the grant's own transaction (a task's claim): the
   * locks and these land together or not at all. If one of their refs moves meanwhile, the
   * request is withdrawn and AlongsideMoved thrown: the caller re-reads and decides again.
   */
  alongside?: RecordChange[];
}

/**
 * The record schema, loaded when a record must be checked: zod costs a command several ms to
 * load, and a lock that meets no record but its own never needs it.
 */
let schema: Promise<Schema<LockRecord>> | undefined;
function lockSchema(): Promise<Schema<LockRecord>> {
  return (schema ??= import('./schema.js').then((m) => m.LockRecord));
}
let marksSchema: Promise<Schema<TokenMark>> | undefined;
function markSchema(): Promise<Schema<TokenMark>> {
  return (marksSchema ??= import('./schema.js').then((m) => m.TokenMark));
}

interface Slot {
  pattern: Pattern;
  ref: string;
  /** What is on the ref now: a record (or an unreadable one), or nothing. */
  current: Current | null;
}

interface Current {
  oid: string;
  /** null: unreadable. */
  record: LockRecord | null;
  /** The ref names a missing object: there is nothing to build on or to restore. */
  missing?: true;
}

/** A token mark as read: its commit (null: none yet) and the highest token released there. */
interface Mark {
  oid: string | null;
  max: number;
  /** An unreadable mark whose object is missing: replaced, not built on. */
  missing?: true;
}

/** How a request decides: see `acquire`. */
interface Attempt {
  /** Write pending records before reading (assumes the refs do not exist yet). */
  optimistic: boolean;
  /** The ticket's time: a `lock --wait` keeps the time of its first attempt, so it ages. */
  ticketAt?: number;
  /** Other records' changes committed in the grant's own transaction (LockOptions.alongside). */
  alongside?: RecordChange[];
}

/** The locks service of one session. */
export class Locks {
  constructor(private readonly ctx: Coord) {}

  parse(raw: string[]): Pattern[] {
    if (raw.length === 0) throw new UsageError('no pattern given');
    const seen = new Map<string, Pattern>();
    for (const r of raw) {
      // A literal path naming a directory of this work tree means that directory (`src/auth/`).
      const p = parsePattern(r, this.ctx.base, this.ctx.repo.top);
      seen.set(p.text, p);
    }
    return [...seen.values()];
  }

  /**
   * Patterns to lock or to ask about: also refused when they lead through a symbolic link of this
   * work tree (see linkOnTheWay). Unlocking parses without this, so a lock taken where the path
   * was no link can still be released here.
   */
  private parseReal(raw: string[]): Pattern[] {
    const pats = this.parse(raw);
    const top = this.ctx.repo.top;
    for (const p of top ? pats : []) {
      const link = linkOnTheWay(p, top!);
      if (link !== null) {
        throw new UsageError(`bad pattern ${JSON.stringify(p.text)}: it is beyond a symbolic link (${printable(link)}); git tracks the link, not what it points to: name the real path`);
      }
    }
    return pats;
  }

  private queryFor(pats: Pattern[]): string[] {
    if (pats.length > QUERY_ALL_ABOVE) return [LOCKS];
    return [...new Set(pats.flatMap(overlapQuery))];
  }

  /**
   * Reads lock records (and this agent's journal head) in one git call. Decisions read the
   * authority itself ('authority'); read-only commands read as the session's policy says.
   */
  private async readState(query: string[], me: string | null, mode: ReadMode = 'authority', written?: Map<string, LockRecord>) {
    const jref = me ? journalRef(me) : null;
    const entries = await this.ctx.store.entries(jref ? [...query, jref] : query, mode);
    const lockEntries: RefEntry[] = [];
    const markEntries: RefEntry[] = [];
    const known: Stored<LockRecord>[] = [];
    let journal: string | null = null;
    for (const e of entries) {
      if (e.ref === jref) journal = e.oid;
      else if (e.ref.startsWith(TOKENS)) markEntries.push(e);
      else if (written?.has(e.oid)) known.push({ ref: e.ref, oid: e.oid, record: written.get(e.oid)! });
      else lockEntries.push(e);
    }
    // A record this process wrote is known by its id (a hash of its content): no need to parse it.
    const { records, corrupt } = lockEntries.length > 0 ? decode(await lockSchema(), lockEntries) : { records: [], corrupt: [] };
    records.push(...known);
    for (const c of corrupt) this.ctx.warn(`skipping unreadable lock record ${c.ref} (${c.oid.slice(0, 10)}): ${c.problem}`);
    const byRef = new Map<string, Current>();
    for (const r of records) byRef.set(r.ref, { oid: r.oid, record: r.record });
    for (const c of corrupt) byRef.set(c.ref, { oid: c.oid, record: null, ...(c.missing ? { missing: true as const } : {}) });
    // A mark that cannot be read is replaced by the next release; until then it counts as 0, and
    // the clock floor of new tokens (see twoPhase) still applies.
    const marks = new Map<string, Mark>();
    const read = markEntries.length > 0 ? decode(await markSchema(), markEntries) : { records: [], corrupt: [] };
    for (const m of read.records) marks.set(m.ref, { oid: m.oid, max: m.record.max });
    for (const c of read.corrupt) {
      this.ctx.warn(`skipping unreadable token mark ${c.ref} (${c.oid.slice(0, 10)}): ${c.problem}`);
      marks.set(c.ref, { oid: c.oid, max: 0, ...(c.missing ? { missing: true as const } : {}) });
    }
    return { records, corrupt, byRef, marks, journal };
  }

  /** The mark for `pattern` as read (none yet: max 0). */
  private static mark(marks: Map<string, Mark>, pattern: string): Mark {
    return marks.get(tokenRef(patternFromText(pattern))) ?? { oid: null, max: 0 };
  }

  /** Every live lock (granted, unexpired), optionally only this agent's; read as the session's policy says unless told. */
  async list(opts: { mine?: boolean; mode?: ReadMode } = {}): Promise<LockView[]> {
    const me = opts.mine ? this.ctx.requireAgent() : null;
    const { records } = await this.readState([LOCKS], null, opts.mode ?? this.ctx.readMode());
    const now = this.ctx.now();
    return records
      .filter((s) => liveness(s.record, now) === 'granted' && (!me || s.record.agent === me))
      .map((s) => view(s.record))
      .sort((a, b) => (a.pattern < b.pattern ? -1 : a.pattern > b.pattern ? 1 : 0));
  }

  /** All or nothing: every pattern is granted (or renewed, if already held), or none is. */
  async lock(raw: string[], opts: LockOptions = {}): Promise<LockView[]> {
    const { me, pats, ttlMs } = await this.request(raw, opts);
    return this.acquire(me, pats, ttlMs, opts.reason, { optimistic: true, alongside: opts.alongside ?? [] });
  }

  /** As `lock`, for patterns parsed already (a claim's stored patterns are repository-relative). */
  async lockParsed(pats: Pattern[], opts: LockOptions = {}): Promise<LockView[]> {
    const me = this.ctx.requireAgent();
    const ttlMs = opts.ttlMs === undefined ? (await this.ctx.config()).ttlMs : opts.ttlMs;
    if (ttlMs !== null) checkDurationMs(ttlMs, 'lease');
    return this.acquire(me, pats, ttlMs, opts.reason, { optimistic: true, alongside: opts.alongside ?? [] });
  }

  private async request(raw: string[], opts: LockOptions) {
    const me = this.ctx.requireAgent();
    const pats = this.parseReal(raw);
    const ttlMs = opts.ttlMs === undefined ? (await this.ctx.config()).ttlMs : opts.ttlMs;
    if (ttlMs !== null) checkDurationMs(ttlMs, 'lease');
    return { me, pats, ttlMs };
  }

  /** `lock --wait`: retries while refused, until granted or `waitMs` has passed (then refused). */
  async lockWaiting(raw: string[], opts: LockOptions, waitMs: number): Promise<LockView[]> {
    const deadline = performance.now() + waitMs;
    const cfg = await this.ctx.config();
    const { me, pats, ttlMs } = await this.request(raw, opts);
    const [base, cap] = this.ctx.store.remote ? [cfg.pollMs, cfg.pollMs * 4] : [20, 500];
    // Every attempt carries the ticket time of the first: among requests racing for the same
    // paths, the one waiting longest wins. Retries read before they write, so a waiter polling
    // a held lock costs one read and never disturbs others' grants with pending records.
    const ticketAt = this.ctx.now();
    // Polls back off while the same locks stand in the way. When they change (someone else got
    // in between two polls: this waiter was passed over), polling starts fast again, so a long
    // waiter is not the slowest to notice the next release; when several notice it at once, the
    // oldest ticket wins.
    let backoff = 0;
    let blockers = '';
    for (let round = 0; ; round++) {
      try {
        return await this.acquire(me, pats, ttlMs, opts.reason, { optimistic: round === 0, ticketAt });
      } catch (e) {
        const left = deadline - performance.now();
        if (!(e instanceof RefusedError) || left <= 0) throw e;
        const now = JSON.stringify((e.detail.conflicts as Conflict[] | undefined)?.map((c) => [c.agent, c.pattern, c.expiresAt]) ?? []);
        if (now !== blockers) [backoff, blockers] = [0, now];
        await sleep(Math.min(left, Math.min(cap, base * 1.5 ** backoff++) * (0.5 + Math.random())));
      }
    }
  }

  private async acquire(me: string, pats: Pattern[], ttlMs: number | null, reason: string | undefined, attempt: Attempt): Promise<LockView[]> {
    // The read after the pending write also reads the token marks of the patterns' directories.
    const query = [...this.queryFor(pats), ...new Set(pats.map(tokenRef))];
    const alongside = attempt.alongside ?? [];
    const settleStart = performance.now();
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const now = this.ctx.now();
      // First try optimistically: assume the patterns' refs do not exist yet (the common case)
      // and write pending records straight away; the read after that write decides. If a ref
      // exists (a renewal, a takeover, a holder of the same pattern) the swap fails and the
      // next round reads first. A renewal knows its refs exist and starts with the read.
      if (round === 0 && attempt.optimistic) {
        const slots = pats.map((p) => ({ pattern: p, ref: lockRef(p), current: null }));
        const result = await this.twoPhase(me, query, slots, [], ttlMs, reason, null, attempt.ticketAt, alongside);
        if (result !== 'retry') return result;
        if (await this.moved(alongside)) throw new AlongsideMoved();
        continue;
      }
      const state = await this.readState(query, me);
      const slots: Slot[] = pats.map((p) => {
        const ref = lockRef(p);
        return { pattern: p, ref, current: state.byRef.get(ref) ?? null };
      });
      // A pending record on one of our own refs whose writer has exited (killed mid-lock) is
      // replaced by our own pending write: a swap from its exact value, so if it was granted
      // after all, the swap fails and we read again.
      const abandoned = new Set(
        slots.filter((s) => s.current?.record?.state === 'pending' && writerGone(s.current.record.writer)).map((s) => s.ref),
      );
      const found = conflictsWith(pats, state.records.filter((r) => !abandoned.has(r.ref)), me, now);
      const held = found.filter((c) => c.state === 'granted');
      if (held.length > 0) throw refusal(held);
      // Another live process of this same agent mid-grant on one of our refs: let it finish.
      const ownPending = slots.some(
        (s) => s.current?.record?.agent === me && !abandoned.has(s.ref) && liveness(s.current.record, now) === 'pending',
      );
      if (found.length > 0 || ownPending) {
        if (performance.now() - settleStart > SETTLE_MS) {
          if (found.length > 0) throw refusal(found);
          throw new RefusedError(`cannot lock: another git-coord process of ${me} is locking the same pattern right now; try again`);
        }
        await sleep(jitter(round));
        continue;
      }
      const renewing = slots.filter((s) => s.current?.record?.agent === me && liveness(s.current.record, now) === 'granted');
      const creating = slots.filter((s) => !renewing.includes(s));
      const result = creating.length === 0
        ? await this.grant(me, [], renewing, ttlMs, reason, state.journal, state.marks, alongside)
        : await this.twoPhase(me, query, creating, renewing, ttlMs, reason, state.journal, attempt.ticketAt, alongside);
      if (result === 'retry') {
        if (await this.moved(alongside)) throw new AlongsideMoved();
        await sleep(jitter(round));
        continue;
      }
      return result;
    }
    throw new FailedError('gave up after repeated lost races; try again');
  }

  private async twoPhase(
    me: string,
    query: string[],
    creating: Slot[],
    renewing: Slot[],
    ttlMs: number | null,
    reason: string | undefined,
    journal: string | null,
    ticketAt: number | undefined,
    alongside: RecordChange[],
  ): Promise<LockView[] | 'retry'> {
    const now = this.ctx.now();
    const ticket = { at: ticketAt ?? now, nonce: crypto.randomBytes(6).toString('hex') };
    const writer = thisWriter();
    const pendingRecords = creating.map((s) => {
      const prev = s.current?.record ?? null;
      const rec: LockRecord = {
        v: 1,
        type: 'lock',
        pattern: s.pattern.text,
        agent: me,
        state: 'pending',
        reason: reason ?? prev?.reason ?? '',
        // Strictly above the record this replaces; the grant also puts it above the token mark
        // of released grants (see grant). The clock is a floor for marks that were lost.
        token: Math.max(prev ? prev.token + 1 : 1, now),
        ttlMs,
        acquiredAt: iso(now),
        expiresAt: ttlMs === null ? null : iso(now + ttlMs),
        ticket,
        pendingUntil: iso(now + PENDING_TTL_MS),
        ...(writer ? { writer } : {}),
        event: { action: 'pending', by: me, at: iso(now), ...(prev && prev.agent !== me ? { from: prev.agent } : {}) },
      };
      return rec;
    });
    const oids = await this.ctx.store.write(
      pendingRecords.map((rec, i) => ({
        subject: `pending ${rec.pattern}`,
        record: rec,
        parents: creating[i]!.current && !creating[i]!.current!.missing ? [creating[i]!.current!.oid] : [],
        agent: me,
        timeMs: now,
      })),
    );
    const t0 = performance.now();
    const phase1: RefUpdate[] = [
      ...creating.map((s, i) => ({ ref: s.ref, newOid: oids[i]!, oldOid: s.current?.oid ?? null })),
      ...renewing.map((s) => ({ ref: s.ref, newOid: s.current!.oid, oldOid: s.current!.oid })),
    ];
    const pushing = this.ctx.store.swap(phase1, { transient: true });
    // Start the processes the read and the grant will need while the pending write is under way
    // (spawning costs main-thread time; here it overlaps the wait instead of preceding it).
    this.ctx.store.warm();
    if (!(await pushing).ok) return 'retry';
    const mine = creating.map((s, i) => ({ ...s, previous: s.current, current: { oid: oids[i]!, record: pendingRecords[i]! } }));
    // Withdrawing puts back what our pending records replaced (an expired lock keeps its token
    // that way) or deletes them; `still` limits it to the ones still ours, so one taken over
    // meanwhile does not make the whole (atomic) withdrawal fail.
    const withdraw = async (still: (ref: string) => boolean = () => true) => {
      const ours = mine.filter((s) => still(s.ref));
      const back = (s: (typeof mine)[number]) => (s.previous && !s.previous.missing ? s.previous.oid : null);
      await this.ctx.store.swap(ours.map((s) => ({ ref: s.ref, newOid: back(s), oldOid: s.current.oid })));
    };
    // Phase 2: read after our own write. Pending records of higher tickets seen at the first
    // read may have read before our write and be granted: wait for those to settle. One that
    // appears later was written after our write, so it reads ours and yields to our lower
    // ticket: waiting for it too would let a stream of newcomers hold us off for ever.
    let settling: Set<string> | null = null;
    let marks = new Map<string, Mark>();
    const written = new Map(mine.map((s) => [s.current.oid, s.current.record]));
    for (let round = 0; ; round++) {
      const state = await this.readState(query, me, 'authority', written);
      journal = state.journal;
      marks = state.marks;
      const isOurs = (ref: string) => state.byRef.get(ref)?.oid === mine.find((m) => m.ref === ref)?.current.oid;
      if (mine.some((s) => !isOurs(s.ref))) {
        await withdraw(isOurs);
        return 'retry';
      }
      const nowR = this.ctx.now();
      const blocking: Conflict[] = [];
      const higher = new Set<string>();
      for (const s of state.records) {
        if (s.record.agent === me) continue;
        const live = liveness(s.record, nowR);
        if (!live) continue;
        const theirs = patternFromText(s.record.pattern);
        for (const m of mine) {
          if (!overlaps(m.pattern, theirs)) continue;
          if (live === 'granted' || ticketLess(s.record, m.current.record)) blocking.push(conflict(m.pattern.text, s.record, live));
          else higher.add(s.oid);
        }
      }
      settling ??= higher;
      const waitFor = [...higher].some((oid) => settling!.has(oid));
      if (blocking.length > 0) {
        await withdraw();
        // A granted lock is a refusal; a lower-ticket pending one may still be withdrawn: retry.
        if (blocking.some((c) => c.state === 'granted')) throw refusal(blocking.filter((c) => c.state === 'granted'));
        return 'retry';
      }
      if (!waitFor) break;
      if (performance.now() - t0 > GRANT_DEADLINE_MS / 2) {
        await withdraw();
        return 'retry';
      }
      await sleep(jitter(round));
    }
    if (performance.now() - t0 > GRANT_DEADLINE_MS) {
      await withdraw();
      return 'retry';
    }
    const result = await this.grant(me, mine, renewing, ttlMs, reason, journal, marks, alongside);
    if (result === 'retry') await withdraw();
    return result;
  }

  /** Phase 3 (and plain renewal): pending → granted, held → renewed, with the journal entries. */
  private async grant(
    me: string,
    pending: { pattern: Pattern; ref: string; current: { oid: string; record: LockRecord } }[],
    renewing: Slot[],
    ttlMs: number | null,
    reason: string | undefined,
    journal: string | null,
    marks: Map<string, Mark>,
    alongside: RecordChange[] = [],
  ): Promise<LockView[] | 'retry'> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const now = this.ctx.now();
      const changes: Change[] = [];
      for (const s of pending) {
        const { writer: _, ...p } = s.current.record;
        const taken = p.event.from;
        const rec: LockRecord = {
          ...p,
          state: 'granted',
          // Above every released grant of this pattern: the mark was read after our pending
          // write, and from then on no grant of this pattern can be released but ours.
          token: Math.max(p.token, Locks.mark(marks, p.pattern).max + 1),
          acquiredAt: iso(now),
          expiresAt: ttlMs === null ? null : iso(now + ttlMs),
          pendingUntil: null,
          event: { action: taken ? 'takeover' : 'lock', by: me, at: iso(now), ...(taken ? { from: taken } : {}) },
        };
        changes.push({ slot: { ref: s.ref, oid: s.current.oid }, rec, action: rec.event.action, why: rec.reason, ...(taken ? { other: taken } : {}) });
      }
      for (const s of renewing) {
        const held = s.current!.record!;
        const rec: LockRecord = {
          ...held,
          reason: reason ?? held.reason,
          ttlMs,
          expiresAt: ttlMs === null ? null : iso(now + ttlMs),
          event: { action: 'renew', by: me, at: iso(now) },
        };
        changes.push({ slot: { ref: s.ref, oid: s.current!.oid }, rec, action: 'renew', why: rec.reason });
      }
      const ok = await this.commitChanges(me, changes, journal, now, marks, alongside);
      if (ok) return changes.map((c) => view(c.rec));
      // Lost a race: if our refs are still as we left them, only the journal moved (another
      // process of this agent); otherwise someone else changed a lock under us.
      const state = await this.readState(changes.map((c) => c.slot.ref), me);
      if (changes.some((c) => state.byRef.get(c.slot.ref)?.oid !== c.slot.oid)) return 'retry';
      if (await this.moved(alongside)) return 'retry';
      journal = state.journal;
    }
    return 'retry';
  }

  /** Whether any `alongside` record's ref no longer holds the value its change expects. */
  private async moved(alongside: RecordChange[]): Promise<boolean> {
    if (alongside.length === 0) return false;
    const now = new Map((await this.ctx.store.entries(alongside.map((c) => c.ref))).map((e) => [e.ref, e.oid]));
    return alongside.some((c) => (now.get(c.ref) ?? null) !== c.oldOid);
  }

  /**
   * The changes that release `patterns` where `holder` still holds them (granted, expired or
   * not), for a caller that commits them with its own changes: ending a claim releases the
   * locks taken with it. Patterns no longer the holder's (broken, taken over) are left alone.
   * The token marks of their directories rise with them, as for any release.
   */
  async releasing(patterns: string[], holder: string, reason?: string): Promise<RecordChange[]> {
    if (patterns.length === 0) return [];
    const me = this.ctx.requireAgent();
    const pats = patterns.map(patternFromText);
    const state = await this.readState([...pats.map(lockRef), ...new Set(pats.map(tokenRef))], null);
    const now = this.ctx.now();
    const changes = state.records
      .filter((r) => r.record.agent === holder && r.record.state === 'granted')
      .map((r) => this.release(me, r, r.record, now, reason));
    const marks: RecordChange[] = this.raiseMarks(me, changes, state.marks, now).map((m) => ({
      ref: m.update.ref,
      oldOid: m.update.oldOid,
      record: m.record.record,
      subject: m.record.subject,
      event: [],
    }));
    return [...changes.map(recorded), ...marks];
  }

  /** The records on exactly these patterns' refs, with their token marks. */
  private async readExact(pats: Pattern[], me: string) {
    return this.readState([...pats.map(lockRef), ...new Set(pats.map(tokenRef))], me);
  }

  /**
   * Releases locks: this agent's own, or with `force` another agent's (the history records who
   * broke it and why). All or nothing.
   */
  async unlock(raw: string[], opts: { all?: boolean; force?: boolean; reason?: string } = {}): Promise<LockView[]> {
    const me = this.ctx.requireAgent();
    if (opts.all && raw.length > 0) throw new UsageError('give patterns or --all, not both');
    if (opts.all && opts.force) throw new UsageError('--force breaks the locks you name: give their patterns instead of --all');
    if (opts.force && !opts.reason) throw new UsageError('--force needs --reason <text>: the history records why a lock was broken');
    const pats = opts.all ? null : this.parse(raw);
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const now = this.ctx.now();
      const state = pats ? await this.readExact(pats, me) : await this.readState([LOCKS, TOKENS], me);
      const changes: Change[] = [];
      if (pats) {
        const notHeld: string[] = [];
        for (const p of pats) {
          const cur = state.byRef.get(lockRef(p));
          const rec = cur?.record;
          const live = rec ? liveness(rec, now) : null;
          if (!cur || !rec || rec.state === 'released' || (rec.agent !== me && !live)) {
            notHeld.push(`  ${printable(p.text)}: not locked`);
          } else if (rec.agent !== me && !opts.force) {
            notHeld.push(`  ${printable(p.text)}: held by ${rec.agent}${rec.reason ? ` (${printable(rec.reason)})` : ''}; to break it: git-coord unlock --force --reason <why> ${shellWord(p.text)}`);
          } else {
            changes.push(this.release(me, { ref: lockRef(p), oid: cur.oid }, rec, now, opts.reason));
          }
        }
        if (notHeld.length > 0) throw new RefusedError(`cannot unlock: not held by you\n${notHeld.join('\n')}`);
      } else {
        for (const r of state.records) if (r.record.agent === me && r.record.state !== 'released') changes.push(this.release(me, r, r.record, now));
        if (changes.length === 0) return [];
      }
      if (await this.commitChanges(me, changes, state.journal, now, state.marks)) return changes.map((c) => view(c.rec));
      await sleep(jitter(round));
    }
    throw new FailedError('gave up after repeated lost races; try again');
  }

  /**
   * Removes dead records: locks past their lease and pending records their writer abandoned
   * (timed out, or its process is known to have exited). Each is an ordinary compare-and-swap
   * delete (a lock renewed or taken over meanwhile makes it retry), recorded in this agent's
   * history as `expire`. Refs naming a missing object hold nothing: they are deleted too, with a
   * warning. Keeps the set of live refs small.
   */
  async prune(): Promise<LockView[]> {
    const me = this.ctx.requireAgent();
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const now = this.ctx.now();
      const state = await this.readState([LOCKS, TOKENS], me);
      const dead = (r: LockRecord) =>
        r.state !== 'released' && (liveness(r, now) === null || (r.state === 'pending' && writerGone(r.writer)));
      const broken: Corrupt[] = state.corrupt.filter((c) => c.missing);
      const changes: Change[] = state.records
        .filter((r) => dead(r.record))
        .map((r) => ({
          slot: { ref: r.ref, oid: r.oid },
          rec: { ...r.record, state: 'released', pendingUntil: null, event: { action: 'expire', by: me, at: iso(now) } },
          action: 'expire',
          remove: true,
          ...(r.record.agent !== me ? { other: r.record.agent } : {}),
        }));
      if (changes.length === 0 && broken.length === 0) return [];
      const deletions = broken.map((c) => ({ ref: c.ref, newOid: null, oldOid: c.oid }));
      if (await this.commitChanges(me, changes, state.journal, now, state.marks, [], deletions)) {
        for (const c of broken) this.ctx.warn(`removed ${c.ref}: it named ${c.oid.slice(0, 10)}, which is missing from the repository or is not a commit`);
        return changes.map((c) => view(c.rec));
      }
      await sleep(jitter(round));
    }
    throw new FailedError('gave up after repeated lost races; try again');
  }

  private release(me: string, slot: { ref: string; oid: string }, held: LockRecord, now: number, reason?: string): Change {
    const broken = held.agent !== me;
    const rec: LockRecord = {
      ...held,
      state: 'released',
      pendingUntil: null,
      event: { action: broken ? 'break' : 'unlock', by: me, at: iso(now), ...(broken && reason ? { reason } : {}) },
    };
    return { slot, rec, action: rec.event.action, remove: true, ...(broken ? { other: held.agent, why: reason } : {}) };
  }

  /**
   * Extends this agent's locks (all of them when no pattern is given). A lock that has expired
   * meanwhile is granted afresh through the full protocol, since others may have locked
   * overlapping paths since.
   */
  async renew(raw: string[], opts: { ttlMs?: number | null } = {}): Promise<LockView[]> {
    const me = this.ctx.requireAgent();
    const now = this.ctx.now();
    const pats = raw.length > 0 ? this.parse(raw) : null;
    const state = pats ? await this.readExact(pats, me) : await this.readState([LOCKS], me);
    const mine = state.records.filter((r) => r.record.agent === me && r.record.state === 'granted');
    if (opts.ttlMs !== undefined && opts.ttlMs !== null) checkDurationMs(opts.ttlMs, 'lease');
    if (pats) {
      const missing = pats.filter((p) => !mine.some((r) => r.ref === lockRef(p)));
      if (missing.length > 0) throw new RefusedError(`cannot renew: not held by you\n${missing.map((p) => `  ${printable(p.text)}`).join('\n')}`);
    }
    const out: LockView[] = [];
    // Group by lease so each group is one all-or-nothing grant.
    const groups = new Map<string, { ttl: number | null; pats: Pattern[] }>();
    for (const r of mine) {
      const ttl = opts.ttlMs === undefined ? r.record.ttlMs : opts.ttlMs;
      const key = String(ttl);
      const g = groups.get(key) ?? { ttl, pats: [] };
      g.pats.push(patternFromText(r.record.pattern));
      groups.set(key, g);
    }
    for (const g of groups.values()) out.push(...(await this.acquire(me, g.pats, g.ttl, undefined, { optimistic: false })));
    return out;
  }

  /**
   * Others' live locks covering the given paths (each may itself be a directory or glob), or
   * with `staged` the paths the commit in progress touches. `me` null: the caller holds nothing.
   */
  async check(raw: string[], opts: { paths?: string[]; mode?: ReadMode } = {}): Promise<Conflict[]> {
    const me = this.ctx.agent();
    const now = this.ctx.now();
    const out: Conflict[] = [];
    if (raw.length > 0) {
      const pats = this.parseReal(raw);
      const { records } = await this.readState(this.queryFor(pats), null, opts.mode ?? this.ctx.readMode());
      out.push(...conflictsWith(pats, records, me, now));
    }
    const paths = opts.paths ?? [];
    if (paths.length > 0) {
      const covering = await this.covering(paths, opts.mode ?? this.ctx.readMode());
      for (const [path, hits] of covering) for (const h of hits) if (h.rec.agent !== me) out.push(conflict(path, h.rec, h.state));
    }
    return out;
  }

  /** Every live lock (of any agent) covering each of `paths`, concrete file paths. */
  async covering(paths: string[], mode: ReadMode): Promise<Map<string, { rec: LockRecord; state: 'granted' | 'pending' }[]>> {
    const out = new Map<string, { rec: LockRecord; state: 'granted' | 'pending' }[]>();
    if (paths.length === 0) return out;
    const now = this.ctx.now();
    // Only locks anchored at a path's ancestors (or the path) can cover it: read just those.
    const query = paths.length > QUERY_PATHS_ALL_ABOVE ? [LOCKS] : coveringQuery(paths);
    const { records } = await this.readState(query, null, mode);
    const live = records.flatMap((s) => {
      const state = liveness(s.record, now);
      return state ? [{ pattern: patternFromText(s.record.pattern), item: { rec: s.record, state } }] : [];
    });
    if (live.length === 0) return out;
    const index = new PathIndex(live);
    for (const path of paths) {
      const hits = index.covering(path);
      if (hits.length > 0) out.set(path, hits);
    }
    return out;
  }

  /**
   * What is on these patterns' refs now (any agent, any state, expired or not), by pattern: for
   * telling an agent what became of a lock it held.
   */
  async current(patterns: string[], mode: ReadMode): Promise<Map<string, LockRecord>> {
    const refs = new Map(patterns.map((p) => [lockRef(patternFromText(p)), p]));
    const { records } = await this.readState([...refs.keys()], null, mode);
    const out = new Map<string, LockRecord>();
    for (const r of records) {
      const p = refs.get(r.ref);
      if (p !== undefined && r.record.pattern === p) out.set(p, r.record);
    }
    return out;
  }

  /** The board: every live lock, grouped by agent. */
  async status(): Promise<{ agent: string | null; agents: { id: string; locks: LockView[] }[] }> {
    const me = this.ctx.agent();
    const locks = await this.list();
    const byAgent = new Map<string, LockView[]>();
    for (const l of locks) byAgent.set(l.agent, [...(byAgent.get(l.agent) ?? []), l]);
    if (me && !byAgent.has(me)) byAgent.set(me, []);
    const agents = [...byAgent.entries()].map(([id, ls]) => ({ id, locks: ls })).sort((a, b) => (a.id < b.id ? -1 : 1));
    return { agent: me, agents };
  }

  /**
   * Writes new record states and one journal entry per change, then swaps every ref at once
   * (history/journal.ts). A change marked `remove` records its final state in the journal and
   * deletes its ref: the live set shrinks, the history stays reachable from the journal, and the
   * token mark of its directory rises to its token in the same swap. `extra` updates ride along.
   */
  private async commitChanges(
    me: string,
    changes: Change[],
    journal: string | null,
    now: number,
    marks: Map<string, Mark>,
    alongside: RecordChange[] = [],
    extra: RefUpdate[] = [],
  ): Promise<boolean> {
    const markUpdates = this.raiseMarks(me, changes, marks, now);
    if (markUpdates.length > 0) await this.ctx.store.write(markUpdates.map((m) => m.record));
    const ride = [...markUpdates.map((m) => m.update), ...extra];
    return (await commitWithJournal(this.ctx.store, me, [...changes.map(recorded), ...alongside], journal, now, ride)).ok;
  }

  /** The token marks that removing `changes` raises: one new mark record per directory. */
  private raiseMarks(me: string, changes: Change[], marks: Map<string, Mark>, now: number): { record: NewRecord; update: RefUpdate }[] {
    const highest = new Map<string, number>();
    for (const c of changes) {
      if (!c.remove) continue;
      const ref = tokenRef(patternFromText(c.rec.pattern));
      highest.set(ref, Math.max(highest.get(ref) ?? 0, c.rec.token));
    }
    const out: { record: NewRecord; update: RefUpdate }[] = [];
    for (const [ref, max] of highest) {
      const cur = marks.get(ref) ?? { oid: null, max: 0 };
      if (max <= cur.max) continue;
      const mark: TokenMark = { v: 1, type: 'tokens', max };
      const record: NewRecord = { subject: `tokens ${max}`, record: mark, parents: cur.oid && !cur.missing ? [cur.oid] : [], agent: me, timeMs: now };
      out.push({ record, update: { ref, newOid: this.ctx.store.ids([record])[0]!, oldOid: cur.oid } });
    }
    return out;
  }
}

function recorded(c: Change): RecordChange {
  return {
    ref: c.slot.ref,
    oldOid: c.slot.oid,
    record: c.rec,
    subject: `${c.action} ${c.rec.pattern}`,
    ...(c.remove ? { remove: true } : {}),
    event: { action: c.action, subject: c.rec.pattern, reason: c.why, other: c.other },
  };
}

interface Change {
  slot: { ref: string; oid: string };
  rec: LockRecord;
  action: EventRecord['action'];
  /** Why, for the history: the reason of a lock, or of a forced break. */
  why?: string;
  other?: string;
  remove?: boolean;
}
