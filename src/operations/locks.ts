/**
 * The lock operations: lock (with or without a wait), unlock, renew, prune, the list of locks,
 * check. Typed input in, the contract's JSON shapes out (see /work/shared/spec/cli.md).
 */
import { Locks, type Conflict, type LockView } from '../locks/locks.js';
import type { Coord } from '../session/coord.js';
import type { ReadMode } from '../store/records.js';
import type { TaskView } from '../tasks/rules.js';
import { checkReason, given, invalid, waitMs, type Wait } from './input.js';

export interface LockInput {
  patterns: string[];
  reason?: string;
  /** Lease in ms, null for none; undefined: the configured default. */
  ttlMs?: number | null;
  /**
   * Keep trying while refused, for this long (one request, one ticket, for the whole wait: the
   * oldest waiter wins). Undefined: one try.
   */
  wait?: Wait;
}

export async function lock(ctx: Coord, input: LockInput): Promise<{ ok: true; locks: LockView[] }> {
  checkReason(input.reason);
  const locks = new Locks(ctx);
  const opts = { ...given('ttlMs', input.ttlMs), ...given('reason', input.reason) };
  const granted =
    input.wait === undefined ? await locks.lock(input.patterns, opts) : await locks.lockWaiting(input.patterns, opts, await waitMs(ctx, input.wait, 'wait'));
  return { ok: true, locks: granted };
}

export interface UnlockInput {
  patterns?: string[];
  all?: boolean;
  force?: boolean;
  reason?: string;
}

/** The unlock rules: patterns or all (not both, not neither); force names its patterns and says why. */
export function checkUnlock(input: UnlockInput): void {
  const patterns = input.patterns ?? [];
  checkReason(input.reason);
  if (!input.all && patterns.length === 0) throw invalid('unlock-nothing-named', 'give the patterns to unlock, or all');
  if (input.all && patterns.length > 0) throw invalid('patterns-and-all', 'give patterns or all, not both');
  if (input.all && input.force) throw invalid('force-with-all', 'force breaks the locks you name: give their patterns instead of all');
  if (input.force && !input.reason) throw invalid('force-needs-reason', 'force needs a reason: the history records why a lock was broken', { what: 'lock' });
}

export async function unlock(ctx: Coord, input: UnlockInput): Promise<{ ok: true; locks: LockView[] }> {
  checkUnlock(input);
  const released = await new Locks(ctx).unlock(input.patterns ?? [], {
    all: Boolean(input.all),
    force: Boolean(input.force),
    ...given('reason', input.reason),
  });
  return { ok: true, locks: released };
}

/** Renews the named locks, or with none named every lock and every claim of this agent. */
export async function renew(ctx: Coord, input: { patterns?: string[]; ttlMs?: number | null }): Promise<{ ok: true; locks: LockView[]; tasks: TaskView[] }> {
  const patterns = input.patterns ?? [];
  const ttl = given('ttlMs', input.ttlMs);
  const renewed = await new Locks(ctx).renew(patterns, ttl);
  // Tasks (and zod, for their records) load only here: `lock` never needs them.
  const tasks = patterns.length === 0 ? await new (await import('../tasks/tasks.js')).Tasks(ctx).renew(ttl) : [];
  return { ok: true, locks: renewed, tasks };
}

/**
 * `prune`: dead locks and the token marks nobody needs (one swap), expired messages' refs, the agents not seen for
 * `agents.forget` (their presence and message records), finished tasks still on the old done and
 * failed shelves (into this agent's archive), then packs this repository's refs and
 * loose objects, reachable or not (a remote's own packing is the forge's: here, the clone).
 */
export async function prune(
  ctx: Coord,
  opts: { budget?: number; pack?: boolean } = {},
): Promise<{ ok: true; locks: LockView[]; tokens: string[]; messages: number; agents: string[]; tasks: number; packed: boolean }> {
  const budget = opts.budget ?? Infinity;
  const { removed, tokens } = await new Locks(ctx).pruneWithMarks(budget);
  const messages = await (await import('../messages/prune.js')).pruneMessages(ctx, budget);
  // Finished tasks still on the old done and failed shelves move into this agent's archive.
  const tasks = await (await import('../tasks/archive.js')).migrateShelves(ctx, budget);
  const cfg = await ctx.config();
  const agents =
    cfg.agents.forgetMs === null ? [] : await (await import('../agents/presence.js')).forget(ctx, cfg.agents.forgetMs, cfg.messages.ttlMs, budget);
  if (opts.pack === false) return { ok: true, locks: removed, tokens, messages, agents, tasks, packed: false };
  const problem = await ctx.store.pack();
  if (problem) ctx.warn(`could not pack: ${problem}`);
  return { ok: true, locks: removed, tokens, messages, agents, tasks, packed: problem === null };
}

export async function listLocks(ctx: Coord, input: { mine?: boolean } = {}): Promise<LockView[]> {
  return new Locks(ctx).list({ mine: Boolean(input.mine) });
}

/** A conflict as the contract shows it. */
export type PublicConflict = Pick<Conflict, 'path' | 'pattern' | 'agent' | 'reason' | 'expiresAt'>;

export function publicConflict({ path, pattern, agent, reason, expiresAt }: Conflict): PublicConflict {
  return { path, pattern, agent, reason, expiresAt };
}

export interface CheckResult {
  ok: boolean;
  conflicts: PublicConflict[];
  view?: ReturnType<Coord['viewInfo']>;
}

/** May this agent touch these paths (and, with `staged`, the paths the staged changes touch)? */
export async function check(ctx: Coord, input: { paths?: string[]; staged?: boolean }): Promise<CheckResult> {
  const conflicts = [...(await new Locks(ctx).check(input.paths ?? []))];
  if (input.staged) conflicts.push(...(await (await import('./commits.js')).stagedConflicts(ctx)));
  const view = ctx.viewInfo();
  return { ok: conflicts.length === 0, conflicts: conflicts.map(publicConflict), ...(view ? { view } : {}) };
}

/**
 * Others' live locks covering concrete file paths, as `agent` sees them (null: an agent that holds
 * nothing): what an edit hook asks before a file is written. Read as `mode` says ('view' for a
 * hook: a slow remote never holds up an edit).
 */
export async function heldByOthers(ctx: Coord, input: { paths: string[]; agent: string | null; mode: ReadMode }): Promise<PublicConflict[]> {
  const covering = await new Locks(ctx).covering(input.paths, input.mode);
  return [...covering].flatMap(([path, hits]) =>
    hits.filter((h) => h.rec.agent !== input.agent).map(({ rec }) => ({ path, pattern: rec.pattern, agent: rec.agent, reason: rec.reason, expiresAt: rec.expiresAt })),
  );
}
