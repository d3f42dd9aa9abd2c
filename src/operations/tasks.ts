/** The task operations: add, import, list, show, edit, comment, done, fail, release, reopen, depend, undepend, claim. */
import { Tasks, type AddOptions, type ChildLine, type Finished, type TaskView } from '../tasks/tasks.js';
import { TaskStatus } from '../tasks/schema.js';
import type { Coord } from '../session/coord.js';
import { given, invalid } from './input.js';

export type { TaskView, Finished, ChildLine };

/** A task to add: its title, and the concept's options (id, priority 0-4, labels, dependencies, body, parent). */
export interface AddTaskInput extends AddOptions {
  title: string;
}

export async function addTask(ctx: Coord, input: AddTaskInput): Promise<TaskView> {
  return new Tasks(ctx).add(input.title, {
    ...given('id', input.id),
    ...given('parent', input.parent),
    ...given('priority', input.priority),
    ...given('body', input.body),
    labels: input.labels ?? [],
    dependsOn: input.dependsOn ?? [],
  });
}

/** Many tasks from JSON Lines (the face reads the file or stdin), all or nothing. */
export async function importTasks(ctx: Coord, input: { text: string }): Promise<TaskView[]> {
  return new Tasks(ctx).import(input.text);
}

export interface ListTasksInput {
  ready?: boolean;
  mine?: boolean;
  status?: string;
  labels?: string[];
}

export async function listTasks(ctx: Coord, input: ListTasksInput = {}): Promise<TaskView[]> {
  const status = input.status;
  if (status !== undefined && !TaskStatus.safeParse(status).success) {
    throw invalid('bad-status', `bad status ${JSON.stringify(status)}: use open, claimed, done or failed`, { value: status });
  }
  return new Tasks(ctx).list({
    ready: Boolean(input.ready),
    mine: Boolean(input.mine),
    labels: input.labels ?? [],
    ...(status !== undefined ? { status: status as TaskStatus } : {}),
  });
}

/** One task; `childTasks` lists its children (id, title, status), oldest first. */
export async function showTask(ctx: Coord, input: { id: string }): Promise<TaskView & { childTasks: ChildLine[] }> {
  return new Tasks(ctx).show(input.id);
}

export interface EndInput {
  id: string;
  /** End another agent's claim: needs `reason`, which the history records. */
  force?: boolean;
  reason?: string;
}

function checkForce(input: EndInput): void {
  if (input.force && !input.reason) throw invalid('force-needs-reason', "force needs a reason: the history records why another agent's claim was ended", { what: 'claim' });
}

/** One task done: the task, and the tasks that became ready (`becameReady`). */
export async function doneTask(ctx: Coord, input: EndInput & { note?: string }): Promise<TaskView & { becameReady: TaskView[] }> {
  const f = await finishTasks(ctx, { ...input, ids: [input.id] });
  return { ...f.done[0]!, becameReady: f.becameReady };
}

/** Several tasks done in one all-or-nothing step, each as if alone: `{done, becameReady}`. */
export async function finishTasks(ctx: Coord, input: Omit<EndInput, 'id'> & { ids: string[]; note?: string }): Promise<Finished> {
  checkForce({ ...input, id: '' });
  return new Tasks(ctx).done(input.ids, { force: Boolean(input.force), ...given('note', input.note), ...given('reason', input.reason) });
}

export interface EditTaskInput {
  id: string;
  title?: string;
  body?: string;
  /** 0 (most urgent) to 4. */
  priority?: number;
  /** Labels to add. */
  labels?: string[];
  /** Labels to remove. */
  unlabels?: string[];
}

/** Changes a task's fields (anyone may); nothing given: invalid('nothing-to-edit'). */
export async function editTask(ctx: Coord, input: EditTaskInput): Promise<TaskView> {
  const { id, ...fields } = input;
  const given0 = Object.values(fields).some((v) => (Array.isArray(v) ? v.length > 0 : v !== undefined));
  if (!given0) throw invalid('nothing-to-edit', 'nothing to change: give a title, body, priority, label or unlabel', {});
  return new Tasks(ctx).edit(id, {
    ...given('title', input.title),
    ...given('body', input.body),
    ...given('priority', input.priority),
    labels: input.labels ?? [],
    unlabels: input.unlabels ?? [],
  });
}

/** Adds a comment `{agent, at, text}` to a task (anyone may). */
export async function commentTask(ctx: Coord, input: { id: string; text: string }): Promise<TaskView> {
  return new Tasks(ctx).comment(input.id, input.text);
}

/** Removes dependencies; one the task does not have: refused (exit 3), nothing changed. */
export async function undependTask(ctx: Coord, input: { id: string; on: string[] }): Promise<TaskView> {
  return new Tasks(ctx).undepend(input.id, input.on);
}

export async function failTask(ctx: Coord, input: EndInput): Promise<TaskView> {
  if (!input.reason?.trim()) throw invalid('fail-needs-reason', 'a failed task needs a reason');
  return new Tasks(ctx).fail(input.id, { reason: input.reason!, force: Boolean(input.force) });
}

export async function releaseTask(ctx: Coord, input: EndInput): Promise<TaskView> {
  checkForce(input);
  return new Tasks(ctx).release(input.id, { force: Boolean(input.force), ...given('reason', input.reason) });
}

export async function reopenTask(ctx: Coord, input: { id: string; reason?: string }): Promise<TaskView> {
  return new Tasks(ctx).reopen(input.id, given('reason', input.reason));
}

export async function dependTask(ctx: Coord, input: { id: string; on: string[] }): Promise<TaskView> {
  return new Tasks(ctx).depend(input.id, input.on);
}

export interface ClaimInput {
  /** The task to claim; or `next`: the most urgent ready one. */
  id?: string;
  next?: boolean;
  /** With `next`: only tasks with every one of these labels. */
  labels?: string[];
  /** With `id`: patterns to lock with the claim, all or nothing. */
  locks?: string[];
  /** Lease in ms, null for none; undefined: the configured default. */
  ttlMs?: number | null;
}

export async function claim(ctx: Coord, input: ClaimInput): Promise<TaskView> {
  const labels = input.labels ?? [];
  const locks = input.locks ?? [];
  const ttl = given('ttlMs', input.ttlMs);
  const tasks = new Tasks(ctx);
  if (input.next) {
    if (input.id !== undefined) throw invalid('claim-id-and-next', 'give a task id or next, not both');
    if (locks.length > 0) throw invalid('claim-next-with-locks', 'claiming the next task cannot take locks: claim it, then lock (or claim by id with locks)');
    return tasks.claimNext({ labels, ...ttl });
  }
  if (input.id === undefined) throw invalid('claim-nothing-named', 'give a task id, or next');
  if (labels.length > 0) throw invalid('claim-labels-without-next', 'labels go with next');
  return tasks.claim(input.id, { ...ttl, locks });
}
