/**
 * Tasks: a shared board whose claims are as hard as locks.
 *
 * Each task is one record on its own ref, on the shelf of its status (store/layout.ts):
 * `tasks/open/<id>` for open and claimed tasks, `tasks/done/<id>`, `tasks/failed/<id>`. A claim is
 * a compare-and-swap of the task's own record from the state that was read (free) to `claimed`,
 * so of any number of agents claiming one task exactly one swap succeeds; unrelated tasks never
 * share a ref. Finishing moves the record to its new shelf in the same swap (delete the old ref,
 * create the new one), so `claim --next` reads only the open and failed shelves, whatever the
 * number of finished tasks. docs/design.md has the layout, the protocol and the figures.
 *
 * This file is the service the faces call; the work is in add.ts (adding), claims.ts (claims),
 * records.ts (records on refs), checks.ts (field checks) and rules.ts (pure rules).
 */
import { RefusedError, UsageError } from '../errors.js';
import { printable } from '../printable.js';
import { iso } from '../time.js';
import { taskRef, taskShelf } from '../store/layout.js';
import { answer, cas } from '../store/cas.js';
import type { ReadMode, RefUpdate } from '../store/records.js';
import type { Coord } from '../session/coord.js';
import type { Locks } from '../locks/locks.js';
import type { TaskRecord, TaskStatus } from './schema.js';
import { byUrgency, claimLive, cycleProblem, findCycle, isFree, isReady, reachable, view, type TaskView } from './rules.js';
import { unique, validateLabel, validateReason, validateTaskId } from './checks.js';
import { ALL_SHELVES, alsoUnreadable, commitTasks, everyShelf, notFound, readBoard, readTasks, taskChange, type Held, type TaskSession } from './records.js';
import { add, importTasks, type AddOptions } from './add.js';
import { claim, claimNext, endClaim, renewClaims, type ClaimOptions, type EndOptions } from './claims.js';
import { finish, type Finished } from './finish.js';
import { reopenCheck } from './family.js';
import { comment, edit, undepend, type EditOptions } from './edit.js';
import { findFinished } from './archive.js';
import { allDone, notDone, readDependencies, readIndex, touches } from './ready.js';

export type { TaskView, AddOptions, ClaimOptions, EndOptions, Finished, EditOptions };
export { snapshot, withFinished, type Held, type Snapshot } from './records.js';
export { validateTaskId, parsePriority } from './checks.js';

/** A child as `task show` lists it. */
export interface ChildLine {
  id: string;
  title: string;
  status: TaskStatus;
}

export interface ListOptions {
  ready?: boolean;
  mine?: boolean;
  status?: TaskStatus;
  labels?: string[];
}

/** The tasks service of one session. Every method returns plain views (the JSON of the command contract). */
export class Tasks implements TaskSession {
  /** Swaps `claim --next` lost to another agent in this session (the benchmark reports them). */
  lostRaces = 0;
  private lockService: Locks | null = null;

  constructor(readonly ctx: Coord) {}

  /** The locks service, loaded only by the commands that lock (pattern matching costs start-up time). */
  async locks(): Promise<Locks> {
    this.lockService ??= new (await import('../locks/locks.js')).Locks(this.ctx);
    return this.lockService;
  }

  /** Adds a task. Its dependencies must exist; an explicit id must be new. */
  add(title: string, opts: AddOptions = {}): Promise<TaskView> {
    return add(this.ctx, title, opts);
  }

  /**
   * Adds many tasks in one all-or-nothing step, from JSON Lines (blank lines are skipped). Any
   * invalid line, unknown dependency, duplicate id or cycle: UsageError naming the line.
   */
  import(text: string): Promise<TaskView[]> {
    return importTasks(this.ctx, text);
  }

