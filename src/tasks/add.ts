/** Adding tasks: one (`add`), or many in one all-or-nothing step (`importTasks`, from JSON Lines). */
import { UsageError } from '../errors.js';
import { printable } from '../printable.js';
import { iso } from '../time.js';
import { READY_MARKER, TASK_SHELVES, taskRef, type TaskShelf } from '../store/layout.js';
import { again, cas } from '../store/cas.js';
import type { RefUpdate } from '../store/records.js';
import type { Coord } from '../session/coord.js';
import { ImportLine, type TaskRecord } from './schema.js';
import { cycleProblem, findCycle, newTaskId, view, type IsDone, type TaskView } from './rules.js';
import { MAX_CHILDREN, MAX_COMMENTS, unique, validateBody, validateComment, validateLabel, validatePriority, validateNote, validateReason, validateTaskId, validateTitle } from './checks.js';
import { ALL_SHELVES, commitTasks, everyShelf, readTasks, shelfOf, taskChange, type Held } from './records.js';
import { adoptChange, checkParent } from './family.js';
import { allDone, indexAfter, notDone, packAfter, touches } from './ready.js';

export interface AddOptions {
  id?: string;
  priority?: number;
  labels?: string[];
  dependsOn?: string[];
  body?: string;
  /** The parent task: it must exist and not be done. */
  parent?: string;
}

/** node:crypto loads when an id is made, not with the module (claim imports this one). */
const randomBytes = (n: number): Uint8Array => (process.getBuiltinModule('node:crypto') as typeof import('node:crypto')).randomBytes(n);

function newRecord(me: string, id: string, title: string, body: string, priority: number, labels: string[], deps: string[], now: number): TaskRecord {
  return {
    v: 1,
    type: 'task',
    id,
    title,
    body,
    priority,
    labels,
    dependsOn: deps,
    status: 'open',
    createdAt: iso(now),
    createdBy: me,
    claimedBy: null,
    claimedAt: null,
    claimExpiresAt: null,
    claimTtlMs: null,
    locks: [],
    note: null,
    reason: null,
    updatedAt: iso(now),
    event: { action: 'add', by: me, at: iso(now) },
  };
}

/** The refs a new task's id must not be on: the shelves other than its own (its own ref is created from nothing). */
function absentElsewhere(id: string, shelf: TaskShelf = 'open'): RefUpdate[] {
  return TASK_SHELVES.filter((s) => s !== shelf).map((s) => ({ ref: taskRef(s, id), newOid: null, oldOid: null }));
}

/** Adds a task. Its dependencies must exist; an explicit id must be new. */
export async function add(ctx: Coord, title: string, opts: AddOptions = {}): Promise<TaskView> {
  const me = ctx.requireAgent();
  const t = validateTitle(title);
  const body = validateBody(opts.body ?? '');
  const priority = validatePriority(opts.priority ?? 2);
  const labels = unique((opts.labels ?? []).map(validateLabel));
  const deps = unique((opts.dependsOn ?? []).map((d) => validateTaskId(d, 'dependency')));
  if (opts.id !== undefined) validateTaskId(opts.id);
  if (opts.id !== undefined && deps.includes(opts.id)) throw new UsageError(`task ${opts.id} cannot depend on itself`);
  const parentId = opts.parent === undefined ? undefined : validateTaskId(opts.parent, 'parent');
  if (parentId !== undefined && parentId === opts.id) throw new UsageError(`task ${parentId} cannot be its own parent`, { kind: 'self-parent', task: parentId });
  let indexed = true;
  const added = await cas(ctx.store, me, async (round) => {
    const id = opts.id ?? newTaskId(randomBytes);
    const snap = await readTasks(ctx, [...everyShelf(id), ...deps.flatMap(everyShelf), ...(parentId ? everyShelf(parentId) : []), READY_MARKER], me, 'authority', false);
    indexed = snap.indexed;
    if (snap.tasks.has(id)) {
      if (opts.id !== undefined) throw new UsageError(`task ${printable(id)} already exists`, { kind: 'task-exists', task: id });
      return again({ pause: false }); // a generated id clashed: draw another
    }
    const missing = deps.filter((d) => !snap.tasks.has(d));
    if (missing.length > 0) throw new UsageError(`no task ${missing.map(printable).join(', ')}: a dependency must exist`, { kind: 'no-task', tasks: missing });
    // A parent moving between shelves can be missed by one read (it is not one instant): look twice more before saying there is none.
    if (parentId !== undefined && !snap.tasks.has(parentId) && round < 2) return again();
    const parent = parentId === undefined ? null : checkParent(snap.tasks.get(parentId), parentId);
    const now = ctx.now();
    const rec: TaskRecord = { ...newRecord(me, id, t, body, priority, labels, deps, now), ...(parentId ? { parent: parentId } : {}), unblocked: allDone(deps, snap.isDone) };
    // The id must be new on every shelf: the open ref is created (must not exist), the others
    // verified absent. A child rewrites its parent's record in the same swap (family.ts), and
    // each dependency not done is rewritten too, so that its `done` cannot miss this task (ready.ts).
    const changes = [taskChange(null, rec, 'add', parentId ? `child of ${parentId}` : undefined), ...(parent ? [adoptChange(parent, [id], now)] : [])];
    const absent = absentElsewhere(id);
    const touched = touches(notDone(deps, (d) => snap.tasks.get(d)), changes, absent);
    changes.push(...touched.changes);
    return commitTasks(snap, changes, now, view(rec, now, snap.isDone), [...absent, ...touched.verify]);
  });
  // A board without the ready index gets it once a task was added (ready.ts).
  if (!indexed) await indexAfter(ctx, me);
  return added;
}

