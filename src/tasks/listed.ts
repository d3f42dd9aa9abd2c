/**
 * Records of refs already listed (names and ids in hand): read by id from the objects, one
 * `cat-file --batch` exchange, instead of listing the refs again. Listing named refs is no cheaper
 * than listing their directory: git loads a loose-ref directory whole, so reading the 32 named
 * candidates of a 5,000-task queue walked all 5,000 (docs/design.md, "Ready work"). Any id this
 * repository lacks (a remote's record not fetched yet): the refs are read as before.
 */
import type { Coord } from '../session/coord.js';
import type { ReadMode, RefEntry } from '../store/records.js';

export async function readListed(ctx: Coord, listed: { ref: string; oid: string }[], mode: ReadMode): Promise<RefEntry[]> {
  if (listed.length === 0) return [];
  const bodies = await ctx.store.bodies([...new Set(listed.map((l) => l.oid))]);
  if (listed.every((l) => bodies.has(l.oid))) return listed.map((l) => ({ ref: l.ref, oid: l.oid, body: bodies.get(l.oid)! }));
  return ctx.store.entries(listed.map((l) => l.ref), mode);
}
