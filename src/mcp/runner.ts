/**
 * Runs MCP tool calls. One long-lived session serves every call: its git processes (the ref
 * transaction session, the object writer, a remote's object reader) stay open between calls, so
 * a call pays for the decision, not for start-up. Each call runs one operation (tools.ts).
 *
 * Calls take turns on that session (a git session serves one exchange at a time). A call that
 * waits (`lock` or `inbox` with `wait`) is ONE call of its operation with the wait, exactly as
 * `lock --wait` and `inbox --wait` run: one request and one ticket for the whole wait, the remote
 * read as the command reads it. It runs in a session of its own, so other calls are answered
 * meanwhile.
 */
import type { Coord } from '../session/coord.js';
import { FailedError } from '../errors.js';
import { errorAnswer, withNotes, type ToolAnswer } from './render.js';
import type { ToolSpec } from './tools.js';
import { upkeep } from '../operations/upkeep.js';

export class ToolRunner {
  private turn: Promise<unknown> = Promise.resolve();
  /** Sessions of calls that wait, open now (ended by `drain`). */
  private readonly own = new Set<Coord>();
  private draining = false;

  /** `reopen`: another session like `ctx`, for a call that waits. */
  constructor(
    private readonly ctx: Coord,
    private readonly reopen?: () => Promise<Coord>,
  ) {}

  /** Runs `fn` when every call before it has finished. */
  private inTurn<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.turn.then(fn, fn);
    this.turn = run.catch(() => undefined);
    return run;
  }

  private async runIn(ctx: Coord, tool: ToolSpec, input: unknown): Promise<ToolAnswer> {
    let answer: ToolAnswer;
    try {
      await ctx.reloadConfig();
      const r = await tool.run(ctx, input as never);
      answer = typeof r === 'string' ? { text: r, isError: false } : r;
    } catch (e) {
      answer = errorAnswer(e);
    }
    return withNotes(answer, ctx);
  }

  /** A tool call: its arguments (already validated against its schema) to the tool's answer. */
  async call(tool: ToolSpec, input: unknown): Promise<ToolAnswer> {
    if (this.draining) return errorAnswer(new FailedError('the server is shutting down: nothing was done'));
    if (this.reopen && tool.waits?.(input as never)) {
      let own: Coord;
      try {
        own = await this.reopen();
      } catch (e) {
        return errorAnswer(e);
      }
      this.own.add(own);
      try {
        return await this.runIn(own, tool, input);
      } finally {
        this.own.delete(own);
        own.close();
      }
    }
    const answer = this.inTurn(() => this.runIn(this.ctx, tool, input));
    // After a call that writes, upkeep (operations/upkeep.ts) takes the next turn: the answer is not held up by it.
    if (!tool.readOnly) void this.inTurn(() => upkeep(this.ctx).catch(() => undefined));
    return answer;
  }

  /**
   * The client is gone (stdin closed): no new call starts; calls that wait are abandoned (their
   * sessions closed: a wait holds nothing yet); the calls in turn on the shared session finish,
   * so that no write is cut in half. Resolves when they have; the caller then closes the session.
   */
  async drain(): Promise<void> {
    this.draining = true;
    for (const c of this.own) c.close();
    await this.turn;
  }
}
