/**
 * The MCP tools: one row each. A row calls an operation (src/operations/) with the tool's typed
 * arguments, and renders its data (render.ts, views/text.ts): the same operation decides as on
 * the command line (same refusals, same remote, the same one wait). Every definition is sent to
 * the agent's context on connect: names are plain, descriptions one line, and the whole list
 * stays under 6,000 characters serialised (test/mcp.test.ts measures it; plan ~460 per tool).
 *
 * Input schemas are zod's classic API (the SDK converts them to JSON Schema through it), built from
 * fields.ts; this module is loaded only by `git-coord mcp`, so no other command pays for it.
 */
import * as z from 'zod/v4';
import type { Coord } from '../session/coord.js';
import { parseDuration } from '../session/duration.js';
import { RefusedError } from '../errors.js';
import { printable } from '../printable.js';
import * as locks from '../operations/locks.js';
import * as tasks from '../operations/tasks.js';
import * as messages from '../operations/messages.js';
import * as agents from '../operations/agents.js';
import { ackText, boardText, claimedText, heldLine, lockLine, messageText, taskLine, taskNotes } from '../views/text.js';
import { Address, DurationText, Patterns, Priority, TaskStatus } from './fields.js';
import { refusedAnswer, viewNote, type ToolAnswer } from './render.js';

export interface ToolSpec<S extends z.ZodObject = z.ZodObject> {
  name: string;
  description: string;
  input: S;
  /** Runs the call: the operation, then its answer. Refusals and bad arguments are thrown. */
  run(ctx: Coord, a: z.infer<S>): Promise<ToolAnswer | string>;
  /** Whether this call may wait for other agents (then it runs in a session of its own, not holding up other calls). */
  waits?(a: z.infer<S>): boolean;
  /** Only reads (annotated readOnlyHint); the others change coordination records only, each recorded (destructiveHint false). */
  readOnly?: boolean;
}

/** Erases a row's argument type so rows of different tools share one table. */
function tool<S extends z.ZodObject>(spec: ToolSpec<S>): ToolSpec {
  return spec as unknown as ToolSpec;
}

/** A tool never waits longer than the CLI's default wait, whatever it asks for. */
export const MAX_WAIT_MS = 10 * 60_000;

/** A lease or lifetime given as text: ms, null for `none`. */
function ttl(text: string | undefined): { ttlMs?: number | null } {
  return text === undefined ? {} : { ttlMs: parseDuration(text, 'ttl', true) };
}

/** A wait given as text ('' for the configured default), capped at MAX_WAIT_MS. */
async function wait(ctx: Coord, text: string | undefined): Promise<{ wait?: number }> {
  if (text === undefined) return {};
  const ms = text === '' ? (await ctx.config()).waitMs : parseDuration(text, 'wait')!;
  return { wait: Math.min(MAX_WAIT_MS, ms) };
}

/** What send and reply share. */
const SEND_OPTIONS = {
  subject: z.string().optional(),
  priority: Priority.describe('0-4, 0 most urgent; default 2').optional(),
  ttl: DurationText.describe('lifetime: 2h, 7d, none').optional(),
  ack: z.boolean().describe('ask recipients to acknowledge').optional(),
};

function sendInput(a: { subject?: string; priority?: number; ttl?: string; ack?: boolean }): messages.SendInput {
  return { ...(a.subject !== undefined ? { subject: a.subject } : {}), ...(a.priority !== undefined ? { priority: a.priority } : {}), ...ttl(a.ttl), ...(a.ack ? { ack: true } : {}) };
}

const defined = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

