/**
 * The archives of finished tasks (docs/design.md, "The archive"). A done or failed task leaves
 * the shelves in the swap that finishes it: its open and queue refs are deleted (its final record
 * is still written, the journal entry's second parent, as before) and the record goes into the
 * finisher's archive, `tasks/archive/<agent>`: a commit whose tree holds one blob per task
 * (store/trees.ts, keyed by the escaped id), parent the previous archive, and whose message
 * records how many it holds and which of them failed (what the board shows without reading all).
 *
 * Every task write commits through records.ts's commitTasks: the changes taskChange built for an
 * archived task (or for one being finished) are noted here (`routed`), and commitTasks turns the
 * notes into the archive refs' new commits, in the same swap.
 *
 * `findFinished` is the one way to look finished tasks up: the archives, and the done and failed
 * shelves a board written before the archive may still hold.
 */
import * as z from 'zod/mini';
import { printable } from '../printable.js';
import { cut } from '../fields.js';
import { ARCHIVE, archiveRef, escapeComponent, taskRef, taskShelf, unescapeComponent } from '../store/layout.js';
import { decode, parseBody, type ReadMode, type RefEntry, type RefUpdate } from '../store/records.js';
import { listEntriesOf, readEntriesOf, writeTree } from '../store/trees.js';
import type { RecordChange } from '../store/journal.js';
import type { Coord } from '../session/coord.js';
import { TaskId, TaskRecord } from './schema.js';
import { shelfRecords, type Held } from './held.js';

/** The tasks among `entries` of the old done and failed shelves. */
function shelved(ctx: Coord, entries: RefEntry[]): Held[] {
  return shelfRecords(ctx, entries.filter((e) => e.ref.startsWith(taskShelf('done')) || e.ref.startsWith(taskShelf('failed')))).held;
}

/** An archive commit's record. */
export const ArchiveRecord = z.object({
  v: z.literal(1),
  type: z.literal('task-archive'),
  /** How many tasks the tree holds. */
  count: z.number().check(z.int(), z.nonnegative()),
  /** The ids of those that failed (the board lists them; reopen takes them out). */
  failed: z.array(TaskId),
});
export type ArchiveRecord = z.infer<typeof ArchiveRecord>;

export interface Archive {
  ref: string;
  oid: string;
  record: ArchiveRecord;
}

/** The key of a task in an archive tree. */
export function archiveKey(id: string): string {
  return escapeComponent(id);
}

/** What a task change does to an archive, noted by taskChange for commitTasks. */
export type ArchiveOp =
  | { kind: 'put'; id: string; record: TaskRecord }
  | { kind: 'drop'; ref: string; oid: string; id: string }
  | { kind: 'replace'; ref: string; oid: string; id: string; record: TaskRecord };

const ops = new WeakMap<RecordChange, ArchiveOp>();

/**
 * The change for `rec` of a task read as `held` where an archive is concerned (else `change` as
 * built): finishing an open task (the open ref deleted, the record to the finisher's archive),
 * reopening an archived one (the open ref created, the entry dropped), or rewriting one that
 * stays archived (the entry replaced; the record commit is written for the history, no ref).
 */
export function routed(held: Held | null, rec: TaskRecord, change: RecordChange): RecordChange {
  const finished = rec.status === 'done' || rec.status === 'failed';
  const open = taskRef('open', rec.id);
  if (held?.archived) {
    if (finished) {
      const c: RecordChange = { ...change, ref: open, oldOid: null, remove: true, mirrors: [] };
      delete c.movedFrom;
      ops.set(c, { kind: 'replace', ref: held.ref, oid: held.oid, id: rec.id, record: rec });
      return c;
    }
    const c: RecordChange = { ...change, oldOid: null };
    delete c.movedFrom;
    ops.set(c, { kind: 'drop', ref: held.ref, oid: held.oid, id: rec.id });
    return c;
  }
  if (finished && held === null) {
    // Created finished (an import): straight into the archive; its open ref verified absent.
    const c: RecordChange = { ...change, ref: open, oldOid: null, remove: true, mirrors: [] };
    ops.set(c, { kind: 'put', id: rec.id, record: rec });
    return c;
  }
  if (finished && held !== null && held.shelf === 'open') {
    // Leaves the open shelf and the queue; the record goes into the archive.
    const c: RecordChange = { ...change, ref: held.ref, oldOid: held.oid, remove: true, mirrors: change.mirrors };
    delete c.movedFrom;
    ops.set(c, { kind: 'put', id: rec.id, record: rec });
    return c;
  }
  return change;
}

