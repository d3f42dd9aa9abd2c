/**
 * Reading locks: which refs a question needs (query planning: a handful of prefix queries for the
 * locks that could overlap a pattern or cover a path, or every lock when that is cheaper), and
 * one read of them, decoded, with the token marks and this agent's journal head.
 */
import { LOCKS, TOKENS, coveringQuery, journalRef, lockRef, overlapQuery, tokenQuery } from '../store/layout.js';
import { decode, type Corrupt, type ReadMode, type RefEntry, type Schema, type Stored } from '../store/records.js';
import type { Coord } from '../session/coord.js';
import type { Pattern } from '../patterns/pattern.js';
import type { LockRecord, TokenMark } from './schema.js';
import type { Marks } from './tokens.js';

/** Above this many patterns one read of every lock beats per-pattern queries. */
const QUERY_ALL_ABOVE = 64;
/** Staged paths are cheaper to query (a prefix lookup each, measured ~6 ms for 1,000). */
const QUERY_PATHS_ALL_ABOVE = 20_000;

/** What is on a lock's ref: a record (or an unreadable one). */
export interface Current {
  oid: string;
  /** null: unreadable. */
  record: LockRecord | null;
  /** The ref names a missing object: there is nothing to build on or to restore. */
  missing?: true;
}

export interface LockState {
  records: Stored<LockRecord>[];
  corrupt: Corrupt[];
  byRef: Map<string, Current>;
  marks: Marks;
  journal: string | null;
}

/** The locks that could overlap any of `pats`. */
export function overlapping(pats: Pattern[]): string[] {
  if (pats.length > QUERY_ALL_ABOVE) return [LOCKS];
  return [...new Set(pats.flatMap(overlapQuery))];
}

/** The locks that could cover any of `paths` (concrete files). */
export function coveringPaths(paths: string[]): string[] {
  return paths.length > QUERY_PATHS_ALL_ABOVE ? [LOCKS] : coveringQuery(paths);
}

/** The records on exactly these patterns' refs, with every token mark of their directories. */
export function exact(pats: Pattern[]): string[] {
  return [...pats.map(lockRef), ...new Set(pats.map(tokenQuery))];
}

/** A grant's read: the locks that could overlap, and every token mark of the patterns' directories. */
export function forGrant(pats: Pattern[]): string[] {
  return [...overlapping(pats), ...new Set(pats.map(tokenQuery))];
}

/** Every lock and every token mark. */
export const EVERYTHING = [LOCKS, TOKENS];

/**
 * The record schemas, loaded when a record must be checked: zod costs a command several ms to
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

/**
 * Reads lock records (and `me`'s journal head) in one git call. Decisions read the authority
 * itself ('authority'); read-only commands read as the session's policy says. Records this
 * process wrote (`written`, by id) are known without parsing.
 */
export async function readLocks(ctx: Coord, query: string[], me: string | null, mode: ReadMode = 'authority', written?: Map<string, LockRecord>): Promise<LockState> {
  const jref = me ? journalRef(me) : null;
  const reading = ctx.store.entries(jref ? [...query, jref] : query, mode);
  // A question about others' locks (no agent: not a grant) nearly always meets records others
  // wrote: their schema (and zod) loads while git reads, not after. A grant's read usually meets
  // only its own records, and loads the schema only if it must.
  if (me === null) lockSchema().catch(() => undefined);
  const entries = await reading;
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
  for (const c of corrupt) ctx.warn(`skipping unreadable lock record ${c.ref} (${c.oid.slice(0, 10)}): ${c.problem}`);
  const byRef = new Map<string, Current>();
  for (const r of records) byRef.set(r.ref, { oid: r.oid, record: r.record });
  for (const c of corrupt) byRef.set(c.ref, { oid: c.oid, record: null, ...(c.missing ? { missing: true as const } : {}) });
  // A mark that cannot be read is replaced by the next release; until then it counts as 0, and
  // the clock floor of new tokens (see rules.ts, pendingRecord) still applies.
  const marks: Marks = new Map();
  const read = markEntries.length > 0 ? decode(await markSchema(), markEntries) : { records: [], corrupt: [] };
  for (const m of read.records) marks.set(m.ref, { oid: m.oid, max: m.record.max });
  for (const c of read.corrupt) {
    ctx.warn(`skipping unreadable token mark ${c.ref} (${c.oid.slice(0, 10)}): ${c.problem}`);
    marks.set(c.ref, { oid: c.oid, max: 0, ...(c.missing ? { missing: true as const } : {}) });
  }
  return { records, corrupt, byRef, marks, journal };
}