  /** Tasks, most urgent first. Without a status, every task; `ready`: claimable now. */
  async list(opts: ListOptions = {}): Promise<TaskView[]> {
    const me = opts.mine ? this.ctx.requireAgent() : null;
    const labels = (opts.labels ?? []).map(validateLabel);
    const mode = this.ctx.readMode();
    if (opts.ready) {
      const ready = await this.readyList(mode);
      if (ready !== null) return ready.filter((t) => (!opts.status || t.status === opts.status) && (!me || t.claimedBy === me) && labels.every((l) => t.labels.includes(l)));
    }
    const onlyLive = opts.ready || opts.status === 'open' || opts.status === 'claimed' || opts.status === 'failed';
    const snap = opts.status === 'done' ? await readTasks(this.ctx, [taskShelf('done')], null, mode, false)
      : onlyLive ? await readBoard(this.ctx, null, mode, [], { failed: opts.status === 'failed' })
      : await readTasks(this.ctx, ALL_SHELVES, null, mode, false);
    const now = this.ctx.now();
    // A task live on the open shelf is not done, whatever an archive says (one written by hand may
    // hold any id): the shelf's names are enough to tell.
    const live = opts.status === 'done' ? new Set((await this.ctx.store.list([taskShelf('open')], mode)).map((n) => n.ref)) : null;
    return [...snap.tasks.values()]
      .filter((h) => !live?.has(taskRef('open', h.record.id)))
      .map((h) => view(h.record, now, snap.isDone))
      .filter((t) => (!opts.status || t.status === opts.status) && (!opts.ready || t.ready) && (!me || t.claimedBy === me))
      .filter((t) => labels.every((l) => t.labels.includes(l)))
      .sort(byUrgency);
  }

  /**
   * The ready tasks from the ready index (null: the board keeps none): its records, each checked
   * as the whole board's read would (free, every dependency found done: an archive, or the old
   * done shelf), most urgent first. Nothing blocked is read.
   */
  private async readyList(mode: ReadMode): Promise<TaskView[] | null> {
    const candidates = await readIndex(this.ctx, mode);
    if (candidates === null) return null;
    const now = this.ctx.now();
    const free = candidates.filter((h) => isFree(h.record, now));
    const deps = unique(free.flatMap((h) => h.record.dependsOn));
    const found = await findFinished(this.ctx, deps, mode, { shelves: true });
    const isDone = (d: string) => found.get(d)?.record.status === 'done';
    return free.map((h) => view(h.record, now, isDone)).filter((t) => t.ready).sort(byUrgency);
  }

  /** One task, with its children's ids, titles and statuses (`childTasks`, oldest first). */
  async show(id: string): Promise<TaskView & { childTasks: ChildLine[] }> {
    validateTaskId(id);
    const mode = this.ctx.readMode();
    const snap = await readBoard(this.ctx, null, mode, [taskRef('done', id)]);
    const held = snap.tasks.get(id);
    if (!held) throw notFound(id);
    const kids = held.record.children ?? [];
    const elsewhere = kids.filter((c) => !snap.tasks.has(c));
    const done = elsewhere.length ? (await readTasks(this.ctx, elsewhere.map((c) => taskRef('done', c)), null, mode, false)).tasks : new Map<string, Held>();
    const childTasks = kids.flatMap((c) => {
      const h = snap.tasks.get(c) ?? done.get(c);
      return h ? [{ id: c, title: h.record.title, status: h.record.status }] : [];
    });
    return { ...view(held.record, this.ctx.now(), snap.isDone), childTasks };
  }

  /**
   * What an agent's briefing shows, from one read of the open and failed shelves in `mode`: the
   * tasks its live claims hold and the ready tasks, each most urgent first.
   */
  async briefing(mode: ReadMode): Promise<{ claimed: TaskView[]; ready: TaskView[] }> {
    const me = this.ctx.agent();
    const snap = await readBoard(this.ctx, null, mode);
    const now = this.ctx.now();
    const held = [...snap.tasks.values()].map((h) => h.record);
    const views = (recs: TaskRecord[]) => recs.map((r) => view(r, now, snap.isDone)).sort(byUrgency);
    return {
      claimed: me ? views(held.filter((r) => r.claimedBy === me && claimLive(r, now))) : [],
      ready: views(held.filter((r) => isReady(r, now, snap.isDone))),
    };
  }

  /** A task's record as it is now in `mode`, on whichever shelf; null when there is none. */
  async record(id: string, mode: ReadMode): Promise<TaskRecord | null> {
    validateTaskId(id);
    return (await readTasks(this.ctx, everyShelf(id), null, mode, false)).tasks.get(id)?.record ?? null;
  }

  /**
   * Claims one task: refused (exit 3) while another agent's claim on it is live, or when it is
   * done or failed; claiming a task you hold renews it. With `locks`, the patterns are locked in
   * the same step: the claim and every lock are granted together, or nothing changes.
   */
  claim(id: string, opts: ClaimOptions = {}): Promise<TaskView> {
    return claim(this, id, opts);
  }

