/**
 * The MCP tools: one row each. A tool is a CLI command with the same arguments: the row names the
 * command and turns the tool's arguments into the command's, so a call is decided by exactly the
 * code that decides the command (same refusals, same remote). Every definition is sent to the
 * agent's context on connect: names are plain, descriptions one line, and the whole list stays
 * under 6,000 characters serialised (test/mcp.test.ts measures it; plan ~460 per tool).
 *
 * Input schemas are zod's classic API (the SDK converts them to JSON Schema through it); this
 * module is loaded only by `git-coord mcp`, so no other command pays for it.
 */
import * as z from 'zod/v4';
import type { OptionValues } from '../cli/command.js';
import type { Coord } from '../session/coord.js';
import { Messages } from '../messages/messages.js';
import type { CommandResult } from './runner.js';

export interface ToolSpec<S extends z.ZodObject = z.ZodObject> {
  name: string;
  description: string;
  input: S;
  /** The CLI command that decides the call. */
  command: string;
  /** The command's positional arguments and options, from the tool's arguments. */
  argv(a: z.infer<S>): { args?: string[]; opts?: OptionValues };
  /**
   * A tool that can wait: how long (a duration, as the CLI's `--wait`), and while which answer it
   * keeps asking (default: refused). Each try is one call of the command.
   */
  wait?: {
    of(a: z.infer<S>): string | undefined;
    while?(r: CommandResult): boolean;
    /** What a wait that ran out while the answer was still a success says (it is then refused, as the CLI's). */
    none?: string;
    /** The pauses between tries, by round (default: the session's `pollDelay`). */
    pauses?(ctx: Coord): Promise<(round: number) => number>;
  };
}

/** Erases a row's argument type so rows of different tools share one table. */
function tool<S extends z.ZodObject>(spec: ToolSpec<S>): ToolSpec {
  return spec as unknown as ToolSpec;
}

const paths = z.array(z.string()).min(1);

/** What send and reply share, as the CLI's options. */
const SEND_OPTIONS = {
  subject: z.string().optional(),
  priority: z.int().min(0).max(4).describe('0 most urgent; default 2').optional(),
  ttl: z.string().describe('lifetime: 2h, 7d, none').optional(),
  ack: z.boolean().describe('ask each recipient to acknowledge it').optional(),
};

function sendOpts(a: { subject?: string; priority?: number; ttl?: string; ack?: boolean }): OptionValues {
  return { subject: a.subject, priority: a.priority?.toString(), ttl: a.ttl, ack: a.ack };
}

