/** The task commands: task add/import/list/show/edit/comment/done/fail/release/reopen/depend/undepend, and claim. */
import path from 'node:path';
import { UsageError } from '../../errors.js';
import * as ops from '../../operations/tasks.js';
import { IMPORT_MAX_BYTES } from '../../tasks/add.js';
import { readFileCapped } from '../../stdin.js';
import { parsePriority } from '../../tasks/tasks.js';
import { parseDuration } from '../../session/duration.js';
import { claimedText, noteView, taskLine, taskText } from '../render.js';
import { list, str, type CommandSpec, type Invocation } from '../command.js';
import { MAX_COMMENT_BYTES } from '../../tasks/checks.js';
import { printable } from '../../printable.js';
import type { TaskView } from '../../operations/tasks.js';

/** A comment's text: the argument, or with `-` stdin (capped, strictly UTF-8: src/stdin.ts). */
async function commentText(arg: string, stdin: Invocation['stdin']): Promise<string> {
  if (arg === '-' && stdin) return stdin(MAX_COMMENT_BYTES, 'comment on stdin');
  // Node turns bytes of the command line that are not UTF-8 into U+FFFD: refuse rather than store them garbled.
  if (arg.includes('\ufffd')) throw new UsageError('comment is not valid UTF-8 (it carries U+FFFD); pass text, or give it on stdin with -');
  return arg;
}

/** What `task done` says: the tasks done, then the tasks that became ready (id and title). */
function finishedText(done: TaskView[], ready: TaskView[]): string {
  const lines = [`done ${done.map((t) => t.id).join(', ')}`];
  if (ready.length) lines.push('now ready:', ...ready.map((t) => `  ${printable(t.id)}  ${printable(t.title)}`));
  return lines.join('\n');
}

function ttlOption(opts: Record<string, unknown>): number | null | undefined {
  return typeof opts.ttl === 'string' ? parseDuration(opts.ttl, '--ttl', true) : undefined;
}

const force = {
  force: { type: 'boolean', help: "end another agent's claim (needs --reason, recorded)" },
  reason: { type: 'string', value: '<text>', help: 'why, for the history' },
} as const;