/** A line's status, notes and comments, as a task may hold them. */
function checkImportedState(item: ImportLine): void {
  const status = item.status ?? 'open';
  if (status === 'failed' && !item.reason?.trim()) throw new UsageError('a failed task needs a reason');
  if (item.reason !== undefined && status !== 'failed') throw new UsageError('reason goes with status failed');
  if (item.note !== undefined && status !== 'done') throw new UsageError('note goes with status done');
  if ((item.claimedBy !== undefined || item.claimExpiresAt !== undefined) && status !== 'claimed') throw new UsageError('claimedBy goes with status claimed');
  validateNote(item.note);
  validateReason(item.reason);
  const comments = item.comments ?? [];
  if (comments.length > MAX_COMMENTS) throw new UsageError(`${comments.length} comments (a task keeps at most ${MAX_COMMENTS})`);
  for (const c of comments) validateComment(c.text);
}

/** The most bytes `task import` reads (file or stdin): more is refused unread. */
export const IMPORT_MAX_BYTES = 16 * 1024 * 1024;
/** The most tasks one import adds. Through a remote fewer may fit in one push (see importTasks). */
export const IMPORT_MAX_TASKS = 10_000;

/** The lines of a JSON Lines import, checked (UsageError naming the line). */
function parseLines(text: string): { line: number; item: ImportLine }[] {
  const lines: { line: number; item: ImportLine }[] = [];
  for (const [i, raw] of text.split('\n').entries()) {
    if (raw.trim() === '') continue;
    const at = `line ${i + 1}`;
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch (e) {
      throw new UsageError(`${at}: not JSON (${(e as Error).message})`, { line: i + 1 });
    }
    const r = ImportLine.safeParse(json);
    if (!r.success) {
      const issue = r.error.issues[0]!;
      const keys = 'keys' in issue && Array.isArray(issue.keys) ? issue.keys.join(', ') : issue.path.map(String).join('.');
      throw new UsageError(`${at}: ${issue.code === 'unrecognized_keys' ? `unknown field ${keys}` : `${keys || 'the line'}: ${issue.message}`}`, { line: i + 1 });
    }
    try {
      validateTitle(r.data.title);
      validateBody(r.data.body ?? '');
      checkImportedState(r.data);
    } catch (e) {
      throw new UsageError(`${at}: ${(e as Error).message}`, { line: i + 1 });
    }
    lines.push({ line: i + 1, item: r.data });
  }
  if (lines.length === 0) throw new UsageError('nothing to import: no task lines');
  if (lines.length > IMPORT_MAX_TASKS) throw new UsageError(`too many tasks in one import: ${lines.length}, at most ${IMPORT_MAX_TASKS}; split the file`, { code: 'too-many-tasks', max: IMPORT_MAX_TASKS });
  const given = new Map<string, number>();
  for (const { line, item } of lines) {
    if (item.id === undefined) continue;
    if (given.has(item.id)) throw new UsageError(`line ${line}: id ${item.id} is already used on line ${given.get(item.id)}`, { line });
    given.set(item.id, line);
  }
  return lines;
}

