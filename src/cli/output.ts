/**
 * Printing: text for people, or exactly one JSON document with --json. Diagnostics go to stderr.
 * Text that other agents wrote (reasons, patterns) goes through `printable`, so it cannot forge
 * lines in a terminal; JSON is escaped already.
 */
import type { LockView, Conflict } from '../locks/locks.js';
import type { TaskView } from '../tasks/rules.js';
import type { Coord } from '../session/coord.js';
import { printable } from '../printable.js';
import { heldLine } from '../agents/advice.js';

export { printable };

/** Where a command's output goes: the process's stdout and stderr, or (for the MCP server) a tool's answer. */
export interface Sink {
  out(text: string): void;
  err(text: string): void;
}

const STDIO: Sink = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) };

export class Output {
  /** The last result's data, for a face that runs a command and answers with more than its text. */
  data: unknown;

  constructor(
    readonly json: boolean,
    private readonly sink: Sink = STDIO,
  ) {}

  /** The command's result: `data` as JSON, or `text()` for people. */
  result(data: unknown, text: () => string): void {
    this.data = data;
    if (this.json) this.sink.out(JSON.stringify(data, null, 2) + '\n');
    else {
      const t = text();
      if (t) this.sink.out(t.endsWith('\n') ? t : t + '\n');
    }
  }

  warn(msg: string): void {
    this.sink.err(`git-coord: warning: ${msg}\n`);
  }

  error(msg: string, code: number, detail: Record<string, unknown>): void {
    this.sink.err(`git-coord: ${msg}\n`);
    if (this.json) this.sink.out(JSON.stringify({ ok: false, code, error: msg.split('\n')[0], ...detail }, null, 2) + '\n');
  }
}

/** With a remote, reads say which view they used and how old it is. */
export function noteView(ctx: Coord) {
  const view = ctx.viewInfo();
  if (view) {
    const age = view.ageMs === null ? 'never synced' : `synced ${Math.round(view.ageMs / 1000)}s ago`;
    ctx.note(`view of remote '${view.remote}', ${age} (git-coord sync, or --fresh, to refresh)`);
  }
  return view;
}

export function expiry(l: { expiresAt: string | null }): string {
  return l.expiresAt ? `until ${l.expiresAt}` : 'no expiry';
}

/** A lock for people: the whole line, or with 'pattern' just its (printable) pattern. */
export function lockLine(l: LockView, only?: 'pattern'): string {
  if (only) return printable(l.pattern);
  return `${printable(l.pattern)}  ${l.agent}  ${expiry(l)}  token ${l.token}${l.reason ? `  "${printable(l.reason)}"` : ''}`;
}

/** A conflict for people: the path, the holder, the reason, the expiry. */
export function conflictLine(c: Conflict): string {
  return heldLine(c);
}

/** A task on one line for people: id, status (and claimer), priority, title, labels. */
export function taskLine(t: TaskView): string {
  const status = t.status === 'claimed' ? `claimed by ${t.claimedBy}` : t.ready ? 'ready' : t.blockedBy.length ? `waits for ${t.blockedBy.join(', ')}` : t.status;
  return `${printable(t.id)}  p${t.priority}  ${printable(t.title)}${t.labels.length ? `  [${t.labels.join(', ')}]` : ''}  (${status})`;
}