  /** Claims the most urgent ready task (with every label in `labels`), or refuses (exit 3) when none is free. */
  claimNext(opts: { labels?: string[]; ttlMs?: number | null } = {}): Promise<TaskView> {
    return claimNext(this, opts);
  }

  /**
   * `task done`: the claimer (or another agent with force and a reason); releases the claims'
   * locks. Several at once: all or nothing. Says which tasks became ready.
   */
  done(id: string, opts?: EndOptions): Promise<TaskView & { becameReady: TaskView[] }>;
  done(ids: string[], opts?: EndOptions): Promise<Finished>;
  async done(ids: string | string[], opts: EndOptions = {}): Promise<Finished | (TaskView & { becameReady: TaskView[] })> {
    if (Array.isArray(ids)) return finish(this, ids, opts);
    const f = await finish(this, [ids], opts);
    return { ...f.done[0]!, becameReady: f.becameReady };
  }

  /** `task fail`: needs a reason. The task stays failed until `reopen`. */
  fail(id: string, opts: EndOptions & { reason: string }): Promise<TaskView> {
    return endClaim(this, id, 'fail', opts);
  }

  /** `task release`: gives the claim back; the task is open again. */
  release(id: string, opts: EndOptions = {}): Promise<TaskView> {
    return endClaim(this, id, 'release', opts);
  }

  /** Makes a done or failed task open again (anyone may). */
  async reopen(id: string, opts: { reason?: string } = {}): Promise<TaskView> {
    const me = this.ctx.requireAgent();
    validateTaskId(id);
    validateReason(opts.reason);
    return cas(this.ctx.store, me, async () => {
      const snap = await readTasks(this.ctx, everyShelf(id), me, 'authority', false);
      const held = snap.tasks.get(id);
      if (!held) throw notFound(id);
      const rec = held.record;
      if (rec.status !== 'done' && rec.status !== 'failed') {
        throw new RefusedError(`cannot reopen ${printable(id)}: it is ${rec.status}, not done or failed`, { kind: 'not-finished', task: id, status: rec.status });
      }
      // A child of a done parent stays finished; otherwise the parent's record is rewritten in the same swap (family.ts).
      const parentRead = rec.parent ? await readTasks(this.ctx, everyShelf(rec.parent), null, 'authority', false) : null;
      const parent = rec.parent ? parentRead!.tasks.get(rec.parent) : undefined;
      // Its dependencies: done when found done (the archives), for the ready index's flag.
      const depRead = await readDependencies(this.ctx, rec.dependsOn);
      const isDone = depRead ? depRead.isDone : () => true;
      const now = this.ctx.now();
      const family = reopenCheck(rec, parent, now);
      const next: TaskRecord = {
        ...rec,
        status: 'open',
        claimedBy: null,
        claimedAt: null,
        claimExpiresAt: null,
        claimTtlMs: null,
        locks: [],
        updatedAt: iso(now),
        unblocked: allDone(rec.dependsOn, isDone),
        event: { action: 'reopen', by: me, at: iso(now), ...(opts.reason ? { reason: opts.reason } : {}) },
      };
      const changes = [taskChange(held, next, 'reopen', opts.reason), ...family.changes];
      // Back on the open shelf while waiting: each dependency not done is rewritten (or its archive verified), so its `done` cannot miss this task (ready.ts).
      const touched = touches(notDone(rec.dependsOn, (d) => depRead?.tasks.get(d)), changes, family.verify);
      changes.push(...touched.changes);
      return commitTasks(alsoUnreadable(snap, parentRead, depRead), changes, now, view(next, now, () => false), [...family.verify, ...touched.verify]);
    });
  }

