/**
 * The board's recently done tasks and its done count come from the recent history and the
 * archives' own records, not from reading every finished task (views/board-data.ts).
 */
import { describe, expect, it } from 'vitest';
import { ENV, coord, makeRepo, ok } from './helpers.js';

describe('board data: recently done', () => {
  it('lists the tasks the history finished, newest first, and counts every done one (failed ones apart)', async () => {
    const dir = makeRepo();
    const A = { GIT_COORD_AGENT: 'alice' };
    for (const id of ['a', 'b', 'c']) {
      ok(coord(dir, ['task', 'add', `task ${id}`, '--id', id], A));
      ok(coord(dir, ['claim', id], A));
    }
    ok(coord(dir, ['task', 'done', 'a'], A));
    ok(coord(dir, ['task', 'fail', 'b', '--reason', 'no'], A));
    ok(coord(dir, ['task', 'done', 'c'], A));
    const { Coord } = await import('../src/index.js');
    const { readBoardData } = await import('../src/views/board-data.js');
    const ctx = await Coord.open({ cwd: dir, agent: 'alice', env: ENV });
    try {
      const data = await readBoardData(ctx);
      expect(data.tasks.done.map((t) => t.id)).toEqual(['c', 'a']);
      expect(data.counts.done).toBe(2);
      expect(data.tasks.failed.map((t) => t.id)).toEqual(['b']);
    } finally {
      ctx.close();
    }
  });
});
