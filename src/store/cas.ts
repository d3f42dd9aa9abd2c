/**
 * Compare-and-swap rounds: the one retry loop every concept uses.
 *
 * A change to records is a round of { read; decide; commit }. The commit is one atomic swap that
 * expects every ref to hold what the read saw; when another writer moved one of them first, the
 * swap fails (a lost race), nothing is written, and the next round reads again and decides
 * afresh, after a short randomised pause so that racers spread out. A decision may also be a
 * final answer (nothing to write: already done) or a refusal (the decide step throws: the error
 * goes to the caller as it is). After MAX_ROUNDS lost rounds the caller gets FailedError.
 *
 *   cas(store, me, async (round) => {
 *     const s = await read();                     // the state, with this agent's journal head
 *     if (done(s)) return answer(result);         // nothing to write
 *     if (bad(s)) throw new RefusedError(...);    // a refusal
 *     return commit([change], s.journal, now, result);
 *   });
 *
 * `rounds` is the same loop for protocols whose round commits in its own way (a lock grant's
 * pending write, several candidates tried in one round, a ref outside the journal): the attempt
 * returns `won(value)` or `lost()`.
 */
import { FailedError } from '../errors.js';
import { commitWithJournal, type RecordChange } from './journal.js';
import type { RefUpdate, Store } from './records.js';

/** How many rounds a change may lose before it gives up. */
export const MAX_ROUNDS = 50;
export const GAVE_UP = 'gave up after repeated lost races; try again';

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** The pause after lost round `round` (0, 1, ...): 2.5-7.5 ms at first, growing, at most 240 ms. */
export function jitter(round: number): number {
  return Math.min(200, 5 * 2 ** Math.min(round, 5)) * (0.5 + Math.random());
}

/** How a round ended: won with a value, or lost (read and decide again; `pause: false`: at once). */
export type Outcome<T> = { won: T } | { lost: true; pause: boolean };

export function won<T>(value: T): Outcome<T> {
  return { won: value };
}

export function lost<T = never>(opts: { pause?: boolean } = {}): Outcome<T> {
  return { lost: true, pause: opts.pause ?? true };
}

export interface RoundOptions<T> {
  /** At most this many rounds (default MAX_ROUNDS). */
  max?: number;
  /** Called after each lost round (in `cas`: each lost commit; counters of lost races). */
  onLost?: (round: number) => void;
  /** What to do when every round was lost: default, throw FailedError(GAVE_UP). */
  exhausted?: () => T;
  /** The pause between rounds (tests pass their own). */
  sleep?: (ms: number) => Promise<void>;
}

/** Runs `attempt(0)`, `attempt(1)`, ... until one is won; pauses `jitter(round)` after a lost one. */
export async function rounds<T>(attempt: (round: number) => Promise<Outcome<T>>, opts: RoundOptions<T> = {}): Promise<T> {
  const max = opts.max ?? MAX_ROUNDS;
  const pause = opts.sleep ?? sleep;
  for (let round = 0; round < max; round++) {
    const o = await attempt(round);
    if ('won' in o) return o.won;
    opts.onLost?.(round);
    if (o.pause && round + 1 < max) await pause(jitter(round));
  }
  if (opts.exhausted) return opts.exhausted();
  throw new FailedError(GAVE_UP);
}

/** What a round decided: a final answer (nothing written), changes to commit, or to read again. */
export type Decision<T> =
  | { answer: T }
  | { changes: RecordChange[]; journal: string | null; now: number; extra?: RefUpdate[]; result: T }
  | { again: true; pause: boolean };

/** Nothing to write: `value` is the answer. */
export function answer<T>(value: T): Decision<T> {
  return { answer: value };
}

/**
 * Commit `changes` with their journal entries (commitWithJournal) on the journal head `journal`
 * as read; `extra` updates ride along in the same swap. `result` is the answer if the commit wins.
 */
export function commit<T>(changes: RecordChange[], journal: string | null, now: number, result: T, extra: RefUpdate[] = []): Decision<T> {
  return { changes, journal, now, extra, result };
}

/** Read and decide again without writing (a generated id clashed, say); `pause: false`: at once. */
export function again<T = never>(opts: { pause?: boolean } = {}): Decision<T> {
  return { again: true, pause: opts.pause ?? true };
}

/**
 * Rounds of { read; decide } (`round`) and commit as `me`, until a commit wins or a decision is
 * final. A lost commit counts in `onLost`; a decision to read `again` does not.
 */
export async function cas<T>(store: Store, me: string, round: (round: number) => Promise<Decision<T>>, opts: RoundOptions<T> = {}): Promise<T> {
  const { onLost, ...rest } = opts;
  return rounds(async (n) => {
    const d = await round(n);
    if ('answer' in d) return won(d.answer);
    if ('again' in d) return lost({ pause: d.pause });
    if ((await commitWithJournal(store, me, d.changes, d.journal, d.now, d.extra)).ok) return won(d.result);
    onLost?.(n);
    return lost();
  }, rest);
}
