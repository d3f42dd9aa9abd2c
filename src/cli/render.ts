/**
 * The command line's renderer: the shared text views (views/text.ts) plus what only the command
 * line says: the note on a remote's view, and argument rules in its own flag names (an operation
 * throws them with `detail.code`; see operations/input.ts).
 */
import type { CoordError } from '../errors.js';
import type { Coord } from '../session/coord.js';
import { heldLine, viewLine, type Held } from '../views/text.js';
import { printable, shellWord } from '../printable.js';

export { printable };
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
  'no-agent': () => 'no agent id: pass --agent <id>, set GIT_COORD_AGENT, or run `git-coord whoami --set <id>` in this worktree',
  'bad-count': (d) => `bad count for ${String(d.field).length === 1 ? '-' : '--'}${String(d.field)}: ${JSON.stringify(String(d.value))} (a whole number, 1 or more)`,
};

/**
 * What to do next after a refusal (concepts throw it with `detail.kind` and the facts), as
 * commands for the command line. Each returns the whole message, or null to keep the concept's.
 */
const NEXT: Record<string, (e: CoordError, d: Record<string, unknown>) => string | null> = {
  'not-held': (_e, d) => {
    const lines = (d.notHeld as { pattern: string; agent: string | null; reason?: string | null }[] | undefined) ?? [];
    if (lines.length === 0) return null;
    return `cannot unlock: not held by you\n${lines
      .map((n) =>
        n.agent === null
          ? `  ${printable(n.pattern)}: not locked`
          : `  ${printable(n.pattern)}: held by ${n.agent}${n.reason ? ` (${printable(n.reason)})` : ''}; to break it: git-coord unlock --force --reason <why> ${shellWord(n.pattern)}`,
      )
      .join('\n')}`;
  },
  finished: (e, d) =>
    d.action === 'release' || (d.action === 'claim' && d.status !== 'failed')
      ? null
      : `${e.message} (git-coord task reopen ${printable(String(d.task))} ${d.action === 'claim' ? 'makes it open again' : 'first'})`,
  unclaimed: (e, d) => `${e.message} (git-coord claim ${printable(String(d.task))} first, or --force --reason <why>)`,
  claimed: (e, d) => (d.action ? `${e.message} (to end it anyway: git-coord task ${String(d.action)} ${printable(String(d.task))} --force --reason <why>)` : null),
  'no-task': (e) => `${e.message} (git-coord task list shows them)`,
  'open-children': (e, d) => `${e.message} (finish or fail them first; git-coord task show ${printable(String(d.task))} lists them)`,
  'parent-done': (e, d) => `${e.message} (git-coord task reopen ${printable(String(d.parent))} first)`,
  'not-member': (e) => `${e.message} (git-coord channel list shows who is)`,
  'no-key': (e) => `${e.message} (git-coord context list shows them)`,
};

/** An error's message for the command line, and its detail for --json (the rule as `problem`, never over the exit code). */
export function errorText(e: CoordError): { message: string; detail: Record<string, unknown> } {
  const { code, ...rest } = e.detail;
  if (typeof code !== 'string') {
    const kind = e.detail.kind;
    const next = typeof kind === 'string' ? NEXT[kind]?.(e, e.detail) : null;
    return { message: next ?? e.message, detail: e.detail };
  }
  return { message: RULES[code]?.(e.detail) ?? e.message, detail: { problem: code, ...rest } };
}