export const TOOLS: ToolSpec[] = [
  tool({
    name: 'check',
    readOnly: true,
    description: "May I edit these paths? Lists other agents' locks on them (an error if any).",
    input: z.object({ paths: Patterns }),
    async run(ctx, a) {
      const r = await locks.check(ctx, { paths: a.paths });
      viewNote(ctx);
      return r.ok ? 'ok: nothing you named is held by another agent' : refusedAnswer(r.conflicts.map((c) => heldLine(c)).join('\n'), r.conflicts);
    },
  }),
  tool({
    name: 'lock',
    description: 'Lock files, dirs (trailing /) or globs before editing: all or none; again renews.',
    input: z.object({
      patterns: Patterns,
      reason: z.string().describe('what you do, shown to agents refused').optional(),
      ttl: DurationText.describe('lease: 30m, 2h, 1d, none; default 1h').optional(),
      wait: DurationText.describe('if held, retry this long: 30s, 5m').optional(),
    }),
    waits: (a) => a.wait !== undefined,
    async run(ctx, a) {
      const r = await locks.lock(ctx, defined({ patterns: a.patterns, reason: a.reason, ...ttl(a.ttl), ...(await wait(ctx, a.wait)) }));
      return r.locks.map((l) => `locked ${lockLine(l)}`).join('\n');
    },
  }),
  tool({
    name: 'unlock',
    description: "Release your locks (all: every one); force+reason breaks another's, recorded.",
    input: z.object({
      patterns: z.array(z.string()).optional(),
      all: z.boolean().optional(),
      force: z.boolean().optional(),
      reason: z.string().optional(),
    }),
    async run(ctx, a) {
      const r = await locks.unlock(ctx, defined({ patterns: a.patterns, all: a.all, force: a.force, reason: a.reason }));
      const me = ctx.agent();
      return r.locks.length === 0
        ? 'nothing to unlock'
        : r.locks.map((l) => `unlocked ${lockLine(l, 'pattern')}${l.agent !== me ? ` (was ${l.agent}'s)` : ''}`).join('\n');
    },
  }),
  tool({
    name: 'status',
    readOnly: true,
    description: 'The board: who is here and what each agent holds.',
    input: z.object({}),
    async run(ctx) {
      const b = await agents.status(ctx);
      viewNote(ctx);
      return boardText(b);
    },
  }),
  tool({
    name: 'send',
    description: 'Send a message to agents, @all or #channels. Returns its id.',
    input: z.object({
      to: Address.describe('agent ids, @all, #channel; comma-separated'),
      text: z.string(),
      ...SEND_OPTIONS,
      thread: z.string().optional(),
    }),
    async run(ctx, a) {
      return (await messages.send(ctx, { ...sendInput(a), to: a.to, text: a.text, ...(a.thread !== undefined ? { thread: a.thread } : {}) })).id;
    },
  }),
  tool({
    name: 'reply',
    description: "Reply in its thread to a message's sender (all: every recipient).",
    input: z.object({ id: z.string(), text: z.string(), all: z.boolean().optional(), ...SEND_OPTIONS }),
    async run(ctx, a) {
      return (await messages.reply(ctx, { ...sendInput(a), id: a.id, text: a.text, all: Boolean(a.all) })).id;
    },
  }),
  tool({
    name: 'inbox',
    readOnly: true,
    description: 'Your unacknowledged messages, most urgent first (all: also acknowledged).',
    input: z.object({
      all: z.boolean().optional(),
      from: z.string().optional(),
      thread: z.string().optional(),
      channel: z.string().optional(),
      n: z.number().min(1).describe('at most this many (1 or more)').optional(),
      wait: DurationText.describe('wait this long for one: 30s, 5m').optional(),
    }),
    waits: (a) => a.wait !== undefined,
    async run(ctx, a) {
      const list = await messages.inbox(ctx, defined({ all: a.all, from: a.from, thread: a.thread, channel: a.channel, limit: a.n, ...(await wait(ctx, a.wait)) }));
      viewNote(ctx);
      return list.length === 0 ? 'no messages' : list.map(messageText).join('\n\n');
    },
  }),
  tool({
    name: 'ack',
    description: 'Mark messages as handled by you (all: every one in your inbox).',
    input: z.object({ ids: z.array(z.string()).optional(), all: z.boolean().optional() }),
    async run(ctx, a) {
      return ackText(await messages.ack(ctx, defined({ ids: a.ids, all: a.all })));
    },
  }),
  tool({
    name: 'tasks',
    readOnly: true,
    description: 'The task board, most urgent first. ready: claimable now; mine: claimed by you.',
    input: z.object({
      ready: z.boolean().optional(),
      mine: z.boolean().optional(),
      status: TaskStatus.optional(),
      label: z.array(z.string()).optional(),
    }),
    async run(ctx, a) {
      const list = await tasks.listTasks(ctx, defined({ ready: a.ready, mine: a.mine, status: a.status, labels: a.label }));
      viewNote(ctx);
      return list.length === 0 ? 'no tasks' : list.map(taskLine).join('\n');
    },
  }),
  tool({
    name: 'claim',
    description: 'Claim a task by id, or next: the most urgent ready one (every label). lock: all or none.',
    input: z.object({
      id: z.string().optional(),
      next: z.boolean().optional(),
      label: z.array(z.string()).optional(),
      lock: z.array(z.string()).describe('patterns to lock with the claim').optional(),
      ttl: DurationText.describe('lease: 30m, 2h or none').optional(),
    }),
    async run(ctx, a) {
      let t;
      try {
        t = await tasks.claim(ctx, defined({ id: a.id, next: a.next, labels: a.label, locks: a.lock, ...ttl(a.ttl) }));
      } catch (e) {
        // A claim with locks is all or none: say that the task was not claimed either.
        if (e instanceof RefusedError && e.detail.kind === 'held' && a.id) throw new RefusedError(`task ${printable(a.id)} stays unclaimed: ${e.message}`, e.detail);
        throw e;
      }
      // The claim, the title, then what to know before starting: the parent, the body, the comments.
      return [claimedText(t), `title: ${printable(t.title)}`, ...taskNotes(t)].join('\n');
    },
  }),
  tool({
    name: 'task_done',
    description: 'Finish your task; releases its claimed locks.',
    input: z.object({ id: z.string(), note: z.string().describe('what you did').optional() }),
    async run(ctx, a) {
      const t = await tasks.doneTask(ctx, defined({ id: a.id, note: a.note }));
      return [`done ${t.id}`, ...t.becameReady.map((r) => `now ready: ${taskLine(r)}`)].join('\n');
    },
  }),
  tool({
    name: 'task_fail',
    description: 'Give up on your task, saying why (failed until reopened).',
    input: z.object({ id: z.string(), reason: z.string() }),
    async run(ctx, a) {
      return `failed ${(await tasks.failTask(ctx, { id: a.id, reason: a.reason })).id}`;
    },
  }),
  tool({
    name: 'task_release',
    description: 'Give your claim back: the task is open again.',
    input: z.object({ id: z.string() }),
    async run(ctx, a) {
      return `released ${(await tasks.releaseTask(ctx, { id: a.id })).id}`;
    },
  }),
  tool({
    name: 'task_add',
    description: 'Add a task (parent: as its child); returns its id.',
    input: z.object({ title: z.string(), body: z.string().optional(), parent: z.string().optional(), dependsOn: z.array(z.string()).optional() }),
    async run(ctx, a) {
      return (await tasks.addTask(ctx, defined({ title: a.title, body: a.body, parent: a.parent, dependsOn: a.dependsOn }))).id;
    },
  }),
  tool({
    name: 'task_edit',
    description: "Change a task's title, body or priority.",
    input: z.object({ id: z.string(), title: z.string().optional(), body: z.string().optional(), priority: Priority.optional() }),
    async run(ctx, a) {
      return `edited ${(await tasks.editTask(ctx, defined({ id: a.id, title: a.title, body: a.body, priority: a.priority }))).id}`;
    },
  }),
  tool({
    name: 'task_comment',
    description: 'Comment on a task (a finding).',
    input: z.object({ id: z.string(), text: z.string() }),
    async run(ctx, a) {
      return `commented on ${(await tasks.commentTask(ctx, { id: a.id, text: a.text })).id}`;
    },
  }),
];
