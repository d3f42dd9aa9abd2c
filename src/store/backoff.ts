/** Waiting after a lost compare-and-swap, before reading and deciding again. */

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Jittered exponential back-off for round `round` of a retry loop: 2.5-7.5 ms at first, at most 300 ms. */
export function jitter(round: number): number {
  return Math.min(200, 5 * 2 ** Math.min(round, 5)) * (0.5 + Math.random());
}