export const TOOLS: ToolSpec[] = [
  tool({
    name: 'check',
    description: "May I edit these paths? Lists other agents' locks covering them (an error if any).",
    input: z.object({ paths }),
    command: 'check',
    argv: (a) => ({ args: a.paths }),
  }),
  tool({
    name: 'lock',
    description: 'Lock files, dirs (trailing /) or globs before editing them: all or none. Locking again renews.',
    input: z.object({
      patterns: paths,
      reason: z.string().describe('what you are doing, shown to agents refused').optional(),
      ttl: z.string().describe("lease: 30m, 2h, 1d or none; default 1h or the config's").optional(),
      wait: z.string().describe('if held, keep trying this long: 30s, 5m').optional(),
    }),
    command: 'lock',
    argv: (a) => ({ args: a.patterns, opts: { reason: a.reason, ttl: a.ttl } }),
    wait: { of: (a) => a.wait },
  }),
  tool({
    name: 'unlock',
    description: "Release your locks (all: every one). force with reason breaks another agent's, recorded.",
    input: z.object({
      patterns: z.array(z.string()).optional(),
      all: z.boolean().optional(),
      force: z.boolean().optional(),
      reason: z.string().optional(),
    }),
    command: 'unlock',
    argv: (a) => ({ args: a.patterns ?? [], opts: { all: a.all, force: a.force, reason: a.reason } }),
  }),
  tool({
    name: 'status',
    description: 'The board: who is here and what each agent holds.',
    input: z.object({}),
    command: 'status',
    argv: () => ({}),
  }),
  tool({
    name: 'send',
    description: 'Send a message to agents, @all or #channels. Returns its id.',
    input: z.object({
      to: z.string().describe('agent ids, @all, #channel; comma-separated'),
      text: z.string(),
      ...SEND_OPTIONS,
      thread: z.string().optional(),
    }),
    command: 'send',
    argv: (a) => ({ args: [a.to, a.text], opts: { ...sendOpts(a), thread: a.thread } }),
  }),
  tool({
    name: 'reply',
    description: 'Reply to a message: to its sender (all: also its other recipients), in its thread.',
    input: z.object({ id: z.string(), text: z.string(), all: z.boolean().optional(), ...SEND_OPTIONS }),
    command: 'reply',
    argv: (a) => ({ args: [a.id, a.text], opts: { ...sendOpts(a), all: a.all } }),
  }),
  tool({
    name: 'inbox',
    description: 'Your unacknowledged messages, most urgent first (all: also acknowledged).',
    input: z.object({
      all: z.boolean().optional(),
      from: z.string().optional(),
      thread: z.string().optional(),
      channel: z.string().optional(),
      n: z.number().min(1).optional(),
      wait: z.string().describe('if none, wait this long for one: 30s, 5m').optional(),
    }),
    command: 'inbox',
    argv: (a) => ({ opts: { all: a.all, from: a.from, thread: a.thread, channel: a.channel, n: a.n?.toString() } }),
    wait: {
      of: (a) => a.wait,
      while: (r) => r.code === 0 && Array.isArray(r.data) && r.data.length === 0,
      none: 'no message arrived',
      pauses: (ctx) => new Messages(ctx).waitPauses(),
    },
  }),
  tool({
    name: 'ack',
    description: 'Mark messages as handled by you (all: every one in your inbox).',
    input: z.object({ ids: z.array(z.string()).optional(), all: z.boolean().optional() }),
    command: 'ack',
    argv: (a) => ({ args: a.ids ?? [], opts: { all: a.all } }),
  }),
  tool({
    name: 'tasks',
    description: 'The task board, most urgent first. ready: claimable now; mine: claimed by you.',
    input: z.object({
      ready: z.boolean().optional(),
      mine: z.boolean().optional(),
      status: z.enum(['open', 'claimed', 'done', 'failed']).optional(),
      label: z.array(z.string()).optional(),
    }),
    command: 'task list',
    argv: (a) => ({ opts: { ready: a.ready, mine: a.mine, status: a.status, label: a.label } }),
  }),
  tool({
    name: 'claim',
    description: 'Claim a task by id, or next: the most urgent ready one (with every label). lock: all or none.',
    input: z.object({
      id: z.string().optional(),
      next: z.boolean().optional(),
      label: z.array(z.string()).optional(),
      lock: z.array(z.string()).describe('patterns to lock with the claim').optional(),
      ttl: z.string().describe('lease: 30m, 2h or none').optional(),
    }),
    command: 'claim',
    argv: (a) => ({ args: a.id === undefined ? [] : [a.id], opts: { next: a.next, label: a.label, lock: a.lock, ttl: a.ttl } }),
  }),
  tool({
    name: 'task_done',
    description: 'Finish your task; releases the locks claimed with it.',
    input: z.object({ id: z.string(), note: z.string().describe('what you did').optional() }),
    command: 'task done',
    argv: (a) => ({ args: [a.id], opts: { note: a.note } }),
  }),
  tool({
    name: 'task_fail',
    description: 'Give up on your task, saying why; it stays failed until reopened.',
    input: z.object({ id: z.string(), reason: z.string() }),
    command: 'task fail',
    argv: (a) => ({ args: [a.id], opts: { reason: a.reason } }),
  }),
  tool({
    name: 'task_release',
    description: 'Give your claim back: the task is open again for others.',
    input: z.object({ id: z.string() }),
    command: 'task release',
    argv: (a) => ({ args: [a.id] }),
  }),
];