  /**
   * Adds dependencies. One that does not exist, or that would close a cycle: UsageError, nothing
   * written. Every task the cycle check walked is verified unchanged in the same swap, so two
   * agents adding the two halves of a cycle at once cannot both succeed.
   */
  async depend(id: string, on: string[]): Promise<TaskView> {
    const me = this.ctx.requireAgent();
    validateTaskId(id);
    if (on.length === 0) throw new UsageError('no dependency given: name the tasks it depends on', { kind: 'no-ids' });
    const deps = unique(on.map((d) => validateTaskId(d, 'dependency')));
    if (deps.includes(id)) throw new UsageError(`task ${printable(id)} cannot depend on itself`, { kind: 'self-dependency', task: id });
    return cas(this.ctx.store, me, async () => {
      // The live shelves whole; finished tasks by id: the task, its new dependencies, then what
      // the cycle check walks into (reachFinished). The archives are not read whole.
      const lookup = [id, ...deps].flatMap((x) => [taskRef('done', x), taskRef('failed', x)]);
      const snap = await readTasks(this.ctx, ALL_SHELVES, me, 'authority', false, { lookup });
      const held = snap.tasks.get(id);
      if (!held) throw notFound(id);
      const missing = deps.filter((d) => !snap.tasks.has(d));
      if (missing.length > 0) throw new UsageError(`no task ${missing.map(printable).join(', ')}: a dependency must exist`, { kind: 'no-task', tasks: missing });
      const rec = held.record;
      const added = deps.filter((d) => !rec.dependsOn.includes(d));
      const now = this.ctx.now();
      if (added.length === 0) return answer(view(rec, now, snap.isDone));
      await reachFinished(this.ctx, snap.tasks, added);
      const graph = new Map([...snap.tasks].map(([k, h]) => [k, h.record.dependsOn]));
      graph.set(id, [...rec.dependsOn, ...added]);
      const cycle = findCycle(graph, [id]);
      if (cycle) {
        const c = cycleProblem(cycle);
        throw new UsageError(`cannot add: dependencies would close a cycle: ${c.text}`, c.detail);
      }
      const dependsOn = [...rec.dependsOn, ...added];
      const next: TaskRecord = { ...rec, dependsOn, updatedAt: iso(now), unblocked: allDone(dependsOn, snap.isDone), event: { action: 'depend', by: me, at: iso(now) } };
      const changes = [taskChange(held, next, 'depend', `on ${added.join(', ')}`)];
      // Each dependency not done is rewritten (or its archive verified), so its `done` cannot miss
      // this task (ready.ts); every other task the cycle check walked is verified unchanged.
      const touched = held.shelf === 'open' ? touches(notDone(dependsOn, (d) => snap.tasks.get(d)), changes) : { changes: [], verify: [] };
      changes.push(...touched.changes);
      const rewritten = new Set(changes.map((c) => c.ref));
      const walked: RefUpdate[] = [...reachable(graph, added)]
        .filter((k) => k !== id)
        .map((k) => snap.tasks.get(k)!)
        .filter((h) => !rewritten.has(h.ref))
        .map((h) => ({ ref: h.ref, newOid: h.oid, oldOid: h.oid }));
      return commitTasks(snap, changes, now, view(next, now, snap.isDone), [...walked, ...touched.verify]);
    });
  }

  /** Changes a task's title, body, priority or labels (anyone may). */
  edit(id: string, opts: EditOptions): Promise<TaskView> {
    return edit(this.ctx, id, opts);
  }

  /** Adds a comment to a task (anyone may). */
  comment(id: string, text: string): Promise<TaskView> {
    return comment(this.ctx, id, text);
  }

  /** Removes dependencies; one that is not there: refused, nothing changed. */
  undepend(id: string, on: string[]): Promise<TaskView> {
    return undepend(this.ctx, id, on);
  }

  /**
   * Extends this agent's claims (all of them, or those named) by each claim's own lease or
   * `ttlMs`. A claim of yours that expired and that nobody took is renewed too. (The locks taken
   * with a claim are renewed by Locks.renew; the `renew` command does both.)
   */
  renew(opts: { ids?: string[]; ttlMs?: number | null } = {}): Promise<TaskView[]> {
    return renewClaims(this, opts);
  }
}

/**
 * Completes `tasks` with the finished tasks reachable from `from` through dependencies, found by
 * id in the archives a level at a time; a chain still going after a few levels has the archives
 * read whole. A dependency found nowhere stays missing (the cycle check walks past it).
 */
async function reachFinished(ctx: Coord, tasks: Map<string, Held>, from: string[]): Promise<void> {
  for (let level = 0; ; level++) {
    const graph = new Map([...tasks].map(([k, h]) => [k, h.record.dependsOn]));
    const missing = [...reachable(graph, from)].filter((k) => !tasks.has(k));
    if (missing.length === 0) return;
    const whole = level >= 4;
    let more = 0;
    for (const [k, h] of await findFinished(ctx, whole ? null : missing, 'authority')) {
      if (!tasks.has(k)) {
        tasks.set(k, h);
        more++;
      }
    }
    if (whole || more === 0) return;
  }
}
