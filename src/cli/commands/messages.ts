/** The message commands: send, reply, inbox, ack, thread, outbox, channel join/leave/list. */
import { RefusedError, UsageError } from '../../errors.js';
import { Messages, type SendOptions } from '../../messages/messages.js';
import { parsePriority, type MessageView, type OutboxView } from '../../messages/rules.js';
import { parseDuration } from '../../session/duration.js';
import type { Coord } from '../../session/coord.js';
import { noteView, printable, type Output } from '../output.js';
import { count, str, type CommandSpec, type Invocation, type OptionSpec, type OptionValues } from '../command.js';

const SEND_OPTIONS: Record<string, OptionSpec> = {
  subject: { type: 'string', value: '<text>', help: 'a one-line subject (the history records it, never the body)' },
  priority: { type: 'string', value: '<0-4>', help: '0 is the most urgent (default 2)' },
  ttl: { type: 'string', value: '<duration>', help: 'lifetime, such as 2h, or none (default: messages.ttl in config, else 7d)' },
  ack: { type: 'boolean', help: 'ask every recipient to acknowledge it (unacknowledged at expiry: a dead letter in your outbox)' },
  'wait-reply': { type: 'string', value: '<duration>', optionalValue: true, help: 'then wait for the first reply and print it (default 10m; none: exit 3)' },
};

function sendOptions(opts: OptionValues): SendOptions {
  const subject = str(opts, 'subject');
  const priority = str(opts, 'priority');
  const ttl = str(opts, 'ttl');
  return {
    ...(subject !== undefined ? { subject } : {}),
    ...(priority !== undefined ? { priority: parsePriority(priority) } : {}),
    ...(ttl !== undefined ? { ttlMs: parseDuration(ttl, '--ttl', true) } : {}),
    ...(opts.ack ? { ack: true } : {}),
  };
}

/** `--wait` or `--wait-reply`: its duration in ms (the config's `wait` when given bare), or undefined. */
async function waitOption(ctx: Coord, opts: OptionValues, name: string): Promise<number | undefined> {
  const v = str(opts, name);
  if (v === undefined) return undefined;
  return v === '' ? (await ctx.config()).waitMs : parseDuration(v, `--${name}`)!;
}

/** The text to send: the argument, or stdin for `-` where the command has one. */
async function bodyText(arg: string, stdin: Invocation['stdin']): Promise<string> {
  return arg === '-' && stdin ? stdin() : arg;
}

/** With GIT_COORD_TRACE set, how many lost compare-and-swap rounds a command needed (tests assert zero for sends). */
function traceRetries(name: string, m: Messages): void {
  if (process.env.GIT_COORD_TRACE) process.stderr.write(`trace: ${name}: ${m.retries} retries\n`);
}

/** A message for people. Everything another agent wrote goes through printable; body lines are quoted so none can pass for output. */
function messageText(m: MessageView): string {
  const flags = [m.ack ? 'ack requested' : '', m.acked ? 'acknowledged' : ''].filter(Boolean);
  const lines = [`${m.id}  p${m.priority}  from ${m.from} to ${m.to.join(',')}  ${printable(m.sentAt)}${flags.length ? `  (${flags.join(', ')})` : ''}`];
  if (m.subject) lines.push(`  subject: ${printable(m.subject)}`);
  if (m.thread !== m.id || m.replyTo) lines.push(`  thread ${m.thread}${m.replyTo ? `, reply to ${m.replyTo}` : ''}`);
  for (const l of m.body.replace(/\n$/, '').split('\n')) lines.push(`  | ${printable(l)}`);
  return lines.join('\n');
}

function outboxText(m: OutboxView): string {
  const acks = Object.entries(m.acks).map(([a, t]) => `${a} ${t ? `acknowledged ${printable(t)}` : 'not yet'}`);
  return [
    messageText(m),
    `  ${m.dead ? 'DEAD LETTER: expired before every recipient acknowledged it; ' : ''}${m.expiresAt ? `expires ${printable(m.expiresAt)}` : 'no expiry'}`,
    ...(acks.length ? [`  acks: ${acks.join('; ')}`] : []),
  ].join('\n');
}

/** Sends, prints the id (the message with --json), and with --wait-reply waits for the first reply and prints it. */
async function sendAndMaybeWait(name: string, ctx: Coord, out: Output, opts: OptionValues, send: (m: Messages) => Promise<MessageView>): Promise<void> {
  const waitMs = await waitOption(ctx, opts, 'wait-reply');
  const messages = new Messages(ctx);
  const sent = await send(messages).finally(() => traceRetries(name, messages));
  // For people the id comes at once, before any wait; JSON is one document at the end.
  if (waitMs === undefined || !out.json) out.result(sent, () => sent.id);
  if (waitMs === undefined) return;
  let reply: MessageView;
  try {
    reply = await messages.waitReply(sent.id, waitMs);
  } catch (e) {
    if (e instanceof RefusedError) throw new RefusedError(`${e.message}; ${sent.id} stays sent`, { message: sent });
    throw e;
  }
  out.result({ ...sent, reply }, () => `reply:\n${messageText(reply)}`);
}

