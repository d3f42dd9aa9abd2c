/** The history and the view of a remote: log, sync. */
import { history, type HistoryEntry } from '../history/history.js';
import { sync as syncView, type SyncReport } from '../session/sync.js';
import type { Coord } from '../session/coord.js';
import { checkCount } from './input.js';

export async function log(ctx: Coord, input: { n?: number } = {}): Promise<HistoryEntry[]> {
  return history(ctx, checkCount(input.n ?? 20, 'n'));
}

export async function sync(ctx: Coord): Promise<{ ok: true } & SyncReport> {
  return { ok: true, ...(await syncView(ctx)) };
}
