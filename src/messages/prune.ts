/**
 * `prune`: deletes the refs of expired messages, direct deliveries and @all and channel ones
 * alike. An expired message is shown to nobody (rules.ts, `visible`), and what its sender's
 * status needs (who acknowledged it, dead letters) is kept in the agents' own acknowledgement
 * records, not on these refs: deleting them changes no answer. Each delete is leased on the
 * value read. The sender deletes its own expired @all and channel refs on its next send anyway;
 * one already deleted here costs that send one more round (it then skips it).
 */
import { decode, type RefUpdate } from '../store/records.js';
import { BROADCASTS, CHANNELS, MESSAGES } from '../store/layout.js';
import { lost, rounds, won } from '../store/cas.js';
import type { Coord } from '../session/coord.js';
import { MessageRecord } from './schema.js';
import { expired } from './rules.js';

/** Deletes per push: a push's arguments are bounded (store/remote.ts), about 200 bytes a delete. */
const BATCH = 1_000;

/** Removes expired messages' refs; returns how many refs it deleted. */
export async function pruneMessages(ctx: Coord, budget = Infinity): Promise<number> {
  let removed = 0;
  for (;;) {
    const n = await rounds(async () => {
      const entries = await ctx.store.entries([`${MESSAGES}to/`, BROADCASTS, CHANNELS], 'authority');
      const now = ctx.now();
      const { records } = decode(MessageRecord, entries);
      const gone: RefUpdate[] = records.filter((r) => expired(r.record, now)).slice(0, Math.min(BATCH, budget - removed)).map((r) => ({ ref: r.ref, newOid: null, oldOid: r.oid }));
      if (gone.length === 0) return won(0);
      if (!(await ctx.store.swap(gone)).ok) return lost();
      return won(gone.length);
    }, { max: 10 });
    removed += n;
    if (n < BATCH || removed >= budget) return removed;
  }
}