/** Reads the archives (a remote's fetched now; in view mode when the view's are older than the rest): their refs, tips and records. */
export async function readArchives(ctx: Coord, mode: ReadMode, extra: string[] = []): Promise<{ archives: Archive[]; entries: RefEntry[] }> {
  // A sync refreshes the shelves but never the archives (a first sync stays small): a read that
  // needs finished tasks fetches the archives on demand, in view mode too when the view's are
  // older than the rest of the view (store/remote.ts).
  const all = await ctx.store.entries([ARCHIVE, ...extra], mode);
  const mine = all.filter((e) => e.ref.startsWith(ARCHIVE));
  const { records, corrupt } = decode(ArchiveRecord, mine);
  for (const c of corrupt) ctx.warn(`skipping unreadable task archive ${c.ref} (${c.oid.slice(0, 10)}): ${c.problem}`);
  return { archives: records, entries: all.filter((e) => !e.ref.startsWith(ARCHIVE)) };
}

function parseEntry(ctx: Coord, a: Archive, key: string, body: Buffer): Held | null {
  const r = parseBody(TaskRecord, body.toString('utf8'));
  if (!r.ok || archiveKey(r.value.id) !== key || (r.value.status !== 'done' && r.value.status !== 'failed')) {
    ctx.warn(`skipping unreadable entry ${printable(unescapeComponent(key))} of task archive ${a.ref}: ${r.ok ? 'not a finished task of that id' : r.problem}`);
    return null;
  }
  return { ref: a.ref, oid: a.oid, shelf: r.value.status === 'done' ? 'done' : 'failed', record: r.value, archived: true };
}

/**
 * How many finished tasks are done, from the archives' own records (each keeps its count and its
 * failed ids) and an older board's done shelf: what the board counts without reading every entry.
 */
function doneIn(archives: Archive[], entries: RefEntry[]): number {
  return archives.reduce((n, a) => n + Math.max(0, a.record.count - a.record.failed.length), 0) + entries.filter((e) => e.ref.startsWith(taskShelf('done'))).length;
}

/**
 * What the board shows of finished tasks from one read of the archives: `ids` looked up (as
 * findFinished with shelves) and how many are done (doneIn).
 */
export async function finishedAndDoneCount(ctx: Coord, ids: string[], mode: ReadMode): Promise<{ found: Map<string, Held>; done: number }> {
  const { archives, entries } = await readArchives(ctx, mode, [taskShelf('done'), ...ids.map((id) => taskRef('failed', id))]);
  const asked = new Set(ids.flatMap((id) => [taskRef('done', id), taskRef('failed', id)]));
  return { found: await pick(ctx, archives, entries.filter((e) => asked.has(e.ref)), ids), done: doneIn(archives, entries) };
}

/**
 * Finished tasks by id (`ids`; null: every one; 'failed': every failed one), from the archives
 * and, with `shelves`, from the done and failed shelves of a board written before the archive.
 * One read of the refs (a remote's fetched in one go), then one `cat-file` exchange for the
 * entries asked by id. A task found twice (archived by two agents after a reopen race that
 * cannot happen, or hand-made) is the one updated last.
 */
export async function findFinished(ctx: Coord, ids: string[] | null | 'failed', mode: ReadMode, opts: { shelves?: boolean } = {}): Promise<Map<string, Held>> {
  const shelfPatterns = !opts.shelves ? [] : Array.isArray(ids) ? ids.flatMap((id) => [taskRef('done', id), taskRef('failed', id)]) : [taskShelf('done'), taskShelf('failed')];
  if (Array.isArray(ids) && ids.length === 0) return new Map();
  const { archives, entries } = await readArchives(ctx, mode, shelfPatterns);
  return pick(ctx, archives, entries, ids);
}

