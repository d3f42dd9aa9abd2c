/** Retrying after a lost compare-and-swap: every concept backs off the same way. */

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Back-off after a lost race: grows with the round, randomised so racers spread out. */
export function jitter(round: number): number {
  return Math.min(200, 5 * 2 ** Math.min(round, 5)) * (0.5 + Math.random());
}
