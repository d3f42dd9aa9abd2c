/**
 * Locks: exclusive leases on files, directories and globs. This file is the service the faces
 * call; the pure rules are in rules.ts, the grant protocol in grant.ts, releases in release.ts,
 * token marks in tokens.ts, and which refs a question reads in query.ts.
 */
import { RefusedError, UsageError } from '../errors.js';
import { printable } from '../printable.js';
import { LOCKS, lockRef } from '../store/layout.js';
import type { RecordChange } from '../store/journal.js';
import type { ReadMode } from '../store/records.js';
import type { Coord } from '../session/coord.js';
import { checkDurationMs } from '../session/duration.js';
import type { LockRecord } from './schema.js';
import { linkOnTheWay, parsePattern, patternFromText, type Pattern } from '../patterns/pattern.js';
import { PathIndex } from '../patterns/matcher.js';
import { conflict, conflictsWith, liveness, view, type Conflict, type LockView } from './rules.js';
import { acquire, acquireWaiting } from './grant.js';
import { checkUnlock, prune, releasing, unlock, type UnlockOptions } from './release.js';
import { coveringPaths, exact, overlapping, readLocks } from './query.js';

export { PENDING_TTL_MS, conflictsWith, liveness, refusal, view, type Conflict, type LockView } from './rules.js';
export type { UnlockOptions, NotHeld } from './release.js';

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

/** The locks service of one session. */
export class Locks {
  constructor(private readonly ctx: Coord) {}

  parse(raw: string[]): Pattern[] {
    if (raw.length === 0) throw new UsageError('no pattern given', { kind: 'no-pattern' });
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
        throw new UsageError(`bad pattern ${JSON.stringify(p.text)}: it is beyond a symbolic link (${printable(link)}); git tracks the link, not what it points to: name the real path`, { kind: 'beyond-link', pattern: p.text, link });
      }
    }
    return pats;
  }

  private async lease(opts: LockOptions): Promise<number | null> {
    const ttlMs = opts.ttlMs === undefined ? (await this.ctx.config()).ttlMs : opts.ttlMs;
    if (ttlMs !== null) checkDurationMs(ttlMs, 'lease');
    return ttlMs;
  }

  /** Every live lock (granted, unexpired), optionally only this agent's; read as the session's policy says unless told. */
  async list(opts: { mine?: boolean; mode?: ReadMode } = {}): Promise<LockView[]> {
    const me = opts.mine ? this.ctx.requireAgent() : null;
    const { records } = await readLocks(this.ctx, [LOCKS], null, opts.mode ?? this.ctx.readMode());
    const now = this.ctx.now();
    return records
      .filter((s) => liveness(s.record, now) === 'granted' && (!me || s.record.agent === me))
      .map((s) => view(s.record))
      .sort((a, b) => (a.pattern < b.pattern ? -1 : a.pattern > b.pattern ? 1 : 0));
  }

  /** All or nothing: every pattern is granted (or renewed, if already held), or none is. */
  async lock(raw: string[], opts: LockOptions = {}): Promise<LockView[]> {
    const me = this.ctx.requireAgent();
    const pats = this.parseReal(raw);
    const ttlMs = await this.lease(opts);
    return acquire(this.ctx, me, pats, ttlMs, opts.reason, { optimistic: true, alongside: opts.alongside ?? [] });
  }

  /** As `lock`, for patterns parsed already (a claim's stored patterns are repository-relative). */
  async lockParsed(pats: Pattern[], opts: LockOptions = {}): Promise<LockView[]> {
    const me = this.ctx.requireAgent();
    const ttlMs = await this.lease(opts);
    return acquire(this.ctx, me, pats, ttlMs, opts.reason, { optimistic: true, alongside: opts.alongside ?? [] });
  }

  /**
   * As `lock`, waiting while refused until granted or `waitMs` has passed (then refused). One
   * ticket for the whole wait: the request waiting longest wins.
   */
  async lockWaiting(raw: string[], opts: LockOptions, waitMs: number): Promise<LockView[]> {
    const cfg = await this.ctx.config();
    const me = this.ctx.requireAgent();
    const pats = this.parseReal(raw);
    const ttlMs = await this.lease(opts);
    const [base, cap] = this.ctx.store.remote ? [cfg.pollMs, cfg.pollMs * 4] : [20, 500];
    return acquireWaiting(this.ctx, me, pats, ttlMs, opts.reason, waitMs, { base, cap });
  }

  /**
   * The changes that release `patterns` where `holder` still holds them, for a caller that
   * commits them with its own changes (see release.ts).
   */
  async releasing(patterns: string[], holder: string, reason?: string): Promise<RecordChange[]> {
    if (patterns.length === 0) return [];
    return releasing(this.ctx, this.ctx.requireAgent(), patterns, holder, reason);
  }

  /**
   * Releases locks: this agent's own, or with `force` another agent's (the history records who
   * broke it and why). All or nothing.
   */
  async unlock(raw: string[], opts: UnlockOptions = {}): Promise<LockView[]> {
    const me = this.ctx.requireAgent();
    checkUnlock(raw.length, opts);
    return unlock(this.ctx, me, opts.all ? null : this.parse(raw), opts);
  }

  /** Removes dead records (see release.ts); returns the locks removed. */
  async prune(): Promise<LockView[]> {
    return (await prune(this.ctx, this.ctx.requireAgent())).removed;
  }

  /** The same, and the token marks removed with them (their refs). */
  async pruneWithMarks(budget = Infinity): Promise<{ removed: LockView[]; tokens: string[] }> {
    return prune(this.ctx, this.ctx.requireAgent(), budget);
  }

  /**
   * Extends this agent's locks (all of them when no pattern is given). A lock that has expired
   * meanwhile is granted afresh through the full protocol, since others may have locked
   * overlapping paths since.
   */
  async renew(raw: string[], opts: { ttlMs?: number | null } = {}): Promise<LockView[]> {
    const me = this.ctx.requireAgent();
    const pats = raw.length > 0 ? this.parse(raw) : null;
    const state = await readLocks(this.ctx, pats ? exact(pats) : [LOCKS], me);
    const mine = state.records.filter((r) => r.record.agent === me && r.record.state === 'granted');
    if (opts.ttlMs !== undefined && opts.ttlMs !== null) checkDurationMs(opts.ttlMs, 'lease');
    if (pats) {
      const missing = pats.filter((p) => !mine.some((r) => r.ref === lockRef(p)));
      if (missing.length > 0) {
        throw new RefusedError(`cannot renew: not held by you\n${missing.map((p) => `  ${printable(p.text)}`).join('\n')}`, { kind: 'not-held', patterns: missing.map((p) => p.text) });
      }
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
    for (const g of groups.values()) out.push(...(await acquire(this.ctx, me, g.pats, g.ttl, undefined, { optimistic: false })));
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
      const { records } = await readLocks(this.ctx, overlapping(pats), null, opts.mode ?? this.ctx.readMode());
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
    const { records } = await readLocks(this.ctx, coveringPaths(paths), null, mode);
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
    const { records } = await readLocks(this.ctx, [...refs.keys()], null, mode);
    const out = new Map<string, LockRecord>();
    for (const r of records) {
      const p = refs.get(r.ref);
      if (p !== undefined && r.record.pattern === p) out.set(p, r.record);
    }
    return out;
  }
}
