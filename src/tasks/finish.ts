/**
 * `task done <id>...`: finishing one task or several in one all-or-nothing swap, each decided as
 * it would be alone (the claimer, or another agent with force and a reason), and telling which
 * tasks became ready. A parent is refused while a child is neither done, failed, nor finished in
 * the same step (family.ts has why that holds under races).
 */
import { UsageError } from '../errors.js';
import { printable } from '../printable.js';
import { taskRef } from '../store/layout.js';
import { again, cas } from '../store/cas.js';
import type { RecordChange } from '../store/journal.js';
import { alsoUnreadable, commitTasks, readBoard, readTasks, notFound, taskChange, type Held, type TaskSession } from './records.js';
import { checkEndOptions, decideEnd, type EndOptions } from './claims.js';
import { unique, validateTaskId } from './checks.js';
import { byUrgency, view, type IsDone, type TaskView } from './rules.js';
import { childrenCheck, openChildrenRefusal } from './family.js';
import { dependents, unblockChange } from './ready.js';

/** At most this many tasks in one `task done`. */
export const MAX_DONE = 100;

export interface Finished {
  /** The tasks done, in the order given. */
  done: TaskView[];
  /** The tasks that became ready because of it (open, every dependency now done), most urgent first. */
  becameReady: TaskView[];
}

export async function finish(s: TaskSession, ids: string[], opts: EndOptions): Promise<Finished> {
  const ctx = s.ctx;
  const me = ctx.requireAgent();
  if (ids.length === 0) throw new UsageError('no task given: name the tasks to finish', { kind: 'no-ids' });
  const wanted = unique(ids.map((id) => validateTaskId(id)));
  if (wanted.length > MAX_DONE) throw new UsageError(`too many tasks at once (${wanted.length}; at most ${MAX_DONE})`, { kind: 'too-many', max: MAX_DONE });
  checkEndOptions('done', opts);
  const finishing = new Set(wanted);
  return cas(ctx.store, me, async (round) => {
    // The open and failed shelves (what readiness needs) and the named tasks on the done shelf.
    const snap = await readBoard(ctx, me, 'authority', wanted.map((id) => taskRef('done', id)));
    // A task moving between shelves can be missed by one read (it is not one instant): look twice more.
    if (round < 2 && wanted.some((id) => !snap.tasks.has(id))) return again();
    const held = wanted.map((id) => snap.tasks.get(id) ?? (() => { throw notFound(id); })());
    const now = ctx.now();
    // Children on neither shelf read so far are done (or gone): read those refs, to verify them.
    const unknown = unique(held.flatMap((h) => h.record.children ?? [])).filter((c) => !snap.tasks.has(c) && !finishing.has(c));
    const extra = unknown.length > 0 ? await readTasks(ctx, unknown.map((c) => taskRef('done', c)), null, 'authority', false) : null;
    const more = extra?.tasks ?? new Map<string, Held>();
    const decided = held.map((h) => ({ held: h, ...decideEnd(h.record, me, 'done', opts, now) }));
    const family = childrenCheck(held, (c) => snap.tasks.get(c) ?? more.get(c), finishing);
    if (family.open.length > 0) throw openChildrenRefusal(family.open);
    const changes: RecordChange[] = decided.map((d) => taskChange(d.held, d.next, 'done', opts.force && d.other ? opts.reason : opts.note, d.other));
    // The locks taken with each claim go in the same swap, where their holder still has them.
    const byHolder = new Map<string, { patterns: Set<string>; forced: boolean }>();
    for (const d of decided) {
      if (d.claimer === null || d.held.record.locks.length === 0) continue;
      const g = byHolder.get(d.claimer) ?? { patterns: new Set<string>(), forced: d.other !== undefined };
      for (const p of d.held.record.locks) g.patterns.add(p);
      byHolder.set(d.claimer, g);
    }
    for (const [holder, g] of byHolder) changes.push(...(await (await s.locks()).releasing([...g.patterns], holder, g.forced ? opts.reason : undefined)));
    // What became ready: open tasks not ready before, ready once these are done.
    const after: IsDone = (id) => finishing.has(id) || snap.isDone(id);
    const becameReady = [...snap.tasks.values()]
      .filter((h) => !finishing.has(h.record.id) && h.shelf === 'open')
      .filter((h) => h.record.dependsOn.some((d) => finishing.has(d)))
      .map((h) => ({ before: view(h.record, now, snap.isDone), after: view(h.record, now, after) }))
      .filter((v) => v.after.ready && !v.before.ready)
      .map((v) => v.after)
      .sort(byUrgency);
    const done = decided.map((d) => view(d.next, now, after));
    // The ready index: dependents now unblocked join it in this swap; for those still blocked,
    // what blocks them is verified as read (ready.ts).
    const deps = dependents(snap, finishing, after, changes, family.verify);
    changes.push(...deps.unblock.map(unblockChange));
    return commitTasks(alsoUnreadable(snap, extra), changes, now, { done, becameReady }, [...family.verify, ...deps.verify]);
  });
}

export function describeFinished(f: Finished): string {
  return f.done.map((t) => printable(t.id)).join(', ');
}
