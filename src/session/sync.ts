/** `sync`: bring the local view of a remote authority's coordination state (locks, history, tasks, presence, messages, shared context) up to date. */
import { AGENTS, CONTEXT, JOURNAL, LOCKS, MESSAGES, TASKS } from '../store/layout.js';
import type { Coord } from './coord.js';
import { Locks } from '../locks/locks.js';

export interface SyncReport {
  remote: string | null;
  syncedAt: string | null;
  /** Live locks in the refreshed view. */
  locks: number;
}

export async function sync(ctx: Coord): Promise<SyncReport> {
  if (!ctx.store.remote) return { remote: null, syncedAt: null, locks: (await new Locks(ctx).list()).length };
  await ctx.store.refresh([LOCKS, JOURNAL, TASKS, AGENTS, MESSAGES, CONTEXT], 'authority');
  const view = ctx.viewInfo()!;
  return { remote: view.remote, syncedAt: view.syncedAt, locks: (await new Locks(ctx).list()).length };
}
