/** The message operations: send, reply, wait for a reply, inbox (with a wait), ack, thread, outbox, channels. */
import { RefusedError } from '../errors.js';
import { Messages, type AckResult, type Channel, type SendOptions } from '../messages/messages.js';
import type { MessageView, OutboxView } from '../messages/rules.js';
import type { Coord } from '../session/coord.js';
import { checkCount, given, invalid, waitMs, type Wait } from './input.js';

export type { MessageView, OutboxView, Channel };

export interface SendInput {
  subject?: string;
  /** 0 (most urgent) to 4; default 2. */
  priority?: number;
  /** Lifetime in ms, null for none; undefined: the configured `messages.ttl`. */
  ttlMs?: number | null;
  ack?: boolean;
}

function sendOptions(input: SendInput): SendOptions {
  return { ...given('subject', input.subject), ...given('priority', input.priority), ...given('ttlMs', input.ttlMs), ...(input.ack ? { ack: true } : {}) };
}

/** With GIT_COORD_TRACE set, how many lost compare-and-swap rounds an operation needed (tests assert zero for sends). */
function traced<T>(name: string, m: Messages, run: Promise<T>): Promise<T> {
  return run.finally(() => {
    if (process.env.GIT_COORD_TRACE) process.stderr.write(`trace: ${name}: ${m.retries} retries\n`);
  });
}

/** Sends `text` to agents, @all or #channels (comma-separated, or a list). */
export async function send(ctx: Coord, input: SendInput & { to: string | string[]; text: string; thread?: string }): Promise<MessageView> {
  const m = new Messages(ctx);
  return traced('send', m, m.send(input.to, input.text, { ...sendOptions(input), ...given('thread', input.thread) }));
}

/** Replies to message `id`: to its sender (with `all`, also its other recipients), in its thread. */
export async function reply(ctx: Coord, input: SendInput & { id: string; text: string; all?: boolean }): Promise<MessageView> {
  const m = new Messages(ctx);
  return traced('reply', m, m.reply(input.id, input.text, { ...sendOptions(input), all: Boolean(input.all) }));
}

/**
 * Waits for the first reply to `sent` (a message this agent sent); none within the wait:
 * refused, the message staying sent (`detail.message`).
 */
export async function waitReply(ctx: Coord, input: { sent: MessageView; wait: Wait }): Promise<MessageView & { reply: MessageView }> {
  const ms = await waitMs(ctx, input.wait, 'wait');
  try {
    return { ...input.sent, reply: await new Messages(ctx).waitReply(input.sent.id, ms) };
  } catch (e) {
    if (e instanceof RefusedError) throw new RefusedError(`${e.message}; ${input.sent.id} stays sent`, { message: input.sent });
    throw e;
  }
}

export interface InboxInput {
  all?: boolean;
  from?: string;
  thread?: string;
  channel?: string;
  /** At most this many. */
  limit?: number;
  /** When there are none, wait this long for one (one wait, reading as the command does); none by then: refused. */
  wait?: Wait;
}

export async function inbox(ctx: Coord, input: InboxInput = {}): Promise<MessageView[]> {
  if (input.limit !== undefined) checkCount(input.limit, 'n');
  const ms = input.wait === undefined ? undefined : await waitMs(ctx, input.wait, 'wait');
  return new Messages(ctx).inbox({
    all: Boolean(input.all),
    ...given('from', input.from),
    ...given('thread', input.thread),
    ...given('channel', input.channel),
    ...given('limit', input.limit),
    ...given('waitMs', ms),
  });
}

/** Acknowledges messages by id, or with `all` every one in the inbox. */
export async function ack(ctx: Coord, input: { ids?: string[]; all?: boolean }): Promise<{ ok: true; acked: AckResult['acked']; already: string[] }> {
  const ids = input.ids ?? [];
  if (input.all && ids.length > 0) throw invalid('ack-ids-and-all', 'give message ids or all, not both');
  if (!input.all && ids.length === 0) throw invalid('ack-nothing-named', 'give the ids of the messages to acknowledge, or all');
  const m = new Messages(ctx);
  const r = await traced('ack', m, m.ack(input.all ? 'all' : ids));
  return { ok: true, acked: r.acked, already: r.already };
}

export async function thread(ctx: Coord, input: { id: string }): Promise<MessageView[]> {
  return new Messages(ctx).thread(input.id);
}

export async function outbox(ctx: Coord, input: { dead?: boolean } = {}): Promise<OutboxView[]> {
  return new Messages(ctx).outbox({ dead: Boolean(input.dead) });
}

export async function joinChannel(ctx: Coord, input: { name: string }): Promise<{ ok: true; channel: string; joined: boolean }> {
  const joined = await new Messages(ctx).join(input.name);
  return { ok: true, channel: input.name.replace(/^#/, ''), joined };
}

export async function leaveChannel(ctx: Coord, input: { name: string }): Promise<{ ok: true; channel: string; left: true }> {
  await new Messages(ctx).leave(input.name);
  return { ok: true, channel: input.name.replace(/^#/, ''), left: true };
}

export async function channels(ctx: Coord): Promise<Channel[]> {
  return new Messages(ctx).channels();
}
