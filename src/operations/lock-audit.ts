/**
 * The server's rule for lock refs: no push frees a held path unrecorded. git-coord records every
 * change of a lock in the acting agent's journal, in the same atomic push: a release (`unlock` by
 * the holder, `break` by another, `expire`) deletes the lock's ref and adds an entry whose second
 * parent is the lock's final record (state `released`, its first parent the record the ref held);
 * a renewal moves the ref to the renewed record and adds a `renew` entry pointing at it
 * (store/journal.ts, locks/rules.ts). A raw `git push :<lock ref>`, or a push of some other
 * record over it, comes with no such entry: pre-receive refuses it.
 *
 * Only a record that holds a path is guarded: granted and not about to expire by the server's
 * clock. A pending record is withdrawn or granted unrecorded by design (it never held a path),
 * and an expired lock is taken over by writing a pending record over it.
 */
import { firstParentChain, readRecordCommits, type RecordCommit } from '../git/chain.js';
import { JOURNAL, LOCKS } from '../store/layout.js';
import { parseBody } from '../store/records.js';
import { AGENT_ID } from '../agents/id.js';
import { LockRecord } from '../locks/schema.js';
import { EventRecord } from '../history/schema.js';
import type { Coord } from '../session/coord.js';

/** The state of a record that holds its path (`granted`): the shell hook's prefilter looks for this word. */
export const HELD_STATE = 'granted' satisfies LockRecord['state'];

/**
 * A lock this close to its expiry by the server's clock already counts as expired: a client whose
 * clock runs a little ahead may take it over (an unrecorded pending write over it).
 */
export const EXPIRY_SKEW_MS = 5_000;

/** One line of pre-receive's input. */
export interface RefLine {
  oldOid: string;
  newOid: string;
  ref: string;
}

/** A held lock that a push would delete or rewrite without the record of it. */
export interface UnrecordedFree {
  ref: string;
  pattern: string;
  /** The holder. */
  agent: string;
  expiresAt: string | null;
  /** Deleted (true), or moved to another record. */
  deleted: boolean;
}

const ZERO = /^0+$/;
const RELEASES = new Set(['unlock', 'break', 'expire']);

/** Whether a lock record holds its path at `now` by the server's clock. */
function holds(r: LockRecord, now: number): boolean {
  return r.state === HELD_STATE && (r.expiresAt === null || Date.parse(r.expiresAt) > now + EXPIRY_SKEW_MS);
}

function lockOf(c: RecordCommit | undefined): LockRecord | null {
  if (!c) return null;
  const p = parseBody(LockRecord, c.body);
  return p.ok ? p.value : null;
}

/**
 * Whether `entry` (on `agent`'s journal) records the change of the lock `held` (at `oldOid`)
 * into `target` (the released final state, or the ref's new record).
 */
function records(entry: RecordCommit, agent: string, held: LockRecord, oldOid: string, target: RecordCommit, deleted: boolean): boolean {
  const ev = parseBody(EventRecord, entry.body);
  const t = lockOf(target);
  if (!ev.ok || !t || entry.parents[1] !== target.oid || target.parents[0] !== oldOid) return false;
  const e = ev.value;
  if (e.agent !== agent || t.event.by !== agent || e.action !== t.event.action || e.subject !== held.pattern) return false;
  if (t.pattern !== held.pattern || t.agent !== held.agent || t.token !== held.token) return false;
  if (deleted) {
    if (t.state !== 'released' || !RELEASES.has(e.action)) return false;
    if (e.action === 'unlock') return agent === held.agent;
    if (e.action === 'break') return agent !== held.agent && e.other === held.agent;
    return true;
  }
  return e.action === 'renew' && agent === held.agent && t.state === HELD_STATE;
}

/**
 * The lock refs of a push (pre-receive's lines) that are deleted or moved away from a record
 * holding a path, with no journal entry of the same push recording that change.
 */
export async function unrecordedFrees(ctx: Coord, lines: RefLine[]): Promise<UnrecordedFree[]> {
  const changed = lines.filter((l) => l.ref.startsWith(LOCKS) && !ZERO.test(l.oldOid) && l.oldOid !== l.newOid);
  if (changed.length === 0) return [];
  const now = ctx.now();
  const old = await readRecordCommits(ctx.repo, changed.map((l) => l.oldOid));
  const held = changed
    .map((l) => ({ line: l, rec: lockOf(old.get(l.oldOid)) }))
    .filter((h): h is { line: RefLine; rec: LockRecord } => h.rec !== null && holds(h.rec, now));
  if (held.length === 0) return [];
  // The entries this push adds to each journal, and the records they describe.
  const entries: { agent: string; commit: RecordCommit }[] = [];
  for (const j of lines.filter((l) => l.ref.startsWith(JOURNAL) && !ZERO.test(l.newOid))) {
    const agent = j.ref.slice(JOURNAL.length);
    if (!AGENT_ID.test(agent)) continue;
    const chain = await firstParentChain(ctx.repo, j.newOid, ZERO.test(j.oldOid) ? null : j.oldOid);
    const read = await readRecordCommits(ctx.repo, chain);
    for (const oid of chain) {
      const c = read.get(oid);
      if (c && c.parents.length === 2) entries.push({ agent, commit: c });
    }
  }
  const targets = await readRecordCommits(ctx.repo, entries.map((e) => e.commit.parents[1]!));
  const out: UnrecordedFree[] = [];
  for (const { line, rec } of held) {
    const deleted = ZERO.test(line.newOid);
    const ok = entries.some((e) => {
      const target = targets.get(e.commit.parents[1]!);
      return target !== undefined && (deleted || target.oid === line.newOid) && records(e.commit, e.agent, rec, line.oldOid, target, deleted);
    });
    if (!ok) out.push({ ref: line.ref, pattern: rec.pattern, agent: rec.agent, expiresAt: rec.expiresAt, deleted });
  }
  return out;
}
