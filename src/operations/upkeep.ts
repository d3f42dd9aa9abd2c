/**
 * Upkeep: `prune` in small steps, run by the commands that write, so that what a board carries
 * stays bounded by what is live without anyone running `prune` (issue 17). After a command that
 * wrote has given its answer, the face calls `upkeep`:
 *
 * - at most once per `prune.auto` (default 10 minutes, counted from the first command that writes
 *   in the repository) per repository, one process (a claim file
 *   in `<git common dir>/git-coord/`) removes up to UPKEEP_BUDGET of each kind of dead state:
 *   expired locks and the token marks nobody needs, expired messages, agents not seen for
 *   `agents.forget`, finished tasks still on an older board's done/failed shelves (into the archive). Each is the same leased compare-and-swap `prune` makes, so it races
 *   nothing: a step that loses to another agent is simply done again next time;
 * - when about LOOSE_LIMIT loose objects have gathered (one `readdir` tells), it packs them: objects
 *   only (deleting a live ref that was packed rewrites the whole packed-refs file; `prune` packs refs).
 *
 * Upkeep never fails the command it follows: what it cannot do now, a later command does.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Coord } from '../session/coord.js';
import { prune } from './locks.js';

/** The most records of each kind one upkeep step removes: a few hundred ms through a remote. */
export const UPKEEP_BUDGET = 100;
/** A claim on the step older than this was left by a process that died: it is taken over. */
const CLAIM_STALE_MS = 5 * 60_000;

export interface Upkept {
  /** Records removed by the prune step (null: no step was due, or another process has it). */
  pruned: number | null;
  /** Whether loose objects were packed. */
  packed: boolean;
}

export async function upkeep(ctx: Coord): Promise<Upkept> {
  const done: Upkept = { pruned: null, packed: false };
  const { autoMs } = (await ctx.config()).prune;
  const dir = path.join(ctx.repo.commonDir, 'git-coord');
  if (autoMs !== null && ctx.agent() !== null && claimStep(dir, autoMs, Date.now())) {
    try {
      const r = await prune(ctx, { budget: UPKEEP_BUDGET, pack: false });
      done.pruned = r.locks.length + r.tokens.length + r.messages + r.agents.length + r.tasks;
    } finally {
      fs.rmSync(path.join(dir, 'upkeep.lock'), { force: true });
    }
  }
  if (ctx.store.packDue()) done.packed = (await ctx.store.packObjects()) === null;
  return done;
}

/**
 * Whether this process should take the prune step now: the last one started `everyMs` ago or
 * more (the stamp file's time), and no other process is taking it (the claim file, created
 * exclusively; a stale one is removed and the claim tried once more).
 */
function claimStep(dir: string, everyMs: number, now: number): boolean {
  const stamp = path.join(dir, 'upkeep');
  const claim = path.join(dir, 'upkeep.lock');
  const last = fs.statSync(stamp, { throwIfNoEntry: false })?.mtimeMs;
  if (last === undefined) {
    // The first command that writes here starts the clock: a new clone or board has nothing to prune yet.
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(stamp, '');
    return false;
  }
  if (now - last < everyMs) return false;
  for (let tries = 0; tries < 2; tries++) {
    try {
      fs.mkdirSync(dir, { recursive: true });
      fs.closeSync(fs.openSync(claim, 'wx'));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') return false;
      const held = fs.statSync(claim, { throwIfNoEntry: false })?.mtimeMs;
      if (held !== undefined && now - held < CLAIM_STALE_MS) return false;
      fs.rmSync(claim, { force: true });
      continue;
    }
    // Claimed: another process may have finished a step between the first look and the claim.
    const again = fs.statSync(stamp, { throwIfNoEntry: false })?.mtimeMs ?? 0;
    if (now - again < everyMs) {
      fs.rmSync(claim, { force: true });
      return false;
    }
    fs.writeFileSync(stamp, '');
    return true;
  }
  return false;
}