export const commands: CommandSpec[] = [
  {
    name: 'send',
    summary: 'send a message to agents, @all or #channels (comma-separated)',
    args: '<to> <text>|-',
    minArgs: 2,
    maxArgs: 2,
    writes: true,
    options: {
      ...SEND_OPTIONS,
      thread: { type: 'string', value: '<id>', help: 'put it in this thread (default: it starts its own)' },
    },
    async run({ ctx, out, opts, args, stdin }) {
      const options = sendOptions(opts);
      const thread = str(opts, 'thread');
      const body = await bodyText(args[1]!, stdin);
      await sendAndMaybeWait('send', ctx, out, opts, (m) => m.send(args[0]!, body, { ...options, ...(thread !== undefined ? { thread } : {}) }));
    },
  },
  {
    name: 'reply',
    summary: 'reply to a message: to its sender (--all: also its other recipients), in its thread',
    args: '<id> <text>|-',
    minArgs: 2,
    maxArgs: 2,
    writes: true,
    options: {
      all: { type: 'boolean', help: "also to the message's other recipients" },
      ...SEND_OPTIONS,
    },
    async run({ ctx, out, opts, args, stdin }) {
      const options = sendOptions(opts);
      const body = await bodyText(args[1]!, stdin);
      await sendAndMaybeWait('reply', ctx, out, opts, (m) => m.reply(args[0]!, body, { ...options, all: Boolean(opts.all) }));
    },
  },
  {
    name: 'inbox',
    summary: 'the messages addressed to you that you have not acknowledged, most urgent first',
    options: {
      all: { type: 'boolean', help: 'also those you acknowledged' },
      from: { type: 'string', value: '<id>', help: 'only from this agent' },
      thread: { type: 'string', value: '<id>', help: 'only of this thread' },
      channel: { type: 'string', value: '<name>', help: 'only sent to this channel' },
      n: { type: 'string', short: 'n', value: '<count>', help: 'at most this many' },
      wait: { type: 'string', value: '<duration>', optionalValue: true, help: 'when there are none, wait for one this long (default 10m; none: exit 3)' },
    },
    async run({ ctx, out, opts }) {
      const waitMs = await waitOption(ctx, opts, 'wait');
      const from = str(opts, 'from');
      const thread = str(opts, 'thread');
      const channel = str(opts, 'channel');
      const limit = count(opts, 'n');
      const list = await new Messages(ctx).inbox({
        all: Boolean(opts.all),
        ...(from !== undefined ? { from } : {}),
        ...(thread !== undefined ? { thread } : {}),
        ...(channel !== undefined ? { channel } : {}),
        ...(limit !== undefined ? { limit } : {}),
        ...(waitMs !== undefined ? { waitMs } : {}),
      });
      noteView(ctx);
      out.result(list, () => (list.length === 0 ? 'no messages' : list.map(messageText).join('\n\n')));
    },
  },
  {
    name: 'ack',
    summary: 'acknowledge messages: handled by you (--all: every one in your inbox)',
    args: '[<id>...]',
    writes: true,
    options: { all: { type: 'boolean', help: 'every message in your inbox' } },
    async run({ ctx, out, opts, args }) {
      if (opts.all && args.length > 0) throw new UsageError('give message ids or --all, not both');
      if (!opts.all && args.length === 0) throw new UsageError('give the ids of the messages to acknowledge, or --all');
      const messages = new Messages(ctx);
      const r = await messages.ack(opts.all ? 'all' : args).finally(() => traceRetries('ack', messages));
      out.result({ ok: true, acked: r.acked, already: r.already }, () =>
        [...r.acked.map((m) => `acknowledged ${m.id}`), ...r.already.map((id) => `already acknowledged ${id}`)].join('\n') || 'nothing to acknowledge',
      );
    },
  },
  {
    name: 'thread',
    summary: 'every message of a thread you can see, oldest first',
    args: '<id>',
    minArgs: 1,
    maxArgs: 1,
    async run({ ctx, out, args }) {
      const list = await new Messages(ctx).thread(args[0]!);
      noteView(ctx);
      out.result(list, () => list.map(messageText).join('\n\n'));
    },
  },
  {
    name: 'outbox',
    summary: "the messages you sent, with each recipient's acknowledgement; dead letters",
    options: { dead: { type: 'boolean', help: 'only dead letters: asked for acks, expired before every recipient acknowledged' } },
    async run({ ctx, out, opts }) {
      const list = await new Messages(ctx).outbox({ dead: Boolean(opts.dead) });
      noteView(ctx);
      out.result(list, () => (list.length === 0 ? (opts.dead ? 'no dead letters' : 'no messages sent') : list.map(outboxText).join('\n\n')));
    },
  },
  {
    name: 'channel join',
    summary: 'join a channel: its messages reach your inbox',
    args: '<name>',
    minArgs: 1,
    maxArgs: 1,
    writes: true,
    async run({ ctx, out, args }) {
      const messages = new Messages(ctx);
      const joined = await messages.join(args[0]!);
      const name = args[0]!.replace(/^#/, '');
      out.result({ ok: true, channel: name, joined }, () => (joined ? `joined #${name}` : `already in #${name}`));
    },
  },
  {
    name: 'channel leave',
    summary: 'leave a channel',
    args: '<name>',
    minArgs: 1,
    maxArgs: 1,
    writes: true,
    async run({ ctx, out, args }) {
      await new Messages(ctx).leave(args[0]!);
      const name = args[0]!.replace(/^#/, '');
      out.result({ ok: true, channel: name, left: true }, () => `left #${name}`);
    },
  },
  {
    name: 'channel list',
    summary: 'the channels, each with its members',
    async run({ ctx, out }) {
      const list = await new Messages(ctx).channels();
      noteView(ctx);
      out.result(list, () => (list.length === 0 ? 'no channels' : list.map((c) => `#${c.name}  ${c.members.join(', ')}`).join('\n')));
    },
  },
];
