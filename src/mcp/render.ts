/**
 * The MCP face's renderer: a tool's answer from an operation's data (the shared text views, so an
 * agent reads what a person on the command line reads), and errors in the tools' own terms:
 * argument rules named by the tools' arguments, refusals with holder, reason, expiry and the next
 * step as tool calls.
 */
import { CoordError, EXIT } from '../errors.js';
import type { Coord } from '../session/coord.js';
import { viewLine, type Held } from '../views/text.js';

export interface ToolAnswer {
  text: string;
  isError: boolean;
}

/** The next steps for the first conflict (the others are alike), as tool calls. */
export function nextSteps(conflicts: Held[]): string {
  const c = conflicts[0];
  if (!c) return '';
  const wait = `lock {"patterns":[${JSON.stringify(c.path)}],"wait":"10m"}`;
  const breakIt = `unlock {"patterns":[${JSON.stringify(c.pattern)}],"force":true,"reason":"<why>"}`;
  return `Next: work on something else, or wait for it: ${wait}; if ${c.agent} is gone for good, break it (recorded): ${breakIt}`;
}

/** Argument rules, in the tools' words. */
const RULES: Record<string, (d: Record<string, unknown>) => string> = {
  'unlock-nothing-named': () => 'give the patterns to unlock, or all: true',
  'patterns-and-all': () => 'give patterns or all: true, not both',
  'force-with-all': () => 'force breaks the locks you name: give their patterns instead of all',
  'force-needs-reason': (d) => `force needs a reason: the history records why ${d.what === 'claim' ? "another agent's claim was ended" : 'a lock was broken'}`,
  'fail-needs-reason': () => 'task_fail needs a reason',
  'claim-id-and-next': () => 'give an id or next: true, not both',
  'claim-next-with-locks': () => 'next cannot take lock: claim the task, then lock (or claim by id with lock)',
  'claim-nothing-named': () => 'give an id, or next: true',
  'claim-labels-without-next': () => 'label goes with next: true',
  'ack-ids-and-all': () => 'give ids or all: true, not both',
  'ack-nothing-named': () => 'give the ids of the messages to acknowledge, or all: true',
  'nothing-to-edit': () => 'task_edit: give title, body or priority',
  'bad-status': (d) => `bad status ${JSON.stringify(d.value)}: use open, claimed, done or failed`,
  'no-agent': () => "no agent id: set GIT_COORD_AGENT in the MCP server's environment (its env in the client's config), or run `git-coord whoami --set <id>` in this worktree",
  'bad-count': (d) => `bad ${String(d.field)}: ${JSON.stringify(d.value)} (a whole number, 1 or more)`,
};

/** What to do next after a refusal (by the concept's `detail.kind`), as tool calls. */
const NEXT: Record<string, (d: Record<string, unknown>) => string | undefined> = {
  'not-held': (d) =>
    (d.notHeld as { agent: string | null }[] | undefined)?.some((n) => n.agent !== null)
      ? 'if its holder is gone for good, break it (recorded): unlock {"patterns":[…],"force":true,"reason":"<why>"}'
      : undefined,
  finished: (d) => (d.action === 'release' || (d.action === 'claim' && d.status !== 'failed') ? undefined : `reopen the task first (git-coord task reopen ${JSON.stringify(d.task)})`),
  unclaimed: (d) => `claim it first: claim {"id":${JSON.stringify(d.task)}}`,
  claimed: (d) => (d.action ? `work on another task (tasks {"ready":true}), or end it anyway with force and a reason` : 'work on another task: tasks {"ready":true}'),
  'no-task': () => 'tasks lists them',
  'open-children': () => 'finish or fail those children first (task_done, task_fail), then the parent',
  'parent-done': (d) => `reopen the parent first (git-coord task reopen ${JSON.stringify(d.parent)})`,
};

/** A refusal or failure as the tool's error answer. */
export function errorAnswer(e: unknown): ToolAnswer {
  if (!(e instanceof CoordError)) return { text: `failed: unexpected error: ${(e as Error)?.message ?? String(e)}`, isError: true };
  const code = e.detail.code;
  const message = typeof code === 'string' ? (RULES[code]?.(e.detail) ?? e.message) : e.message;
  if (e.exitCode === EXIT.usage) return { text: `bad arguments: ${message}`, isError: true };
  if (e.exitCode !== EXIT.refused) return { text: `failed: ${message}`, isError: true };
  const conflicts = e.detail.conflicts as Held[] | undefined;
  if (conflicts?.length) return { text: `${message}\n${nextSteps(conflicts)}`, isError: true };
  const kind = e.detail.kind;
  const next = typeof kind === 'string' ? NEXT[kind]?.(e.detail) : undefined;
  return { text: next ? `${message}\nNext: ${next}` : message, isError: true };
}

/** A refusal the tool decides from data (a check that found conflicts): the lines, then the next step. */
export function refusedAnswer(text: string, conflicts: Held[]): ToolAnswer {
  return { text: `${text}\n${nextSteps(conflicts)}`, isError: true };
}

/** With a remote, a read says which view it used and how old it is. */
export function viewNote(ctx: Coord): void {
  const view = ctx.viewInfo();
  if (view) ctx.note(viewLine(view));
}

/** The session's warnings and notes of this call, after the answer. */
export function withNotes(a: ToolAnswer, ctx: Coord): ToolAnswer {
  const { warnings, notes } = ctx.drain();
  const extra = [...warnings.map((w) => `warning: ${w}`), ...notes.map((n) => `note: ${n}`)];
  const text = a.text.trimEnd();
  return { ...a, text: extra.length > 0 ? `${text}\n${extra.join('\n')}` : text || 'done' };
}