/** The record an import line becomes (a claimed task comes in open: a claim is not carried across boards). */
function importedRecord(me: string, id: string, item: ImportLine, children: string[], now: number): TaskRecord {
  const base = newRecord(me, id, validateTitle(item.title), item.body ?? '', item.priority ?? 2, unique(item.labels ?? []), unique(item.dependsOn ?? []), now);
  const status = item.status === 'done' || item.status === 'failed' ? item.status : 'open';
  const was = item.status === 'claimed' && item.claimedBy ? `imported; was claimed by ${item.claimedBy}` : undefined;
  return {
    ...base,
    status,
    note: status === 'done' ? (item.note ?? null) : null,
    reason: status === 'failed' ? item.reason! : null,
    ...(item.parent ? { parent: item.parent } : {}),
    ...(children.length ? { children } : {}),
    ...(item.comments?.length ? { comments: item.comments.map((c) => ({ agent: c.agent, at: c.at, text: c.text })) } : {}),
    event: { action: 'add', by: me, at: iso(now), ...(was ? { reason: was } : {}) },
  };
}

/**
 * Adds many tasks in one all-or-nothing step, from JSON Lines (blank lines are skipped). Any
 * invalid line, unknown dependency or parent, duplicate id, cycle, or a done parent with a child
 * neither done nor failed: UsageError naming the line. Lines may carry what `task export` writes
 * (status, note, reason, parent, comments): done and failed tasks go onto their shelves, a
 * claimed one comes in open (its former claimer recorded in the history).
 */
export async function importTasks(ctx: Coord, text: string): Promise<TaskView[]> {
  const me = ctx.requireAgent();
  const lines = parseLines(text);
  try {
    return await importLines(ctx, me, lines);
  } catch (e) {
    // One import is one push: through a remote, the refs of a big file may not fit in one.
    if (e instanceof UsageError && (e.detail as { code?: string } | undefined)?.code === 'too-many-refs') {
      const { remote } = e.detail as { remote: string };
      throw new UsageError(`too many tasks to import in one step through remote '${printable(remote)}' (${lines.length}): split the file into smaller parts (a few hundred tasks each)`, {
        code: 'too-many-tasks',
        tasks: lines.length,
        remote,
      });
    }
    throw e;
  }
}