export const commands: CommandSpec[] = [
  {
    name: 'task add',
    summary: 'add a task to the board; prints its id',
    args: '<title>',
    minArgs: 1,
    maxArgs: 1,
    writes: true,
    options: {
      id: { type: 'string', value: '<id>', help: 'choose the id (default: a new t-xxxxxx)' },
      priority: { type: 'string', value: '<0-4>', help: '0 most urgent, 4 least (default 2)' },
      label: { type: 'string', multiple: true, value: '<name>', help: 'a label' },
      'depends-on': { type: 'string', multiple: true, value: '<id>', help: 'a task that must be done first' },
      body: { type: 'string', value: '<text>', help: 'details' },
      parent: { type: 'string', value: '<id>', help: 'the parent task: it cannot be done while this one is not done or failed' },
    },
    async run({ ctx, out, opts, args }) {
      const priority = str(opts, 'priority');
      const id = str(opts, 'id');
      const body = str(opts, 'body');
      const parent = str(opts, 'parent');
      const t = await ops.addTask(ctx, {
        title: args[0]!,
        ...(id !== undefined ? { id } : {}),
        ...(parent !== undefined ? { parent } : {}),
        ...(priority !== undefined ? { priority: parsePriority(priority) } : {}),
        ...(body !== undefined ? { body } : {}),
        labels: list(opts, 'label'),
        dependsOn: list(opts, 'depends-on'),
      });
      out.result(t, () => t.id);
    },
  },
  {
    name: 'task import',
    summary: 'add many tasks from JSON Lines, all or nothing; prints their ids',
    args: '<file>|-',
    minArgs: 1,
    maxArgs: 1,
    writes: true,
    async run({ ctx, out, args, stdin }) {
      const file = args[0]!;
      const text =
        file === '-' && stdin ? await stdin(IMPORT_MAX_BYTES, 'task list on stdin') : readFileCapped(path.resolve(ctx.repo.cwd, file), IMPORT_MAX_BYTES, JSON.stringify(file));
      const added = await ops.importTasks(ctx, { text });
      out.result(added, () => added.map((t) => t.id).join('\n'));
    },
  },
  {
    name: 'task list',
    summary: 'list tasks, most urgent first',
    options: {
      ready: { type: 'boolean', help: 'only tasks you could claim now' },
      mine: { type: 'boolean', help: 'only tasks you claimed' },
      status: { type: 'string', value: '<status>', help: 'open, claimed, done or failed' },
      label: { type: 'string', multiple: true, value: '<name>', help: 'only tasks with this label' },
    },
    async run({ ctx, out, opts }) {
      const status = str(opts, 'status');
      const tasks = await ops.listTasks(ctx, {
        ready: Boolean(opts.ready),
        mine: Boolean(opts.mine),
        labels: list(opts, 'label'),
        ...(status !== undefined ? { status } : {}),
      });
      noteView(ctx);
      out.result(tasks, () => (tasks.length === 0 ? 'no tasks' : tasks.map(taskLine).join('\n')));
    },
  },
  {
    name: 'task show',
    summary: 'one task in full',
    args: '<id>',
    minArgs: 1,
    maxArgs: 1,
    async run({ ctx, out, args }) {
      const t = await ops.showTask(ctx, { id: args[0]! });
      noteView(ctx);
      out.result(t, () => taskText(t, t.childTasks));
    },
  },
  {
    name: 'task edit',
    summary: "change a task's title, body, priority or labels (anyone may; recorded)",
    args: '<id>',
    minArgs: 1,
    maxArgs: 1,
    writes: true,
    options: {
      title: { type: 'string', value: '<text>', help: 'the new title' },
      body: { type: 'string', value: '<text>', help: 'the new body' },
      priority: { type: 'string', value: '<0-4>', help: 'the new priority' },
      label: { type: 'string', multiple: true, value: '<name>', help: 'add a label' },
      unlabel: { type: 'string', multiple: true, value: '<name>', help: 'remove a label' },
    },
    async run({ ctx, out, opts, args }) {
      const title = str(opts, 'title');
      const body = str(opts, 'body');
      const priority = str(opts, 'priority');
      const t = await ops.editTask(ctx, {
        id: args[0]!,
        ...(title !== undefined ? { title } : {}),
        ...(body !== undefined ? { body } : {}),
        ...(priority !== undefined ? { priority: parsePriority(priority) } : {}),
        labels: list(opts, 'label'),
        unlabels: list(opts, 'unlabel'),
      });
      out.result(t, () => `edited ${t.id}`);
    },
  },
  {
    name: 'task comment',
    summary: 'add a comment to a task (anyone may); - reads the text from stdin',
    args: '<id> <text>|-',
    minArgs: 2,
    maxArgs: 2,
    writes: true,
    async run({ ctx, out, args, stdin }) {
      const text = await commentText(args[1]!, stdin);
      const t = await ops.commentTask(ctx, { id: args[0]!, text });
      out.result(t, () => `commented on ${t.id} (${t.comments.length + t.commentsDropped} comment${t.comments.length + t.commentsDropped === 1 ? '' : 's'})`);
    },
  },
  {
    name: 'task done',
    summary: 'finish your tasks, all or nothing (releases the locks claimed with them); prints what became ready',
    args: '<id>...',
    minArgs: 1,
    writes: true,
    options: { note: { type: 'string', value: '<text>', help: 'what was done' }, ...force },
    async run({ ctx, out, opts, args }) {
      const note = str(opts, 'note');
      const reason = str(opts, 'reason');
      const input = { force: Boolean(opts.force), ...(note !== undefined ? { note } : {}), ...(reason !== undefined ? { reason } : {}) };
      // One id: the task, as before, with `becameReady`; several: {done, becameReady}.
      const f = args.length === 1 ? await ops.doneTask(ctx, { id: args[0]!, ...input }).then((t) => ({ json: t as unknown, done: [t], becameReady: t.becameReady }))
        : await ops.finishTasks(ctx, { ids: args, ...input }).then((r) => ({ json: r as unknown, ...r }));
      out.result(f.json, () => finishedText(f.done, f.becameReady));
    },
  },
  {
    name: 'task fail',
    summary: 'give up on your task, saying why; it stays failed until reopened',
    args: '<id>',
    minArgs: 1,
    maxArgs: 1,
    writes: true,
    options: { reason: { type: 'string', value: '<text>', help: 'why it failed (required)' }, force: force.force },
    async run({ ctx, out, opts, args }) {
      const reason = str(opts, 'reason');
      const t = await ops.failTask(ctx, { id: args[0]!, force: Boolean(opts.force), ...(reason !== undefined ? { reason } : {}) });
      out.result(t, () => `failed ${t.id}`);
    },
  },
  {
    name: 'task release',
    summary: 'give your claim back: the task is open again (releases the locks claimed with it)',
    args: '<id>',
    minArgs: 1,
    maxArgs: 1,
    writes: true,
    options: force,
    async run({ ctx, out, opts, args }) {
      const reason = str(opts, 'reason');
      const t = await ops.releaseTask(ctx, { id: args[0]!, force: Boolean(opts.force), ...(reason !== undefined ? { reason } : {}) });
      out.result(t, () => `released ${t.id}`);
    },
  },
  {
    name: 'task reopen',
    summary: 'make a done or failed task open again',
    args: '<id>',
    minArgs: 1,
    maxArgs: 1,
    writes: true,
    options: { reason: force.reason },
    async run({ ctx, out, opts, args }) {
      const reason = str(opts, 'reason');
      const t = await ops.reopenTask(ctx, { id: args[0]!, ...(reason !== undefined ? { reason } : {}) });
      out.result(t, () => `reopened ${t.id}`);
    },
  },
  {
    name: 'task depend',
    summary: 'add dependencies: <id> waits until each <on-id> is done',
    args: '<id> <on-id>...',
    minArgs: 2,
    writes: true,
    async run({ ctx, out, args }) {
      const t = await ops.dependTask(ctx, { id: args[0]!, on: args.slice(1) });
      out.result(t, () => `${t.id} depends on ${t.dependsOn.join(', ')}`);
    },
  },
  {
    name: 'task undepend',
    summary: 'remove dependencies (one that is not there: exit 3, nothing changed)',
    args: '<id> <on-id>...',
    minArgs: 2,
    writes: true,
    async run({ ctx, out, args }) {
      const t = await ops.undependTask(ctx, { id: args[0]!, on: args.slice(1) });
      out.result(t, () => (t.dependsOn.length ? `${t.id} depends on ${t.dependsOn.join(', ')}` : `${t.id} depends on nothing`));
    },
  },
  {
    name: 'claim',
    summary: 'claim a task (--next: the most urgent ready one), optionally with locks, all or nothing',
    args: '<id> | --next',
    writes: true,
    options: {
      next: { type: 'boolean', help: 'claim the most urgent ready task; exit 3 when none is free' },
      label: { type: 'string', multiple: true, value: '<name>', help: 'with --next: only tasks with this label' },
      ttl: { type: 'string', value: '<duration>', help: 'lease, such as 30m or 2h, or none (default from config tasks.ttl, else ttl, else 1h)' },
      lock: { type: 'string', multiple: true, value: '<pattern>...', help: 'lock these patterns with the claim, all or nothing' },
    },
    async run({ ctx, out, opts, args }) {
      const ttlMs = ttlOption(opts);
      // `--lock a b c`: the words after the id are more patterns, as the contract writes it.
      if (!opts.next && args.length > 1 && list(opts, 'lock').length === 0 && list(opts, 'label').length === 0) throw new UsageError(`claim: unexpected argument ${JSON.stringify(args[1])} (patterns go after --lock)`);
      const t = await ops.claim(ctx, {
        ...(args.length > 0 ? { id: args[0]! } : {}),
        next: Boolean(opts.next),
        labels: list(opts, 'label'),
        locks: [...list(opts, 'lock'), ...args.slice(1)],
        ...(ttlMs !== undefined ? { ttlMs } : {}),
      });
      out.result(t, () => (opts.next ? t.id : claimedText(t)));
    },
  },
];
