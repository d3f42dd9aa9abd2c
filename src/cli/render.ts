/**
 * The command line's renderer: the shared text views (views/text.ts) plus what only the command
 * line says: the note on a remote's view, and argument rules in its own flag names (an operation
 * throws them with `detail.code`; see operations/input.ts).
 */
import type { CoordError } from '../errors.js';
import type { Coord } from '../session/coord.js';
import { heldLine, viewLine, type Held } from '../views/text.js';

export { printable } from '../printable.js';
export { expiry, lockLine, taskLine, taskText, claimedText, messageText, outboxText, ackText, agentLine, boardText, historyLine } from '../views/text.js';

/** With a remote, reads say which view they used and how old it is. */
export function noteView(ctx: Coord): void {
  const view = ctx.viewInfo();
  if (view) ctx.note(viewLine(view));
}

/** A conflict for people: the path, the holder, the reason, the expiry. */
export function conflictLine(c: Held): string {
  return heldLine(c);
}

/** Argument rules, in the command line's words. */
const RULES: Record<string, (d: Record<string, unknown>) => string> = {
  'unlock-nothing-named': () => 'give the patterns to unlock, or --all',
  'patterns-and-all': () => 'give patterns or --all, not both',
  'force-with-all': () => '--force breaks the locks you name: give their patterns instead of --all',
  'force-needs-reason': (d) =>
    `--force needs --reason <text>: the history records why ${d.what === 'claim' ? "another agent's claim was ended" : 'a lock was broken'}`,
  'fail-needs-reason': () => 'task fail needs --reason <text>',
  'claim-id-and-next': () => 'claim: give a task id or --next, not both',
  'claim-next-with-locks': () => 'claim --next cannot take --lock: claim the task, then lock (or claim <id> --lock)',
  'claim-nothing-named': () => 'claim: give a task id, or --next',
  'claim-labels-without-next': () => 'claim: --label goes with --next',
  'ack-ids-and-all': () => 'give message ids or --all, not both',
  'ack-nothing-named': () => 'give the ids of the messages to acknowledge, or --all',
  'nothing-to-edit': () => 'task edit: give --title, --body, --priority, --label or --unlabel',
  'bad-status': (d) => `bad --status ${JSON.stringify(d.value)}: use open, claimed, done or failed`,
  'bad-count': (d) => `bad count for ${String(d.field).length === 1 ? '-' : '--'}${String(d.field)}: ${JSON.stringify(String(d.value))} (a whole number, 1 or more)`,
};

/** An error's message for the command line, and its detail for --json (the rule as `problem`, never over the exit code). */
export function errorText(e: CoordError): { message: string; detail: Record<string, unknown> } {
  const { code, ...rest } = e.detail;
  if (typeof code !== 'string') return { message: e.message, detail: e.detail };
  return { message: RULES[code]?.(e.detail) ?? e.message, detail: { problem: code, ...rest } };
}
