/** The message commands: send, reply, inbox, ack, thread, outbox, channel join/leave/list. */
import * as ops from '../../operations/messages.js';
import type { Wait } from '../../operations/input.js';
import { MAX_BODY_BYTES, parsePriority, type MessageView } from '../../messages/rules.js';
import { parseDuration } from '../../session/duration.js';
import { ackText, messageText, noteView, outboxText } from '../render.js';
import type { Output } from '../output.js';
import { count, str, type CommandSpec, type Invocation, type OptionSpec, type OptionValues } from '../command.js';

const SEND_OPTIONS: Record<string, OptionSpec> = {
  subject: { type: 'string', value: '<text>', help: 'a one-line subject (the history records it, never the body)' },
  priority: { type: 'string', value: '<0-4>', help: '0 is the most urgent (default 2)' },
  ttl: { type: 'string', value: '<duration>', help: 'lifetime, such as 2h, or none (default: messages.ttl in config, else 7d)' },
  ack: { type: 'boolean', help: 'ask every recipient to acknowledge it (unacknowledged at expiry: a dead letter in your outbox)' },
  'wait-reply': { type: 'string', value: '<duration>', optionalValue: true, help: 'then wait for the first reply and print it (default 10m; none: exit 3)' },
};

function sendInput(opts: OptionValues): ops.SendInput {
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

/** `--wait` or `--wait-reply`: its duration ('default' when given bare), or undefined. */
function waitOption(opts: OptionValues, name: string): Wait | undefined {
  const v = str(opts, name);
  if (v === undefined) return undefined;
  return v === '' ? 'default' : parseDuration(v, `--${name}`)!;
}

/** The text to send: the argument, or stdin for `-` where the command has one. */
async function bodyText(arg: string, stdin: Invocation['stdin']): Promise<string> {
  // Read one byte past the message's limit at most: checkBody words the refusal.
  return arg === '-' && stdin ? stdin(MAX_BODY_BYTES, 'message on stdin') : arg;
}

/** Sends, prints the id (the message with --json), and with --wait-reply waits for the first reply and prints it. */
async function sendAndMaybeWait(ctx: Invocation['ctx'], out: Output, opts: OptionValues, send: () => Promise<MessageView>): Promise<void> {
  const wait = waitOption(opts, 'wait-reply');
  const sent = await send();
  // For people the id comes at once, before any wait; JSON is one document at the end.
  if (wait === undefined || !out.json) out.result(sent, () => sent.id);
  if (wait === undefined) return;
  const r = await ops.waitReply(ctx, { sent, wait });
  out.result(r, () => `reply:\n${messageText(r.reply)}`);
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
      const input = sendInput(opts);
      const thread = str(opts, 'thread');
      const text = await bodyText(args[1]!, stdin);
      await sendAndMaybeWait(ctx, out, opts, () => ops.send(ctx, { ...input, to: args[0]!, text, ...(thread !== undefined ? { thread } : {}) }));
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
      const input = sendInput(opts);
      const text = await bodyText(args[1]!, stdin);
      await sendAndMaybeWait(ctx, out, opts, () => ops.reply(ctx, { ...input, id: args[0]!, text, all: Boolean(opts.all) }));
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
      const wait = waitOption(opts, 'wait');
      const from = str(opts, 'from');
      const thread = str(opts, 'thread');
      const channel = str(opts, 'channel');
      const limit = count(opts, 'n');
      const list = await ops.inbox(ctx, {
        all: Boolean(opts.all),
        ...(from !== undefined ? { from } : {}),
        ...(thread !== undefined ? { thread } : {}),
        ...(channel !== undefined ? { channel } : {}),
        ...(limit !== undefined ? { limit } : {}),
        ...(wait !== undefined ? { wait } : {}),
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
      const r = await ops.ack(ctx, { ids: args, all: Boolean(opts.all) });
      out.result(r, () => ackText(r));
    },
  },
  {
    name: 'thread',
    summary: 'every message of a thread you can see, oldest first',
    args: '<id>',
    minArgs: 1,
    maxArgs: 1,
    async run({ ctx, out, args }) {
      const list = await ops.thread(ctx, { id: args[0]! });
      noteView(ctx);
      out.result(list, () => list.map(messageText).join('\n\n'));
    },
  },
  {
    name: 'outbox',
    summary: "the messages you sent, with each recipient's acknowledgement; dead letters",
    options: { dead: { type: 'boolean', help: 'only dead letters: asked for acks, expired before every recipient acknowledged' } },
    async run({ ctx, out, opts }) {
      const list = await ops.outbox(ctx, { dead: Boolean(opts.dead) });
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
      const r = await ops.joinChannel(ctx, { name: args[0]! });
      out.result(r, () => (r.joined ? `joined #${r.channel}` : `already in #${r.channel}`));
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
      const r = await ops.leaveChannel(ctx, { name: args[0]! });
      out.result(r, () => `left #${r.channel}`);
    },
  },
  {
    name: 'channel list',
    summary: 'the channels, each with its members',
    async run({ ctx, out }) {
      const list = await ops.channels(ctx);
      noteView(ctx);
      out.result(list, () => (list.length === 0 ? 'no channels' : list.map((c) => `#${c.name}  ${c.members.join(', ')}`).join('\n')));
    },
  },
];