/** findFinished's answer from what it read: the shelves' `entries` and the archives. */
async function pick(ctx: Coord, archives: Archive[], entries: RefEntry[], ids: string[] | null | 'failed'): Promise<Map<string, Held>> {
  const found = new Map<string, Held>();
  const keep = (h: Held | null) => {
    if (!h) return;
    if (ids === 'failed' && h.record.status !== 'failed') return;
    const before = found.get(h.record.id);
    if (!before || Date.parse(h.record.updatedAt) > Date.parse(before.record.updatedAt)) found.set(h.record.id, h);
  };
  for (const h of shelved(ctx, entries)) keep(h);
  if (archives.length === 0 || (Array.isArray(ids) && ids.length === 0)) return found;
  // Asking every archive for every id costs more than listing them whole once the asks
  // outnumber the entries (a big import on a board with many finishers).
  const entryCount = archives.reduce((n, a) => n + a.record.count, 0);
  if (ids === null || (Array.isArray(ids) && ids.length * archives.length > entryCount)) {
    // (Only the entries asked for, each where its key hashes to: what asking by path would find.)
    const wanted = ids === null ? undefined : new Set(ids.map(archiveKey));
    const lists = await listEntriesOf(ctx.store, archives.map((a) => `${a.oid}^{tree}`), undefined, wanted);
    archives.forEach((a, i) => {
      for (const [key, body] of lists[i]!) keep(parseEntry(ctx, a, key, body));
    });
    return found;
  }
  const asks = archives.flatMap((a) => (ids === 'failed' ? a.record.failed : ids).map((id) => ({ a, key: archiveKey(id) })));
  const got = await readEntriesOf(ctx.store, asks.map((q) => ({ tree: q.a.oid, key: q.key })));
  asks.forEach((q, i) => {
    const body = got[i];
    if (body) keep(parseEntry(ctx, q.a, q.key, body));
  });
  return found;
}

/**
 * The archive refs' updates for the archive notes among `changes`: per archive, a new tree with
 * the entries put, replaced or dropped, committed on the tip read (the acting agent's archive is
 * read now, leased like every ref). Null when the notes disagree on an archive's tip (read
 * again).
 */
export async function archiveUpdates(ctx: Coord, changes: RecordChange[], now: number): Promise<RefUpdate[] | null> {
  return archiveNotes(ctx, changes.map((c) => ops.get(c)).filter((o): o is ArchiveOp => o !== undefined), now);
}

/** The archive refs' updates for `notes` (see archiveUpdates). */
async function archiveNotes(ctx: Coord, notes: ArchiveOp[], now: number): Promise<RefUpdate[] | null> {
  if (notes.length === 0) return [];
  const me = ctx.requireAgent();
  const byRef = new Map<string, { tip: string | null | undefined; notes: ArchiveOp[] }>();
  for (const n of notes) {
    const ref = n.kind === 'put' ? archiveRef(me) : n.ref;
    const g = byRef.get(ref) ?? { tip: undefined, notes: [] };
    if (n.kind !== 'put') {
      if (g.tip !== undefined && g.tip !== n.oid) return null;
      g.tip = n.oid;
    }
    g.notes.push(n);
    byRef.set(ref, g);
  }
  const unknown = [...byRef].filter(([, g]) => g.tip === undefined).map(([ref]) => ref);
  if (unknown.length > 0) {
    const listed = await ctx.store.list(unknown, 'authority');
    for (const ref of unknown) byRef.get(ref)!.tip = listed.find((e) => e.ref === ref)?.oid ?? null;
  }
  const updates: RefUpdate[] = [];
  for (const [ref, g] of byRef) {
    const tip = g.tip ?? null;
    let rec: ArchiveRecord = { v: 1, type: 'task-archive', count: 0, failed: [] };
    if (tip !== null) {
      const body = (await ctx.store.bodies([tip])).get(tip);
      const parsed = body === undefined ? null : parseBody(ArchiveRecord, body);
      if (parsed?.ok) rec = parsed.value;
      else ctx.warn(`the task archive ${ref} has an unreadable record: its count starts again`);
    }
    const failed = new Set(rec.failed);
    let count = rec.count;
    const tree = new Map<string, Buffer | null>();
    for (const n of g.notes) {
      const key = archiveKey(n.id);
      if (n.kind === 'drop') {
        tree.set(key, null);
        failed.delete(n.id);
        count = Math.max(0, count - 1);
      } else {
        tree.set(key, Buffer.from(`${JSON.stringify(n.record)}\n`, 'utf8'));
        if (n.kind === 'put') count++;
        if (n.record.status === 'failed') failed.add(n.id);
        else failed.delete(n.id);
      }
    }
    const treeId = await writeTree(ctx.store, tip === null ? null : `${tip}^{tree}`, tree);
    const next: ArchiveRecord = { v: 1, type: 'task-archive', count, failed: [...failed].sort() };
    const ids = g.notes.map((n) => n.id).join(' ');
    const [oid] = await ctx.store.write([{ subject: cut(`archive ${ids}`, 150), record: next, parents: tip === null ? [] : [tip], agent: me, timeMs: now, tree: treeId }]);
    updates.push({ ref, newOid: oid!, oldOid: tip });
  }
  return updates;
}

