/**
 * A claim decided on a dependency being done must not land once that dependency is open again:
 * `task reopen` of the dependency is made to land between the claim's read and its swap (the
 * claimer's own store runs it just before swapping), locally and through a file:// remote.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Coord } from '../src/session/coord.js';
import * as ops from '../src/operations/tasks.js';
import type { RefUpdate } from '../src/store/records.js';
import { clone, coord, json, makeHub, makeRepo } from './helpers.js';

const open: Coord[] = [];
afterEach(() => {
  for (const c of open.splice(0)) c.close();
});

/** t1 done, t2 depending on it (t1 the only other task), in `dir` as agent boss. */
function plan(dir: string): void {
  for (const args of [
    ['task', 'add', 'first', '--id', 't1'],
    ['task', 'add', 'second', '--id', 't2', '--depends-on', 't1', '--priority', '0'],
    ['claim', 't1'],
    ['task', 'done', 't1'],
  ]) {
    const r = coord(dir, [...args, '--agent', 'boss']);
    expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
  }
}

/** Claims the next task as `agent`, with `task reopen t1` landing (by another process) just before its first swap that claims t2. */
async function claimWithReopenBetween(dir: string, agent: string): Promise<{ claimed: string; reopened: number }> {
  const ctx = await Coord.open({ cwd: dir, agent, writes: true });
  open.push(ctx);
  const store = ctx.store;
  const swap = store.swap.bind(store);
  let reopened = -1;
  store.swap = async (updates: RefUpdate[], o?: { transient?: boolean }) => {
    if (reopened === -1 && updates.some((u) => u.ref.endsWith('/open/t2'))) {
      const r = coord(dir, ['task', 'reopen', 't1', '--agent', 'boss']);
      reopened = r.code;
      expect(r.code, r.stderr).toBe(0);
    }
    return swap(updates, o);
  };
  const t = await ops.claim(ctx, { next: true });
  return { claimed: t.id, reopened };
}

describe('a claim and its dependencies', () => {
  it('claim --next does not land on t2 once its dependency t1 is reopened between the read and the swap (locally)', async () => {
    const dir = makeRepo();
    plan(dir);
    const { claimed, reopened } = await claimWithReopenBetween(dir, 'racer');
    expect(reopened).toBe(0);
    // t2 is blocked again: the claim decides again and takes t1, the one ready task.
    expect(claimed).toBe('t1');
    const t2 = json(coord(dir, ['task', 'show', 't2', '--json']));
    expect(t2).toMatchObject({ status: 'open', claimedBy: null, blockedBy: ['t1'] });
  });

  it('the same through a file:// remote', async () => {
    const { root, url } = makeHub();
    const boss = clone(root, url, 'boss');
    const racer = clone(root, url, 'racer');
    plan(boss);
    const { claimed, reopened } = await claimWithReopenBetween(racer, 'racer');
    expect(reopened).toBe(0);
    expect(claimed).toBe('t1');
    const t2 = json(coord(boss, ['task', 'show', 't2', '--json', '--fresh']));
    expect(t2).toMatchObject({ status: 'open', claimedBy: null, blockedBy: ['t1'] });
  });
});
