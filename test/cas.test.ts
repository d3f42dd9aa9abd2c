/**
 * The compare-and-swap primitive (src/store/cas.ts): the round driver's rules with plain
 * functions, then `cas` over a real repository's store, two sessions racing on one ref.
 */
import { describe, expect, it } from 'vitest';
import { FailedError } from '../src/errors.js';
import { GAVE_UP, MAX_ROUNDS, again, answer, cas, commit, jitter, lost, rounds, won } from '../src/store/cas.js';
import { Coord } from '../src/session/coord.js';
import { ENV, gitSync, makeRepo } from './helpers.js';

const noSleep = () => {
  const pauses: number[] = [];
  return { pauses, sleep: async (ms: number) => void pauses.push(ms) };
};

describe('jitter', () => {
  it('grows with the round, randomised within [0.5, 1.5) of its base, at most 240 ms', () => {
    for (let i = 0; i < 200; i++) {
      const j0 = jitter(0);
      expect(j0).toBeGreaterThanOrEqual(2.5);
      expect(j0).toBeLessThan(7.5);
      for (const r of [5, 6, 10, 49]) {
        expect(jitter(r)).toBeGreaterThanOrEqual(80);
        expect(jitter(r)).toBeLessThan(240);
      }
    }
  });
});

describe('rounds', () => {
  it('returns the first won round; pauses only after lost ones, by jitter', async () => {
    const s = noSleep();
    const seen: number[] = [];
    const v = await rounds(async (r) => (seen.push(r), r < 3 ? lost() : won(`won at ${r}`)), { sleep: s.sleep });
    expect(v).toBe('won at 3');
    expect(seen).toEqual([0, 1, 2, 3]);
    expect(s.pauses).toHaveLength(3);
    expect(s.pauses[0]).toBeLessThan(7.5);
  });

  it('a round lost without pause reads again at once; every lost round counts', async () => {
    const s = noSleep();
    let losses = 0;
    await rounds(async (r) => (r < 2 ? lost({ pause: false }) : won(r)), { sleep: s.sleep, onLost: () => losses++ });
    expect(s.pauses).toEqual([]);
    expect(losses).toBe(2);
  });

  it('gives up after MAX_ROUNDS lost rounds with FailedError (exit 1), no pause after the last', async () => {
    const s = noSleep();
    let n = 0;
    const e = await rounds(async () => (n++, lost()), { sleep: s.sleep }).catch((x) => x);
    expect(e).toBeInstanceOf(FailedError);
    expect(e.message).toBe(GAVE_UP);
    expect(e.exitCode).toBe(1);
    expect(n).toBe(MAX_ROUNDS);
    expect(s.pauses).toHaveLength(MAX_ROUNDS - 1);
  });

  it('max and exhausted: a bounded loop that ends with its own answer or error', async () => {
    const s = noSleep();
    let n = 0;
    expect(await rounds(async () => (n++, lost()), { max: 5, sleep: s.sleep, exhausted: () => 'retry' })).toBe('retry');
    expect(n).toBe(5);
    await expect(rounds(async () => lost(), { max: 2, sleep: s.sleep, exhausted: () => { throw new FailedError('mine'); } })).rejects.toThrow('mine');
  });

  it('a refusal thrown by a round ends the loop at once, as it is', async () => {
    let n = 0;
    await expect(rounds(async () => { n++; throw new Error('refused'); })).rejects.toThrow('refused');
    expect(n).toBe(1);
  });
});

describe('cas over a repository', () => {
  const ref = 'refs/coordination/test/counter';

  async function increment(ctx: Coord, me: string, hooks: { onLost?: () => void; between?: () => Promise<void> } = {}) {
    return cas(ctx.store, me, async () => {
      const entries = await ctx.store.entries([ref, `refs/coordination/journal/${me}`], 'authority');
      const here = entries.find((e) => e.ref === ref);
      const j = entries.find((e) => e.ref !== ref)?.oid ?? null;
      const n = here ? (JSON.parse(here.body) as { n: number }).n : 0;
      if (n >= 3) return answer(n);
      await hooks.between?.();
      return commit([{ ref, oldOid: here?.oid ?? null, record: { n: n + 1 }, subject: `n ${n + 1}`, event: { action: 'add', subject: `n ${n + 1}` } }], j, ctx.now(), n + 1);
    }, { onLost: hooks.onLost });
  }

  it('commits a decision with its journal entry; a final answer writes nothing; a lost race re-reads', async () => {
    const repo = makeRepo();
    const a = await Coord.open({ cwd: repo, agent: 'alice', env: ENV });
    const b = await Coord.open({ cwd: repo, agent: 'bob', env: ENV });
    try {
      expect(await increment(a, 'alice')).toBe(1);
      // Bob commits between Alice's read and her commit, once: she loses that round, reads 2, writes 3.
      let losses = 0;
      let interfered = false;
      const v = await increment(a, 'alice', {
        onLost: () => losses++,
        between: async () => {
          if (interfered) return;
          interfered = true;
          expect(await increment(b, 'bob')).toBe(2);
        },
      });
      expect(v).toBe(3);
      expect(losses).toBe(1);
      const before = gitSync(repo, 'for-each-ref', 'refs/coordination/');
      expect(await increment(a, 'alice')).toBe(3);
      expect(gitSync(repo, 'for-each-ref', 'refs/coordination/')).toBe(before);
      expect(gitSync(repo, 'log', '--format=%s', '--first-parent', 'refs/coordination/journal/alice').trim().split('\n')).toEqual(['add n 3', 'add n 1', 'join alice']);
      expect(gitSync(repo, 'log', '--format=%s', ref).trim().split('\n')).toEqual(['n 3', 'n 2', 'n 1']);
    } finally {
      a.close();
      b.close();
    }
  });

  it('a decision to read again writes nothing and is not counted as a lost race', async () => {
    const repo = makeRepo();
    const a = await Coord.open({ cwd: repo, agent: 'alice', env: ENV });
    try {
      let losses = 0;
      const v = await cas(a.store, 'alice', async (r) => (r < 2 ? again({ pause: false }) : answer(r)), { onLost: () => losses++ });
      expect(v).toBe(2);
      expect(losses).toBe(0);
      expect(gitSync(repo, 'for-each-ref', 'refs/coordination/')).toBe('');
    } finally {
      a.close();
    }
  });
});