async function importLines(ctx: Coord, me: string, lines: { line: number; item: ImportLine }[]): Promise<TaskView[]> {
  let indexed = true;
  const imported = await cas(ctx.store, me, async () => {
    const ids = lines.map(({ item }) => item.id ?? newTaskId(randomBytes));
    // The live shelves whole; finished tasks only by the ids the file names (its own, its
    // dependencies, its parents): a cycle through the board needs a task already there that
    // waits for one of the file's new ids, which cannot be, so the archives are never read whole.
    const named = unique([...ids, ...lines.flatMap(({ item }) => [...(item.dependsOn ?? []), ...(item.parent === undefined ? [] : [item.parent])])]);
    const lookup = named.flatMap((id) => [taskRef('done', id), taskRef('failed', id)]);
    const snap = await readTasks(ctx, [...ALL_SHELVES, READY_MARKER], me, 'authority', false, { lookup });
    indexed = snap.indexed;
    const fileIds = new Map(ids.map((id, k) => [id, lines[k]!.line]));
    if (fileIds.size !== ids.length || ids.some((id, k) => lines[k]!.item.id === undefined && snap.tasks.has(id))) return again({ pause: false }); // a generated id clashed
    const graph = new Map([...snap.tasks].map(([id, h]) => [id, h.record.dependsOn]));
    const index = new Map(ids.map((id, k) => [id, k]));
    const statusOf = (id: string): string | undefined => {
      const k = index.get(id);
      return k !== undefined ? (lines[k]!.item.status ?? 'open') : snap.tasks.get(id)?.record.status;
    };
    const childrenOf = new Map<string, string[]>();
    for (const [k, { line, item }] of lines.entries()) {
      const id = ids[k]!;
      if (snap.tasks.has(id)) throw new UsageError(`line ${line}: task ${printable(id)} already exists`, { line, kind: 'task-exists', task: id });
      for (const d of item.dependsOn ?? []) {
        if (!snap.tasks.has(d) && !fileIds.has(d)) throw new UsageError(`line ${line}: no task ${printable(d)}: a dependency must exist or be in the file`, { line, kind: 'no-task', tasks: [d] });
      }
      graph.set(id, unique(item.dependsOn ?? []));
      if (item.parent !== undefined) {
        const p = item.parent;
        if (p === id) throw new UsageError(`line ${line}: task ${printable(id)} cannot be its own parent`, { line, kind: 'self-parent' });
        if (!snap.tasks.has(p) && !fileIds.has(p)) throw new UsageError(`line ${line}: no task ${printable(p)}: a parent must exist or be in the file`, { line, kind: 'no-task', tasks: [p] });
        const finished = item.status === 'done' || item.status === 'failed';
        if (statusOf(p) === 'done' && !finished) throw new UsageError(`line ${line}: parent ${printable(p)} is done and this child is not done or failed`, { line, kind: 'parent-done', parent: p });
        childrenOf.set(p, [...(childrenOf.get(p) ?? []), id]);
      }
    }
    // Parents within the file must not form a loop (each chain walked once: the file may hold 10,000 tasks).
    const walked = new Map<string, 'path' | 'ok'>();
    for (const [k, { line }] of lines.entries()) {
      const path: string[] = [];
      for (let at: string | undefined = ids[k]; at !== undefined && fileIds.has(at) && walked.get(at) !== 'ok'; at = lines[index.get(at)!]!.item.parent) {
        if (walked.get(at) === 'path') {
          const loop = cycleProblem(path.slice(path.indexOf(at)));
          throw new UsageError(`line ${line}: parents form a loop: ${loop.text}`, { line, kind: 'parent-loop', tasks: loop.detail.cycle, length: loop.detail.cycleLength });
        }
        walked.set(at, 'path');
        path.push(at);
      }
      for (const at of path) walked.set(at, 'ok');
    }
    const now = ctx.now();
    const parents: Held[] = [];
    for (const [p, kids] of childrenOf) {
      const held = snap.tasks.get(p);
      const have = held ? (held.record.children ?? []).length : 0;
      if (have + kids.length > MAX_CHILDREN) throw new UsageError(`line ${fileIds.get(kids[0]!)}: ${printable(p)} would have ${have + kids.length} children (at most ${MAX_CHILDREN})`, { kind: 'too-many-children' });
      if (held) parents.push(held);
    }
    const cycle = findCycle(graph, ids);
    if (cycle) {
      const line = Math.min(...cycle.filter((id) => fileIds.has(id)).map((id) => fileIds.get(id)!));
      const c = cycleProblem(cycle);
      throw new UsageError(`line ${line}: dependencies would close a cycle: ${c.text}`, { line, ...c.detail });
    }
    // One creation time each, ending now, in file order: the board's order keeps the file's.
    const known = new Map(lines.map(({ item }, k) => [ids[k]!, item.status === 'done' || item.status === 'failed' ? item.status : 'open']));
    const isDone: IsDone = (id) => (known.has(id) ? known.get(id) === 'done' : snap.isDone(id));
    const recs = lines.map(({ item }, k) => ({ ...importedRecord(me, ids[k]!, item, childrenOf.get(ids[k]!) ?? [], now - (lines.length - 1 - k)), unblocked: allDone(unique(item.dependsOn ?? []), isDone) }));
    // Ids given in the file must be new on every shelf, verified in the swap. Generated ones were
    // checked against every shelf just now (and their own refs are created from nothing): a
    // random id finished by someone else in between is beyond any realistic chance, and leaving
    // out two verifications a task keeps a big import's single push within the argument limit.
    const absent: RefUpdate[] = ids.flatMap((id, k) => (lines[k]!.item.id === undefined ? [] : absentElsewhere(id, shelfOf(recs[k]!.status))));
    const changes = recs.map((r, k) => taskChange(null, r, 'add', r.event.reason ?? (lines[k]!.item.parent ? `child of ${lines[k]!.item.parent}` : undefined)));
    // Parents already on the board name their new children in the same swap (family.ts).
    changes.push(...parents.map((p) => adoptChange(p, childrenOf.get(p.record.id)!, now)));
    // Each task already on the board that an open one in the file waits for is rewritten, so its `done` cannot miss them (ready.ts).
    const waitedFor = recs.filter((r) => r.status === 'open' && !r.unblocked).flatMap((r) => notDone(r.dependsOn, (d) => (known.has(d) ? undefined : snap.tasks.get(d))));
    const touched = touches(waitedFor, changes, absent);
    changes.push(...touched.changes);
    return commitTasks(snap, changes, now, recs.map((r) => view(r, now, isDone)), [...absent, ...touched.verify]);
  });
  // Thousands of new refs: packed (ready.ts). A board without the ready index gets it now.
  await packAfter(ctx, imported.length);
  if (!indexed) await indexAfter(ctx, me);
  return imported;
}
