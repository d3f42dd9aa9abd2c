/**
 * `prune` of messages: deletes the refs of expired direct deliveries and of the old layout's
 * @all and channel messages (one ref each), and re-roots the senders' chains
 * (`messages/bcast/<agent>`): a chain holding expired messages is replaced by a new parentless
 * chain of copies of its unexpired ones, and a chain with none left is deleted. An expired
 * message is shown to nobody (rules.ts, `visible`), and what its sender's status needs (who
 * acknowledged it, dead letters) is kept in the agents' own records, not on these refs:
 * deleting them changes no answer. Readers' marks hold send times, so a re-rooted chain is read
 * as the same chain. Each change is leased on the value read; a chain its sender moved
 * meanwhile is left for its sender's own sends to re-root.
 */
import { decode, type NewRecord, type RefUpdate } from '../store/records.js';
import { BCAST, BROADCASTS, CHANNELS, MESSAGES } from '../store/layout.js';
import { lost, rounds, won } from '../store/cas.js';
import type { Coord } from '../session/coord.js';
import { MessageRecord } from './schema.js';
import { expired } from './rules.js';
import { readChains } from './box.js';

/** Deletes per push: a push's arguments are bounded (store/remote.ts), about 200 bytes a delete. */
const BATCH = 1_000;

/**
 * Removes expired messages' refs and drops expired messages from the chains; returns how many
 * messages it removed. `budget`: stop deleting refs after about this many (upkeep's small step);
 * the chains are re-rooted in one swap whenever the budget is not spent.
 */
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
    if (n < BATCH || removed >= budget) break;
  }
  return removed >= budget ? removed : removed + (await pruneChains(ctx));
}

/** Re-roots (or deletes) every chain holding an expired message, in one leased swap; returns how many messages left the chains. */
async function pruneChains(ctx: Coord): Promise<number> {
  return rounds(async () => {
    const heads = await ctx.store.entries([BCAST], 'authority');
    const chains = await readChains(ctx, heads, []);
    const now = ctx.now();
    const updates: RefUpdate[] = [];
    const copies: NewRecord[] = [];
    let dropped = 0;
    for (const chain of chains.values()) {
      const live = chain.messages.filter((m) => !expired(m.record, now)).reverse();
      if (live.length === chain.messages.length) continue;
      dropped += chain.messages.length - live.length;
      let prev: string | null = null;
      for (const m of live) {
        const copy: NewRecord = { subject: `message ${m.record.id}${m.record.subject ? `: ${m.record.subject}` : ''}`, record: m.record, parents: prev ? [prev] : [], agent: m.record.from, timeMs: now };
        prev = ctx.store.ids([copy])[0]!;
        copies.push(copy);
      }
      updates.push({ ref: chain.ref, newOid: prev, oldOid: chain.head });
    }
    if (updates.length === 0) return won(0);
    if (copies.length > 0) await ctx.store.write(copies);
    if (!(await ctx.store.swap(updates)).ok) return lost();
    return won(dropped);
  }, { max: 10 });
}
