/**
 * Changing a task's own fields: `edit` (title, body, priority, labels; anyone may), `comment`
 * (adds `{agent, at, text}`), `undepend` (removes dependencies). Each is one compare-and-swap of
 * the task's record from the state read, with its journal entry; a priority change renames the
 * task's queue ref in the same swap (the queue's names carry the priority).
 */
import { RefusedError, UsageError } from '../errors.js';
import { printable } from '../printable.js';
import { LINE_FORBIDDEN } from '../fields.js';
import { iso } from '../time.js';
import { again, answer, cas } from '../store/cas.js';
import type { Coord } from '../session/coord.js';
import type { TaskRecord } from './schema.js';
import { view, type TaskView } from './rules.js';
import { MAX_COMMENTS, unique, validateBody, validateComment, validateLabel, validatePriority, validateTaskId, validateTitle } from './checks.js';
import { findFinished } from './archive.js';
import { alsoUnreadable, commitTasks, everyShelf, notFound, readTasks, taskChange, type Held } from './records.js';
import { allDone, notDone, readDependencies, touches } from './ready.js';

export interface EditOptions {
  title?: string;
  body?: string;
  priority?: number;
  /** Labels to add. */
  labels?: string[];
  /** Labels to remove. */
  unlabels?: string[];
}

/** One round on one task: read it (every shelf, with this agent's journal), decide, commit. */
async function onTask(ctx: Coord, id: string, decide: (held: Held, me: string, now: number) => { next: TaskRecord; action: 'edit' | 'comment' | 'undepend'; reason?: string } | null): Promise<TaskView> {
  const me = ctx.requireAgent();
  return cas(ctx.store, me, async (round) => {
    const snap = await readTasks(ctx, everyShelf(id), me, 'authority', false);
    const held = snap.tasks.get(id);
    // A task moving between shelves can be missed by one read (it is not one instant): look twice more.
    if (!held && round < 2) return again();
    if (!held) throw notFound(id);
    const now = ctx.now();
    const d = decide(held, me, now);
    // Whether its dependencies are done, for the answer: found done (an archive, the old done shelf).
    const deps = (d?.next ?? held.record).dependsOn;
    if (d === null || d.action !== 'undepend') {
      const found = await findFinished(ctx, deps, 'authority', { shelves: true });
      const done = (x: string) => found.get(x)?.record.status === 'done';
      if (d === null) return answer(view(held.record, now, done));
      return commitTasks(snap, [taskChange(held, d.next, d.action, d.reason)], now, view(d.next, now, done));
    }
    // Fewer dependencies: the ready index's flag is decided again from the same doneness (found
    // done), and each dependency still not done is rewritten (or its archive verified), so that
    // its `done` cannot miss this task (ready.ts).
    const depRead = await readDependencies(ctx, deps);
    const done = depRead ? depRead.isDone : () => true;
    const next: TaskRecord = { ...d.next, unblocked: allDone(deps, done) };
    const changes = [taskChange(held, next, d.action, d.reason)];
    const touched = held.shelf === 'open' ? touches(notDone(deps, (x) => depRead?.tasks.get(x)), changes) : { changes: [], verify: [] };
    changes.push(...touched.changes);
    return commitTasks(alsoUnreadable(snap, depRead), changes, now, view(next, now, done), touched.verify);
  });
}

/** Changes a task's fields; nothing given, or invalid input: UsageError, nothing written. */
export async function edit(ctx: Coord, id: string, opts: EditOptions): Promise<TaskView> {
  validateTaskId(id);
  const title = opts.title === undefined ? undefined : validateTitle(opts.title);
  const body = opts.body === undefined ? undefined : validateBody(opts.body);
  const priority = opts.priority === undefined ? undefined : validatePriority(opts.priority);
  const add = unique((opts.labels ?? []).map(validateLabel));
  const remove = unique((opts.unlabels ?? []).map(validateLabel));
  if (title === undefined && body === undefined && priority === undefined && add.length === 0 && remove.length === 0) {
    throw new UsageError('nothing to change: give a title, body, priority, label or unlabel', { kind: 'nothing-to-edit' });
  }
  const both = add.filter((l) => remove.includes(l));
  if (both.length > 0) throw new UsageError(`label ${both.join(', ')} both added and removed`, { kind: 'label-both', labels: both });
  return onTask(ctx, id, (held, me, now) => {
    const rec = held.record;
    const labels = [...rec.labels.filter((l) => !remove.includes(l)), ...add.filter((l) => !rec.labels.includes(l))];
    const next: TaskRecord = {
      ...rec,
      ...(title !== undefined ? { title } : {}),
      ...(body !== undefined ? { body } : {}),
      ...(priority !== undefined ? { priority } : {}),
      labels,
    };
    const changed = (['title', 'body', 'priority'] as const).filter((k) => next[k] !== rec[k]);
    if (labels.join('\n') !== rec.labels.join('\n')) changed.push('labels' as never);
    if (changed.length === 0) return null;
    return { next: { ...next, updatedAt: iso(now), event: { action: 'edit', by: me, at: iso(now) } }, action: 'edit', reason: changed.join(', ') };
  });
}

/** Adds a comment; the record keeps the newest MAX_COMMENTS (older ones stay in its history). */
export async function comment(ctx: Coord, id: string, text: string): Promise<TaskView> {
  validateTaskId(id);
  const t = validateComment(text);
  return onTask(ctx, id, (held, me, now) => {
    const rec = held.record;
    const all = [...(rec.comments ?? []), { agent: me, at: iso(now), text: t }];
    const dropped = Math.max(0, all.length - MAX_COMMENTS);
    // The record's `event` is left as it is: a comment does not change what state the task is in.
    const next: TaskRecord = { ...rec, comments: all.slice(dropped), commentsDropped: (rec.commentsDropped ?? 0) + dropped, updatedAt: iso(now) };
    // The history carries the comment's first line, cut, as one line of plain text (the record has it whole).
    const first = t.trim().split('\n', 1)[0]!.replace(new RegExp(LINE_FORBIDDEN.source, 'g'), ' ');
    return { next, action: 'comment', reason: first.length > 80 ? `${first.slice(0, 79).replace(/[\ud800-\udbff]$/, '')}…` : first };
  });
}

/** Removes dependencies; one the task does not have: RefusedError, nothing written. */
export async function undepend(ctx: Coord, id: string, on: string[]): Promise<TaskView> {
  validateTaskId(id);
  if (on.length === 0) throw new UsageError('no dependency given: name the tasks to remove', { kind: 'no-ids' });
  const deps = unique(on.map((d) => validateTaskId(d, 'dependency')));
  return onTask(ctx, id, (held, me, now) => {
    const rec = held.record;
    const missing = deps.filter((d) => !rec.dependsOn.includes(d));
    if (missing.length > 0) {
      throw new RefusedError(`${printable(id)} does not depend on ${missing.map(printable).join(', ')}: nothing changed`, { kind: 'not-a-dependency', task: id, tasks: missing });
    }
    const next: TaskRecord = { ...rec, dependsOn: rec.dependsOn.filter((d) => !deps.includes(d)), updatedAt: iso(now), event: { action: 'undepend', by: me, at: iso(now) } };
    return { next, action: 'undepend', reason: `on ${deps.join(', ')}` };
  });
}
