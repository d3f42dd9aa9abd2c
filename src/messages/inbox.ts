/** Reading the inbox, and waiting for messages or a reply (paced so that a remote is never asked too often). */
import { RefusedError } from '../errors.js';
import { sleep } from '../store/cas.js';
import type { ReadMode } from '../store/records.js';
import { JOURNAL } from '../store/layout.js';
import type { Coord } from '../session/coord.js';
import { validateAgentId } from '../agents/id.js';
import { channelName, inboxOrder, messageId, type MessageView } from './rules.js';
import { readBox, visible } from './box.js';

/** What all the agents waiting on one remote may ask it together, at most (GitHub asks for at most ~15 reads a second). */
export const WAIT_READS_PER_SECOND = 10;

export interface InboxOptions {
  /** Also the messages already acknowledged. */
  all?: boolean;
  from?: string;
  thread?: string;
  channel?: string;
  limit?: number;
  /** When none: wait up to this long for one (then RefusedError). */
  waitMs?: number;
  /** How to read: default, as the session's policy says (a hook passes 'view': a slow remote never delays it). */
  mode?: ReadMode;
}

/** The messages addressed to this agent that it has not acknowledged (all of them with `all`), most urgent first, then oldest. */
export async function inbox(ctx: Coord, opts: InboxOptions = {}): Promise<MessageView[]> {
  const me = ctx.requireAgent();
  const channel = opts.channel === undefined ? undefined : channelName(opts.channel);
  const from = opts.from === undefined ? undefined : validateAgentId(opts.from, 'the sender filter');
  if (opts.thread !== undefined) messageId(opts.thread, 'thread id');
  const pick = (list: MessageView[]) =>
    list
      .filter((m) => (from === undefined || m.from === from) && (opts.thread === undefined || m.thread === opts.thread))
      .filter((m) => channel === undefined || m.to.includes(`#${channel}`))
      .sort(inboxOrder)
      .slice(0, opts.limit ?? Infinity);
  const read = async (mode: ReadMode) => {
    const box = await readBox(ctx, me, mode, opts.all ? { receipts: true, full: true } : {});
    return pick([...(await visible(ctx, box, me, ctx.now(), Boolean(opts.all))).values()]);
  };
  const first = await read(opts.mode ?? ctx.readMode());
  if (first.length > 0 || opts.waitMs === undefined) return first;
  return poll(ctx, opts.waitMs, read, 'no message arrived');
}

/**
 * How long a waiter for messages pauses before its next read (by round: 0, 1, ...). Locally
 * every read is current and cheap. A remote is asked no more often than the configured `poll`,
 * backing off to 4×; and since hosted forges limit reads per repository (about 15 a second on
 * GitHub), each waiter assumes every agent it knows of may be waiting too and keeps their sum
 * under WAIT_READS_PER_SECOND (docs/scale.md). The MCP inbox tool waits with these pauses too.
 */
export async function waitPauses(ctx: Coord): Promise<(round: number) => number> {
  const cfg = await ctx.config();
  let [base, cap] = [20, 500];
  if (ctx.store.remote) {
    const agents = (await ctx.store.entries([JOURNAL], 'view')).length;
    base = Math.max(cfg.pollMs, (agents * 1000) / WAIT_READS_PER_SECOND);
    cap = base * 4;
  }
  return (round) => Math.min(cap, base * 1.5 ** round) * (0.75 + Math.random() / 2);
}

/** Reads again, paced by `waitPauses`, until `read` finds something or `waitMs` has passed (then refused). */
async function poll<T>(ctx: Coord, waitMs: number, read: (mode: ReadMode) => Promise<T[]>, none: string): Promise<T[]> {
  const deadline = performance.now() + waitMs;
  const pause = await waitPauses(ctx);
  for (let round = 0; ; round++) {
    const left = deadline - performance.now();
    if (left <= 0) throw new RefusedError(`${none} within ${Math.round(waitMs / 1000)}s`, { kind: 'timeout', waitMs });
    await sleep(Math.min(left, pause(round)));
    const found = await read(ctx.store.remote ? 'authority' : 'view');
    if (found.length > 0) return found;
  }
}

/** Waits for the first reply to message `id` (sent by this agent) for at most `waitMs`. */
export async function waitReply(ctx: Coord, id: string, waitMs: number): Promise<MessageView> {
  const me = ctx.requireAgent();
  const read = async (mode: ReadMode) => {
    const box = await readBox(ctx, me, mode, { receipts: true, full: true });
    return [...(await visible(ctx, box, me, ctx.now(), true)).values()].filter((m) => m.replyTo === id).sort((a, b) => Date.parse(a.sentAt) - Date.parse(b.sentAt));
  };
  const now = await read(ctx.store.remote ? 'authority' : 'view');
  if (now.length > 0) return now[0]!;
  return (await poll(ctx, waitMs, read, `no reply to ${id} arrived`))[0]!;
}
