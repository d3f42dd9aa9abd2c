/**
 * The pure logic of the task board, testable without git: what a task looks like to readers,
 * when it is free and ready, the order `claim --next` tries candidates in, and dependency cycles.
 */
import type { Comment, TaskRecord, TaskStatus } from './schema.js';
import { printable } from '../printable.js';

export interface TaskView {
  id: string;
  title: string;
  body: string;
  status: TaskStatus;
  priority: number;
  labels: string[];
  dependsOn: string[];
  claimedBy: string | null;
  claimedAt: string | null;
  claimExpiresAt: string | null;
  /** Patterns locked with the claim; released when the task is done, failed or released. */
  locks: string[];
  createdAt: string;
  createdBy: string;
  updatedAt: string;
  note: string | null;
  reason: string | null;
  /** Free (open, or claimed with an expired claim) with every dependency done. */
  ready: boolean;
  /** The dependencies not done yet. */
  blockedBy: string[];
  /** The parent task, or null. */
  parent: string | null;
  /** The children's ids, oldest first. */
  children: string[];
  /** The comments the task keeps, oldest first (the newest MAX_COMMENTS). */
  comments: Comment[];
  /** How many older comments the record no longer keeps (its history has them). */
  commentsDropped: number;
}

/** Whether a task's dependency is done: the board knows, or (for ids it did not read) assumes. */
export type IsDone = (id: string) => boolean;

export function claimLive(t: TaskRecord, now: number): boolean {
  return t.status === 'claimed' && (t.claimExpiresAt === null || Date.parse(t.claimExpiresAt) > now);
}

/** Open, or claimed with an expired claim: anyone may claim it. */
export function isFree(t: TaskRecord, now: number): boolean {
  return t.status === 'open' || (t.status === 'claimed' && !claimLive(t, now));
}

export function blockedBy(t: TaskRecord, isDone: IsDone): string[] {
  return t.dependsOn.filter((d) => !isDone(d));
}

export function isReady(t: TaskRecord, now: number, isDone: IsDone): boolean {
  return isFree(t, now) && blockedBy(t, isDone).length === 0;
}

export function view(t: TaskRecord, now: number, isDone: IsDone): TaskView {
  const blocking = t.status === 'done' || t.status === 'failed' ? [] : blockedBy(t, isDone);
  return {
    id: t.id,
    title: t.title,
    body: t.body,
    status: t.status,
    priority: t.priority,
    labels: t.labels,
    dependsOn: t.dependsOn,
    claimedBy: t.claimedBy,
    claimedAt: t.claimedAt,
    claimExpiresAt: t.claimExpiresAt,
    locks: t.locks,
    createdAt: t.createdAt,
    createdBy: t.createdBy,
    updatedAt: t.updatedAt,
    note: t.note,
    reason: t.reason,
    ready: isFree(t, now) && blocking.length === 0,
    blockedBy: blocking,
    parent: t.parent ?? null,
    children: t.children ?? [],
    comments: t.comments ?? [],
    commentsDropped: t.commentsDropped ?? 0,
  };
}

/** Most urgent first: priority (0 first), then oldest first, then by id. */
export function byUrgency(a: Pick<TaskRecord, 'priority' | 'createdAt' | 'id'>, b: Pick<TaskRecord, 'priority' | 'createdAt' | 'id'>): number {
  if (a.priority !== b.priority) return a.priority - b.priority;
  const ta = Date.parse(a.createdAt);
  const tb = Date.parse(b.createdAt);
  if (ta !== tb) return ta - tb;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** How many of the most urgent, oldest candidates agents spread over (see claimOrder). */
export const SPREAD = 16;

/**
 * The order in which `claim --next` tries the ready candidates (`sorted` most urgent first).
 * Agents racing for the same board would all try the same first task, and all but one would
 * lose that swap. So each agent starts at a place of its own among the oldest few (up to
 * SPREAD) of the most urgent tier, picked by a hash of its id, and goes round the tier from
 * there; the less urgent tiers follow in order. Priority is always respected; within one
 * priority, age is respected up to that spread.
 */
export function claimOrder<T extends Pick<TaskRecord, 'priority' | 'createdAt' | 'id'>>(sorted: T[], me: string): T[] {
  if (sorted.length === 0) return [];
  const tier = sorted.filter((t) => t.priority === sorted[0]!.priority);
  const start = fnv1a(me) % Math.min(tier.length, SPREAD);
  return [...tier.slice(start), ...tier.slice(0, start), ...sorted.slice(tier.length)];
}

/** FNV-1a, 32 bits: a cheap, stable hash (no crypto module to load on the claim path). */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/**
 * A dependency cycle in `graph` (task id → the ids it depends on) reachable from `from`, as the
 * path that closes it (`a → b → a`), or null. Ids missing from the graph have no dependencies.
 * Iterative, so a long chain cannot overflow the stack.
 */
export function findCycle(graph: ReadonlyMap<string, readonly string[]>, from: Iterable<string>): string[] | null {
  const state = new Map<string, 'active' | 'finished'>();
  for (const root of from) {
    if (state.has(root)) continue;
    const stack: { id: string; next: number }[] = [{ id: root, next: 0 }];
    state.set(root, 'active');
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const deps = graph.get(top.id) ?? [];
      if (top.next >= deps.length) {
        state.set(top.id, 'finished');
        stack.pop();
        continue;
      }
      const d = deps[top.next++]!;
      const s = state.get(d);
      if (s === 'active') {
        const path = stack.slice(stack.findIndex((f) => f.id === d)).map((f) => f.id);
        return [...path, d];
      }
      if (s === undefined) {
        state.set(d, 'active');
        stack.push({ id: d, next: 0 });
      }
    }
  }
  return null;
}

/** Every id reachable from `from` along dependencies (including `from`). */
export function reachable(graph: ReadonlyMap<string, readonly string[]>, from: Iterable<string>): Set<string> {
  const seen = new Set<string>();
  const todo = [...from];
  while (todo.length > 0) {
    const id = todo.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    todo.push(...(graph.get(id) ?? []));
  }
  return seen;
}

// Lower-case letters and digits without the look-alikes (0/o, 1/l/i): readable, one word.
const ALPHABET = '23456789abcdefghjkmnpqrstuvwxyz';

/**
 * A new task id: `t-` and 6 random characters (31^6, about 887 million). No counter that every
 * `task add` would contend on; creation is a compare-and-swap on the new ref, so the rare clash
 * is caught and retried with another id, never a silent overwrite.
 */
export function newTaskId(random: (n: number) => Uint8Array): string {
  const bytes = random(6);
  let id = 't-';
  for (const b of bytes) id += ALPHABET[b % ALPHABET.length];
  return id;
}

/** The most ids a cycle error names (a forged or generated chain may be thousands long). */
export const CYCLE_SHOWN = 20;

/** A cycle for an error: its first CYCLE_SHOWN ids, then how many more; and the same as detail. */
export function cycleProblem(cycle: string[]): { text: string; detail: { kind: 'cycle'; cycle: string[]; cycleLength: number } } {
  const shown = cycle.slice(0, CYCLE_SHOWN).map(printable).join(' -> ');
  const more = cycle.length > CYCLE_SHOWN ? ` -> ... (${cycle.length - CYCLE_SHOWN} more)` : '';
  return { text: `${shown}${more}`, detail: { kind: 'cycle', cycle: cycle.slice(0, CYCLE_SHOWN), cycleLength: cycle.length } };
}
