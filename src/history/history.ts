/** The history: every agent's journal, merged newest first. */
import { JOURNAL } from '../store/layout.js';
import type { JournalEntry } from '../store/journal.js';
import type { Coord } from '../session/coord.js';
import { EventRecord } from './schema.js';

/** An entry as `log` shows it (as written by store/journal.ts). */
export type HistoryEntry = JournalEntry;

export async function history(ctx: Coord, max: number): Promise<HistoryEntry[]> {
  // git orders entries by commit time in whole seconds: read extra, then order by the records'
  // milliseconds, so entries within one second across agents still come newest first.
  const { records, corrupt } = await ctx.store.history(EventRecord, JOURNAL, max * 2 + 50, ctx.readMode());
  for (const c of corrupt) {
    ctx.warn(c.missing ? `skipping journal ${c.ref} (${c.oid.slice(0, 10)}): ${c.problem}` : `skipping unreadable history entry ${c.oid.slice(0, 10)}: ${c.problem}`);
  }
  return records
    .map(({ record }) => entryOf(record))
    .sort((a, b) => Date.parse(b.at) - Date.parse(a.at))
    .slice(0, max);
}

/** A journal record as `log --json` (and `watch`) shows it. */
export function entryOf(r: EventRecord): HistoryEntry {
  return {
    at: r.at,
    agent: r.agent,
    action: r.action,
    subject: r.subject,
    ...(r.reason ? { reason: r.reason } : {}),
    ...(r.other ? { other: r.other } : {}),
  };
}
