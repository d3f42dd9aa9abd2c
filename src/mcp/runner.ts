/**
 * Runs MCP tool calls. One long-lived session serves every call: its git processes (the ref
 * transaction session, the object writer, a remote's object reader) stay open between calls, so
 * a call pays for the decision, not for start-up. Each call runs the tool's CLI command against
 * that session, with its output captured: the same code decides as on the command line.
 *
 * Calls take turns (a git session serves one exchange at a time). A waiting call (`lock` or
 * `inbox` with `wait`) is a series of single tries, and lets other calls run between them; each
 * try after the first reads a remote afresh, since what it waits for is another agent's doing.
 */
import { CoordError, EXIT } from '../errors.js';
import { Output } from '../cli/output.js';
import { commandSpec } from '../cli/main.js';
import type { OptionValues } from '../cli/command.js';
import type { Coord } from '../session/coord.js';
import { parseDuration } from '../session/duration.js';
import { nextSteps, type Held } from '../agents/advice.js';
import type { ToolSpec } from './tools.js';

/** A tool never waits longer than the CLI's default wait, whatever it asks for. */
export const MAX_WAIT_MS = 10 * 60_000;

/** One run of a command: its exit code, its text for people, its JSON data or error detail. */
export interface CommandResult {
  code: number;
  text: string;
  data?: unknown;
  detail?: Record<string, unknown>;
}

export interface ToolAnswer {
  text: string;
  isError: boolean;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

export class ToolRunner {
  private turn: Promise<unknown> = Promise.resolve();

  constructor(private readonly ctx: Coord) {}

  /** Runs `fn` when every call before it has finished. */
  private inTurn<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.turn.then(fn, fn);
    this.turn = run.catch(() => undefined);
    return run;
  }

  /**
   * Runs one CLI command against the session, as `git-coord <name> <args> <opts>` would (with
   * `fresh`, as with `--fresh`). An argument `-` is taken as it is: this process's stdin is the
   * protocol's.
   */
  command(name: string, args: string[], opts: OptionValues, fresh = false): Promise<CommandResult> {
    return this.inTurn(async () => {
      let text = '';
      const out = new Output(false, { out: (t) => (text += t), err: (t) => (text += t) });
      let result: CommandResult;
      try {
        await this.ctx.reloadConfig();
        const spec = await commandSpec(name);
        const run = () => spec.run({ ctx: this.ctx, out, opts, args });
        const code = (await (fresh ? this.ctx.freshly(run) : run())) ?? EXIT.ok;
        result = { code, text, data: out.data };
      } catch (e) {
        result =
          e instanceof CoordError
            ? { code: e.exitCode, text: e.message, detail: e.detail }
            : { code: EXIT.failed, text: `unexpected error: ${(e as Error)?.message ?? String(e)}` };
      }
      const { warnings, notes } = this.ctx.drain();
      const extra = [...warnings.map((w) => `warning: ${w}`), ...notes.map((n) => `note: ${n}`)];
      if (extra.length > 0) result.text = `${result.text.trimEnd()}\n${extra.join('\n')}`;
      return result;
    });
  }

  /** A tool call: its arguments (already validated against its schema) to the tool's answer. */
  async call(tool: ToolSpec, input: unknown, signal?: AbortSignal): Promise<ToolAnswer> {
    const { args = [], opts = {} } = tool.argv(input as never);
    const defined = Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined));
    let waitMs = 0;
    const wait = tool.wait?.of(input as never);
    try {
      if (wait !== undefined) waitMs = Math.min(MAX_WAIT_MS, wait === '' ? (await this.ctx.config()).waitMs : parseDuration(wait, 'wait')!);
    } catch (e) {
      return answerOf({ code: EXIT.usage, text: (e as Error).message });
    }
    const deadline = performance.now() + waitMs;
    let pause: ((round: number) => number) | undefined;
    for (let round = 0; ; round++) {
      const r = await this.command(tool.command, args, defined, round > 0);
      const again = tool.wait?.while ? tool.wait.while(r) : r.code === EXIT.refused;
      const left = deadline - performance.now();
      if (!again || signal?.aborted) return answerOf(r);
      if (left <= 0) {
        // Waited its whole time for what never came: refused, as the command's own --wait is.
        const none = wait !== undefined && r.code === EXIT.ok ? tool.wait?.none : undefined;
        return answerOf(none ? { code: EXIT.refused, text: `${none} within ${Math.round(waitMs / 1000)}s` } : r);
      }
      const pauses = tool.wait?.pauses;
      pause ??= pauses ? await this.inTurn(() => pauses(this.ctx)) : (n) => this.ctx.pollDelay(n);
      await sleep(Math.min(left, pause(round)), signal);
    }
  }
}

/**
 * A command's result as a tool's answer: its text, and for anything but success an error whose
 * text says what happened; a refusal over held paths also says what to do next.
 */
export function answerOf(r: CommandResult): ToolAnswer {
  const text = r.text.trimEnd();
  if (r.code === EXIT.ok) return { text: text || 'done', isError: false };
  if (r.code === EXIT.usage) return { text: `bad arguments: ${text}`, isError: true };
  if (r.code !== EXIT.refused) return { text: `failed: ${text}`, isError: true };
  const conflicts = (r.detail?.conflicts ?? (r.data as { conflicts?: unknown } | undefined)?.conflicts) as Held[] | undefined;
  return { text: conflicts?.length ? `${text}\n${nextSteps(conflicts, 'tool')}` : text, isError: true };
}
