/**
 * Printing: text for people, or exactly one JSON document with --json. Diagnostics go to stderr.
 * Text that other agents wrote (reasons, patterns) goes through `printable`, so it cannot forge
 * lines in a terminal; JSON is escaped already.
 */
import type { LockView, Conflict } from '../locks/locks.js';
import type { TaskView } from '../tasks/rules.js';
import type { Coord } from '../session/coord.js';
import { printable } from '../printable.js';

export { printable };

export class Output {
  constructor(readonly json: boolean) {}

  /** The command's result: `data` as JSON, or `text()` for people. */
  result(data: unknown, text: () => string): void {
    if (this.json) process.stdout.write(JSON.stringify(data, null, 2) + '\n');
    else {
      const t = text();
      if (t) process.stdout.write(t.endsWith('\n') ? t : t + '\n');
    }
  }

  warn(msg: string): void {
    process.stderr.write(`git-coord: warning: ${msg}\n`);
  }

  error(msg: string, code: number, detail: Record<string, unknown>): void {
    process.stderr.write(`git-coord: ${msg}\n`);
    if (this.json) process.stdout.write(JSON.stringify({ ok: false, code, error: msg.split('\n')[0], ...detail }, null, 2) + '\n');
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

export function conflictLine(c: Conflict): string {
  return `${printable(c.path)}: locked by ${c.agent} as ${printable(c.pattern)}${c.reason ? ` ("${printable(c.reason)}")` : ''}, ${expiry(c)}`;
}

/** A task on one line for people: id, status (and claimer), priority, title, labels. */
export function taskLine(t: TaskView): string {
  const status = t.status === 'claimed' ? `claimed by ${t.claimedBy}` : t.ready ? 'ready' : t.blockedBy.length ? `waits for ${t.blockedBy.join(', ')}` : t.status;
  return `${printable(t.id)}  p${t.priority}  ${printable(t.title)}${t.labels.length ? `  [${t.labels.join(', ')}]` : ''}  (${status})`;
}