/**
 * `extra` with the archive updates, verifications of a ref also updated (by the archive updates
 * or by the changes' own, `changed`) dropped: the update leases the same value and repeated verifications kept once. Null when a verification and an
 * update of one ref, or two verifications of it (an archive's tip read twice, by two reads of
 * one round), disagree on its value (read again).
 */
export function mergeUpdates(extra: RefUpdate[], archive: RefUpdate[], changed: RefUpdate[] = []): RefUpdate[] | null {
  const updated = new Map([...changed, ...archive].map((u) => [u.ref, u]));
  const out: RefUpdate[] = [...archive];
  const verified = new Map<string, string | null>();
  for (const u of extra) {
    const a = updated.get(u.ref);
    if (a && u.newOid === u.oldOid) {
      // (A delete expecting absence, as a change writes it, checks what the verification would.)
      if (a.oldOid !== u.oldOid) return null;
      continue;
    }
    if (u.newOid === u.oldOid) {
      if (verified.has(u.ref)) {
        if (verified.get(u.ref) !== u.oldOid) return null;
        continue;
      }
      verified.set(u.ref, u.oldOid);
    }
    out.push(u);
  }
  return out;
}

/** At most this many finished tasks move from the old shelves into an archive in one swap. */
export const MIGRATE_BATCH = 500;

/**
 * `prune`: moves the finished tasks still on the done and failed shelves (a board written before
 * the archive) into this agent's archive, in swaps of at most MIGRATE_BATCH: each record leaves
 * its shelf ref in the swap that writes it to the archive, so none is lost or doubled. Records
 * that do not parse stay where they are (reported). Returns how many moved.
 */
export async function migrateShelves(ctx: Coord, budget = Infinity): Promise<number> {
  const { rounds, won, lost } = await import('../store/cas.js');
  let moved = 0;
  // One read of the shelves, then batch after batch; a lost swap (another agent reopened or moved
  // one of them meanwhile) reads them again.
  let left: Held[] | null = null;
  for (;;) {
    const batch = await rounds(async () => {
      left ??= shelved(ctx, await ctx.store.entries([taskShelf('done'), taskShelf('failed')], 'authority'));
      const held = left.slice(0, Math.min(MIGRATE_BATCH, budget - moved));
      if (held.length === 0) return won(0);
      const now = ctx.now();
      const archive = await archiveNotes(ctx, held.map((h) => ({ kind: 'put' as const, id: h.record.id, record: h.record })), now);
      const r = archive === null ? { ok: false } : await ctx.store.swap([...held.map((h) => ({ ref: h.ref, newOid: null, oldOid: h.oid })), ...archive]);
      if (!r.ok) {
        left = null;
        return lost();
      }
      left = left.slice(held.length);
      return won(held.length);
    });
    moved += batch;
    if (batch === 0 || moved >= budget) return moved;
  }
}
