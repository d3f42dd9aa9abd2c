/**
 * A task record as read, and the one way records on the shelves are read from refs: records.ts
 * (the live shelves) and archive.ts (an older board's done and failed shelves) both use it.
 */
import { printable } from '../printable.js';
import { TASK_SHELVES, taskRef, taskShelf, type TaskShelf } from '../store/layout.js';
import { decode, type RefEntry } from '../store/records.js';
import type { Coord } from '../session/coord.js';
import { TaskRecord } from './schema.js';

/** A task record as read, with where it lives. */
export interface Held {
  ref: string;
  oid: string;
  shelf: TaskShelf;
  record: TaskRecord;
  /** Found in an archive: `ref` and `oid` are the archive's ref and tip. */
  archived?: true;
}

/**
 * The task records among `entries` (refs on the shelves), each on its own ref, and the refs that
 * hold none (`unreadable`: damaged, or a record naming another task), each warned of once.
 */
export function shelfRecords(ctx: Coord, entries: RefEntry[]): { held: Held[]; unreadable: Map<string, string> } {
  const { records, corrupt } = decode(TaskRecord, entries);
  const unreadable = new Map<string, string>();
  for (const c of corrupt) {
    ctx.warn(`skipping unreadable task record ${c.ref} (${c.oid.slice(0, 10)}): ${c.problem}`);
    unreadable.set(c.ref, c.problem);
  }
  const held: Held[] = [];
  for (const r of records) {
    const shelf = TASK_SHELVES.find((s) => r.ref.startsWith(taskShelf(s)));
    // A record on the wrong ref (made by hand) would shadow the real one: trust matching names only.
    if (!shelf || r.ref !== taskRef(shelf, r.record.id)) {
      ctx.warn(`skipping task record ${r.ref}: it names task ${printable(r.record.id)}`);
      unreadable.set(r.ref, `it names task ${printable(r.record.id)}`);
      continue;
    }
    held.push({ ref: r.ref, oid: r.oid, shelf, record: r.record });
  }
  return { held, unreadable };
}
