/** Adding tasks: one (`add`), or many in one all-or-nothing step (`importTasks`, from JSON Lines). */
import crypto from 'node:crypto';
import { UsageError } from '../errors.js';
import { printable } from '../printable.js';
import { iso } from '../time.js';
import { taskRef } from '../store/layout.js';
import { again, cas } from '../store/cas.js';
import type { RefUpdate } from '../store/records.js';
import type { Coord } from '../session/coord.js';
import { ImportLine, type TaskRecord } from './schema.js';
import { cycleProblem, findCycle, newTaskId, view, type IsDone, type TaskView } from './rules.js';
import { unique, validateBody, validateLabel, validatePriority, validateTaskId, validateTitle } from './checks.js';
import { ALL_SHELVES, commitTasks, everyShelf, readTasks, taskChange } from './records.js';

export interface AddOptions {
  id?: string;
  priority?: number;
  labels?: string[];
  dependsOn?: string[];
  body?: string;
}

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

/** The refs a new task's id must not be on: the done and failed shelves (the open ref is created from nothing). */
function absentElsewhere(id: string): RefUpdate[] {
  return (['done', 'failed'] as const).map((s) => ({ ref: taskRef(s, id), newOid: null, oldOid: null }));
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
  return cas(ctx.store, me, async () => {
    const id = opts.id ?? newTaskId(crypto.randomBytes);
    const snap = await readTasks(ctx, [...everyShelf(id), ...deps.flatMap(everyShelf)], me, 'authority', false);
    if (snap.tasks.has(id)) {
      if (opts.id !== undefined) throw new UsageError(`task ${printable(id)} already exists`, { kind: 'task-exists', task: id });
      return again({ pause: false }); // a generated id clashed: draw another
    }
    const missing = deps.filter((d) => !snap.tasks.has(d));
    if (missing.length > 0) throw new UsageError(`no task ${missing.map(printable).join(', ')}: a dependency must exist`, { kind: 'no-task', tasks: missing });
    const now = ctx.now();
    const rec = newRecord(me, id, t, body, priority, labels, deps, now);
    // The id must be new on every shelf: the open ref is created (must not exist), the others verified absent.
    return commitTasks(snap, [taskChange(null, rec, 'add')], now, view(rec, now, snap.isDone), absentElsewhere(id));
  });
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

/**
 * Adds many tasks in one all-or-nothing step, from JSON Lines (blank lines are skipped). Any
 * invalid line, unknown dependency, duplicate id or cycle: UsageError naming the line.
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
  return cas(ctx.store, me, async () => {
    const snap = await readTasks(ctx, ALL_SHELVES, me, 'authority', false);
    const ids = lines.map(({ item }) => item.id ?? newTaskId(crypto.randomBytes));
    const fileIds = new Map(ids.map((id, k) => [id, lines[k]!.line]));
    if (fileIds.size !== ids.length || ids.some((id, k) => lines[k]!.item.id === undefined && snap.tasks.has(id))) return again({ pause: false }); // a generated id clashed
    const graph = new Map([...snap.tasks].map(([id, h]) => [id, h.record.dependsOn]));
    for (const [k, { line, item }] of lines.entries()) {
      const id = ids[k]!;
      if (snap.tasks.has(id)) throw new UsageError(`line ${line}: task ${printable(id)} already exists`, { line, kind: 'task-exists', task: id });
      for (const d of item.dependsOn ?? []) {
        if (!snap.tasks.has(d) && !fileIds.has(d)) throw new UsageError(`line ${line}: no task ${printable(d)}: a dependency must exist or be in the file`, { line, kind: 'no-task', tasks: [d] });
      }
      graph.set(id, unique(item.dependsOn ?? []));
    }
    const cycle = findCycle(graph, ids);
    if (cycle) {
      const line = Math.min(...cycle.filter((id) => fileIds.has(id)).map((id) => fileIds.get(id)!));
      const c = cycleProblem(cycle);
      throw new UsageError(`line ${line}: dependencies would close a cycle: ${c.text}`, { line, ...c.detail });
    }
    const now = ctx.now();
    // One creation time each, ending now, in file order: the board's order keeps the file's.
    const recs = lines.map(({ item }, k) =>
      newRecord(me, ids[k]!, validateTitle(item.title), item.body ?? '', item.priority ?? 2, unique(item.labels ?? []), unique(item.dependsOn ?? []), now - (lines.length - 1 - k)),
    );
    // Ids given in the file must be new on every shelf, verified in the swap. Generated ones were
    // checked against every shelf just now (and their open refs are created from nothing): a
    // random id finished by someone else in between is beyond any realistic chance, and leaving
    // out two verifications a task keeps a big import's single push within the argument limit.
    const absent: RefUpdate[] = ids.flatMap((id, k) => (lines[k]!.item.id === undefined ? [] : absentElsewhere(id)));
    const known = new Set(ids);
    const isDone: IsDone = (id) => !known.has(id) && snap.isDone(id);
    return commitTasks(snap, recs.map((r) => taskChange(null, r, 'add')), now, recs.map((r) => view(r, now, isDone)), absent);
  });
}
