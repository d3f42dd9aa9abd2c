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
 */
import crypto from 'node:crypto';
import { FailedError, RefusedError, UsageError } from '../errors.js';
import { iso } from '../time.js';
import { printable } from '../printable.js';
import { QUEUE, TASKS, TASK_SHELVES, journalRef, queueRef, taskRef, taskShelf, type TaskShelf } from '../store/layout.js';
import { AlongsideMoved, commitWithJournal, type RecordChange } from '../store/journal.js';
import { jitter, sleep } from '../store/cas.js';
import { decode, type ReadMode, type RefEntry, type RefUpdate } from '../store/records.js';
import type { Coord } from '../session/coord.js';
import type { Locks } from '../locks/locks.js';
import { patternFromText, type Pattern } from '../patterns/pattern.js';
import { ImportLine, TASK_ID, TaskRecord, type TaskAction, type TaskStatus } from './schema.js';
import { byUrgency, claimLive, claimOrder, findCycle, isFree, isReady, newTaskId, reachable, view, type IsDone, type TaskView } from './rules.js';

export type { TaskView };

const MAX_ROUNDS = 50;
/** `claim --next` reads the records of this many of the most urgent queued tasks at a time. */
const CANDIDATES_PER_READ = 32;
const MAX_TITLE = 500;
const MAX_BODY = 64 * 1024;

export interface AddOptions {
  id?: string;
  priority?: number;
  labels?: string[];
  dependsOn?: string[];
  body?: string;
}

export interface ListOptions {
  ready?: boolean;
  mine?: boolean;
  status?: TaskStatus;
  labels?: string[];
}

export interface ClaimOptions {
  /** Lease in ms, null for none; undefined: the configured default (`tasks.ttl`). */
  ttlMs?: number | null;
  /** Patterns to lock with the claim, all or nothing (`claim <id> --lock`). */
  locks?: string[];
}

export interface EndOptions {
  /** End another agent's claim; needs `reason`, which the history records. */
  force?: boolean;
  reason?: string;
  /** `task done --note`. */
  note?: string;
}

/** A task record as read, with where it lives. */
export interface Held {
  ref: string;
  oid: string;
  shelf: TaskShelf;
  record: TaskRecord;
}

export interface Snapshot {
  tasks: Map<string, Held>;
  journal: string | null;
  /** Entries read that are neither tasks nor this agent's journal (presence, journals). */
  others: RefEntry[];
  isDone: IsDone;
}

function shelfOf(status: TaskStatus): TaskShelf {
  return status === 'done' ? 'done' : status === 'failed' ? 'failed' : 'open';
}

/** The refs a task id may live on, one per shelf. */
function everyShelf(id: string): string[] {
  return TASK_SHELVES.map((s) => taskRef(s, id));
}

/** Every task record, on every shelf (not the queue, which holds the same records again). */
const ALL_SHELVES = TASK_SHELVES.map(taskShelf);

export function validateTaskId(id: string, what = 'task id'): string {
  if (!TASK_ID.test(id)) {
    throw new UsageError(`bad ${what} ${JSON.stringify(id)}: use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit`);
  }
  return id;
}

function validateLabel(label: string): string {
  if (!TASK_ID.test(label)) {
    throw new UsageError(`bad label ${JSON.stringify(label)}: use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit`);
  }
  return label;
}

export function parsePriority(text: string): number {
  if (!/^[0-4]$/.test(text.trim())) throw new UsageError(`bad priority ${JSON.stringify(text)}: use 0 (most urgent) to 4`);
  return Number(text.trim());
}

function validateTitle(title: string): string {
  const t = title.trim();
  if (t === '') throw new UsageError('a task needs a title');
  if (t.length > MAX_TITLE) throw new UsageError(`title too long (${t.length} characters; at most ${MAX_TITLE})`);
  return t;
}

function validateBody(body: string): string {
  if (Buffer.byteLength(body, 'utf8') > MAX_BODY) throw new UsageError('body too long (at most 64 KiB)');
  return body;
}

function unique<T>(xs: T[]): T[] {
  return [...new Set(xs)];
}

/** The change that writes `rec` for a task read as `held` (null: a new task), moving shelves with its status. */
function taskChange(held: Held | null, rec: TaskRecord, action: TaskAction, reason?: string, other?: string): RecordChange {
  const shelf = shelfOf(rec.status);
  const ref = taskRef(shelf, rec.id);
  const moving = held !== null && held.shelf !== shelf;
  // The queue holds every open-shelf task's record once more: it enters, follows and leaves with it.
  const wasQueued = held !== null && held.shelf === 'open';
  const queued = shelf === 'open';
  const mirrors = wasQueued || queued ? [{ ref: queueRef(rec), oldOid: wasQueued ? held.oid : null, ...(queued ? {} : { remove: true }) }] : [];
  return {
    ref,
    oldOid: held && !moving ? held.oid : null,
    ...(moving ? { movedFrom: { ref: held.ref, oid: held.oid } } : {}),
    mirrors,
    record: rec,
    subject: `${action} ${rec.id}`,
    event: { action, subject: rec.id, reason, other },
  };
}

function notFound(id: string): UsageError {
  return new UsageError(`no task ${printable(id)} (git-coord task list shows them)`);
}

/** The tasks service of one session. Every method returns plain views (the JSON of the command contract). */
export class Tasks {
  /** Swaps `claim --next` lost to another agent in this session (the benchmark reports them). */
  lostRaces = 0;
  private lockService: Locks | null = null;

  constructor(private readonly ctx: Coord) {}

  /** The locks service, loaded only by the commands that lock (pattern matching costs start-up time). */
  private async locks(): Promise<Locks> {
    this.lockService ??= new (await import('../locks/locks.js')).Locks(this.ctx);
    return this.lockService;
  }

  /** Reads refs matching `patterns` (and this agent's journal head) in one call; see `snapshot`. */
  private async read(patterns: string[], me: string | null, mode: ReadMode, assumeDone: boolean): Promise<Snapshot> {
    const jref = me ? journalRef(me) : null;
    const entries = await this.ctx.store.entries(jref ? [...patterns, jref] : patterns, mode);
    return snapshot(this.ctx, entries, jref, assumeDone);
  }

  /** The open and failed shelves: what readiness needs (a task on neither is done). */
  private board(me: string | null, mode: ReadMode, extra: string[] = []): Promise<Snapshot> {
    return this.read([taskShelf('open'), taskShelf('failed'), ...extra], me, mode, true);
  }

  private async commit(me: string, changes: RecordChange[], journal: string | null, now: number, extra: RefUpdate[] = []): Promise<boolean> {
    return (await commitWithJournal(this.ctx.store, me, changes, journal, now, extra)).ok;
  }

  /** Adds a task. Its dependencies must exist; an explicit id must be new. */
  async add(title: string, opts: AddOptions = {}): Promise<TaskView> {
    const me = this.ctx.requireAgent();
    const t = validateTitle(title);
    const body = validateBody(opts.body ?? '');
    const priority = opts.priority ?? 2;
    if (!Number.isInteger(priority) || priority < 0 || priority > 4) throw new UsageError(`bad priority ${priority}: use 0 (most urgent) to 4`);
    const labels = unique((opts.labels ?? []).map(validateLabel));
    const deps = unique((opts.dependsOn ?? []).map((d) => validateTaskId(d, 'dependency')));
    if (opts.id !== undefined) validateTaskId(opts.id);
    if (opts.id !== undefined && deps.includes(opts.id)) throw new UsageError(`task ${opts.id} cannot depend on itself`);
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const id = opts.id ?? newTaskId(crypto.randomBytes);
      const snap = await this.read([...everyShelf(id), ...deps.flatMap(everyShelf)], me, 'authority', false);
      if (snap.tasks.has(id)) {
        if (opts.id !== undefined) throw new UsageError(`task ${printable(id)} already exists`);
        continue;
      }
      const missing = deps.filter((d) => !snap.tasks.has(d));
      if (missing.length > 0) throw new UsageError(`no task ${missing.map(printable).join(', ')}: a dependency must exist`);
      const now = this.ctx.now();
      const rec = this.newRecord(me, id, t, body, priority, labels, deps, now);
      // The id must be new on every shelf: the open ref is created (must not exist), the others verified absent.
      const absent: RefUpdate[] = (['done', 'failed'] as const).map((s) => ({ ref: taskRef(s, id), newOid: null, oldOid: null }));
      if (await this.commit(me, [taskChange(null, rec, 'add')], snap.journal, now, absent)) return view(rec, now, snap.isDone);
      await sleep(jitter(round));
    }
    throw new FailedError('gave up after repeated lost races; try again');
  }

  private newRecord(me: string, id: string, title: string, body: string, priority: number, labels: string[], deps: string[], now: number): TaskRecord {
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

  /**
   * Adds many tasks in one all-or-nothing step, from JSON Lines (blank lines are skipped). Any
   * invalid line, unknown dependency, duplicate id or cycle: UsageError naming the line.
   */
  async import(text: string): Promise<TaskView[]> {
    const me = this.ctx.requireAgent();
    const lines: { line: number; item: ImportLine }[] = [];
    for (const [i, raw] of text.split('\n').entries()) {
      if (raw.trim() === '') continue;
      const at = `line ${i + 1}`;
      let json: unknown;
      try {
        json = JSON.parse(raw);
      } catch (e) {
        throw new UsageError(`${at}: not JSON (${(e as Error).message})`);
      }
      const r = ImportLine.safeParse(json);
      if (!r.success) {
        const issue = r.error.issues[0]!;
        const keys = 'keys' in issue && Array.isArray(issue.keys) ? issue.keys.join(', ') : issue.path.map(String).join('.');
        throw new UsageError(`${at}: ${issue.code === 'unrecognized_keys' ? `unknown field ${keys}` : `${keys || 'the line'}: ${issue.message}`}`);
      }
      try {
        validateTitle(r.data.title);
        validateBody(r.data.body ?? '');
      } catch (e) {
        throw new UsageError(`${at}: ${(e as Error).message}`);
      }
      lines.push({ line: i + 1, item: r.data });
    }
    if (lines.length === 0) throw new UsageError('nothing to import: no task lines');
    const given = new Map<string, number>();
    for (const { line, item } of lines) {
      if (item.id === undefined) continue;
      if (given.has(item.id)) throw new UsageError(`line ${line}: id ${item.id} is already used on line ${given.get(item.id)}`);
      given.set(item.id, line);
    }
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const snap = await this.read(ALL_SHELVES, me, 'authority', false);
      const ids = lines.map(({ item }) => item.id ?? newTaskId(crypto.randomBytes));
      const fileIds = new Map(ids.map((id, k) => [id, lines[k]!.line]));
      if (fileIds.size !== ids.length || ids.some((id, k) => lines[k]!.item.id === undefined && snap.tasks.has(id))) continue; // a generated id clashed
      const graph = new Map([...snap.tasks].map(([id, h]) => [id, h.record.dependsOn]));
      for (const [k, { line, item }] of lines.entries()) {
        const id = ids[k]!;
        if (snap.tasks.has(id)) throw new UsageError(`line ${line}: task ${printable(id)} already exists`);
        for (const d of item.dependsOn ?? []) {
          if (!snap.tasks.has(d) && !fileIds.has(d)) throw new UsageError(`line ${line}: no task ${printable(d)}: a dependency must exist or be in the file`);
        }
        graph.set(id, unique(item.dependsOn ?? []));
      }
      const cycle = findCycle(graph, ids);
      if (cycle) {
        const line = Math.min(...cycle.filter((id) => fileIds.has(id)).map((id) => fileIds.get(id)!));
        throw new UsageError(`line ${line}: dependencies would close a cycle: ${cycle.map(printable).join(' -> ')}`);
      }
      const now = this.ctx.now();
      // One creation time each, ending now, in file order: the board's order keeps the file's.
      const recs = lines.map(({ item }, k) =>
        this.newRecord(me, ids[k]!, validateTitle(item.title), item.body ?? '', item.priority ?? 2, unique(item.labels ?? []), unique(item.dependsOn ?? []), now - (lines.length - 1 - k)),
      );
      // Ids given in the file must be new on every shelf, verified in the swap. Generated ones were
      // checked against every shelf just now (and their open refs are created from nothing): a
      // random id finished by someone else in between is beyond any realistic chance, and leaving
      // out two verifications a task keeps a big import's single push within the argument limit.
      const absent: RefUpdate[] = ids.flatMap((id, k) =>
        lines[k]!.item.id === undefined ? [] : (['done', 'failed'] as const).map((s) => ({ ref: taskRef(s, id), newOid: null, oldOid: null })),
      );
      if (await this.commit(me, recs.map((r) => taskChange(null, r, 'add')), snap.journal, now, absent)) {
        const known = new Set(ids);
        const isDone: IsDone = (id) => !known.has(id) && snap.isDone(id);
        return recs.map((r) => view(r, now, isDone));
      }
      await sleep(jitter(round));
    }
    throw new FailedError('gave up after repeated lost races; try again');
  }

  /** Tasks, most urgent first. Without a status, every task; `ready`: claimable now. */
  async list(opts: ListOptions = {}): Promise<TaskView[]> {
    const me = opts.mine ? this.ctx.requireAgent() : null;
    const labels = (opts.labels ?? []).map(validateLabel);
    const mode = this.ctx.readMode();
    const onlyLive = opts.ready || opts.status === 'open' || opts.status === 'claimed' || opts.status === 'failed';
    const snap = opts.status === 'done' ? await this.read([taskShelf('done')], null, mode, false)
      : onlyLive ? await this.board(null, mode)
      : await this.read(ALL_SHELVES, null, mode, false);
    const now = this.ctx.now();
    return [...snap.tasks.values()]
      .map((h) => view(h.record, now, snap.isDone))
      .filter((t) => (!opts.status || t.status === opts.status) && (!opts.ready || t.ready) && (!me || t.claimedBy === me))
      .filter((t) => labels.every((l) => t.labels.includes(l)))
      .sort(byUrgency);
  }

  async show(id: string): Promise<TaskView> {
    validateTaskId(id);
    const snap = await this.board(null, this.ctx.readMode(), [taskRef('done', id)]);
    const held = snap.tasks.get(id);
    if (!held) throw notFound(id);
    return view(held.record, this.ctx.now(), snap.isDone);
  }

  /**
   * What an agent's briefing shows, from one read of the open and failed shelves in `mode`: the
   * tasks its live claims hold and the ready tasks, each most urgent first.
   */
  async briefing(mode: ReadMode): Promise<{ claimed: TaskView[]; ready: TaskView[] }> {
    const me = this.ctx.agent();
    const snap = await this.board(null, mode);
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
    return (await this.read(everyShelf(id), null, mode, false)).tasks.get(id)?.record ?? null;
  }

  /** The claim of `rec` by `me` at `now`: a new claim, a renewal of mine, or a takeover of an expired one. */
  private claimed(rec: TaskRecord, me: string, now: number, ttlMs: number | null, locks: string[]): { rec: TaskRecord; action: TaskAction; from?: string } {
    const mine = rec.status === 'claimed' && rec.claimedBy === me;
    const from = rec.status === 'claimed' && rec.claimedBy !== me && rec.claimedBy !== null ? rec.claimedBy : undefined;
    const action: TaskAction = mine && claimLive(rec, now) ? 'renew' : from ? 'takeover' : 'claim';
    return {
      action,
      ...(from ? { from } : {}),
      rec: {
        ...rec,
        status: 'claimed',
        claimedBy: me,
        claimedAt: action === 'renew' ? rec.claimedAt : iso(now),
        claimExpiresAt: ttlMs === null ? null : iso(now + ttlMs),
        claimTtlMs: ttlMs,
        locks,
        updatedAt: iso(now),
        event: { action, by: me, at: iso(now), ...(from ? { from } : {}) },
      },
    };
  }

  private async claimTtl(ttlMs: number | null | undefined): Promise<number | null> {
    return ttlMs === undefined ? (await this.ctx.config()).tasks.ttlMs : ttlMs;
  }

  /**
   * Claims one task: refused (exit 3) while another agent's claim on it is live, or when it is
   * done or failed; claiming a task you hold renews it. With `locks`, the patterns are locked in
   * the same step: the claim and every lock are granted together, or nothing changes.
   */
  async claim(id: string, opts: ClaimOptions = {}): Promise<TaskView> {
    const me = this.ctx.requireAgent();
    validateTaskId(id);
    const ttlMs = await this.claimTtl(opts.ttlMs);
    const asked: Pattern[] = opts.locks && opts.locks.length > 0 ? (await this.locks()).parse(opts.locks) : [];
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const snap = await this.read(everyShelf(id), me, 'authority', false);
      const held = snap.tasks.get(id);
      if (!held) throw notFound(id);
      const now = this.ctx.now();
      const rec = held.record;
      if (rec.status === 'done' || rec.status === 'failed') {
        throw new RefusedError(`cannot claim ${printable(id)}: it is ${rec.status}${rec.status === 'failed' ? ` (git-coord task reopen ${printable(id)} makes it open again)` : ''}`, { task: id, status: rec.status });
      }
      if (claimLive(rec, now) && rec.claimedBy !== me) throw claimedRefusal('cannot claim', rec);
      // A renewal keeps the locks taken with the claim (and renews them); new patterns join them.
      const keep = rec.claimedBy === me ? rec.locks.map(patternFromText) : [];
      const pats = [...new Map([...keep, ...asked].map((p) => [p.text, p])).values()];
      const next = this.claimed(rec, me, now, ttlMs, pats.map((p) => p.text));
      const change = taskChange(held, next.rec, next.action, undefined, next.from);
      if (pats.length > 0) {
        try {
          await (await this.locks()).lockParsed(pats, { ttlMs, reason: `task ${id}: ${rec.title}`, alongside: [change] });
          return view(next.rec, now, () => true);
        } catch (e) {
          if (e instanceof AlongsideMoved) continue;
          throw e;
        }
      }
      if (await this.commit(me, [change], snap.journal, now)) return view(next.rec, now, () => true);
      await sleep(jitter(round));
    }
    throw new FailedError('gave up after repeated lost races; try again');
  }

  /**
   * Claims the most urgent ready task (with every label in `labels`), or refuses (exit 3) when
   * none is free. The queue's ref names sort most urgent first, so one read returns this agent's
   * journal head and the records of the first few candidates only: the cost hardly grows with
   * the board. A swap lost to another agent moves on to the next candidate.
   */
  async claimNext(opts: { labels?: string[]; ttlMs?: number | null } = {}): Promise<TaskView> {
    const me = this.ctx.requireAgent();
    const labels = (opts.labels ?? []).map(validateLabel);
    const ttlMs = await this.claimTtl(opts.ttlMs);
    const jref = journalRef(me);
    for (let round = 0; round < MAX_ROUNDS; round++) {
      let ready: Held[] = [];
      let journal: string | null = null;
      let isDone: IsDone = () => false;
      const now = this.ctx.now();
      // The board's order from names alone (no record read), then the records of the first
      // candidates; when none of them is ready, of the next ones, until the queue ends.
      const names = await this.ctx.store.list([jref, QUEUE], 'authority');
      journal = names.find((n) => n.ref === jref)?.oid ?? null;
      const queued = names.filter((n) => n.ref.startsWith(QUEUE)).sort((a, b) => (a.ref < b.ref ? -1 : 1));
      for (let at = 0; at < queued.length && ready.length === 0; at += CANDIDATES_PER_READ) {
        const entries = await this.ctx.store.entries(queued.slice(at, at + CANDIDATES_PER_READ).map((q) => q.ref), 'authority');
        const { records, corrupt } = decode(TaskRecord, entries);
        for (const c of corrupt) this.ctx.warn(`skipping unreadable task record ${c.ref} (${c.oid.slice(0, 10)}): ${c.problem}`);
        const free = records.filter((r) => r.ref === queueRef(r.record) && isFree(r.record, now) && labels.every((l) => r.record.labels.includes(l)));
        // A dependency is done when it is on the done shelf: look up just those of these candidates.
        const deps = unique(free.flatMap((r) => r.record.dependsOn));
        const done = new Set(deps.length === 0 ? [] : (await this.ctx.store.list(deps.map((d) => taskRef('done', d)), 'authority')).map((e) => e.ref));
        isDone = (id) => done.has(taskRef('done', id));
        ready = free
          .filter((r) => isReady(r.record, now, isDone))
          .map((r) => ({ ref: taskRef('open', r.record.id), oid: r.oid, shelf: 'open' as const, record: r.record }))
          .sort((a, b) => byUrgency(a.record, b.record));
      }
      if (ready.length === 0) {
        throw new RefusedError(`nothing to claim: no ready task${labels.length ? ` labelled ${labels.join(', ')}` : ''} is free`, { ready: 0 });
      }
      const byId = new Map(ready.map((h) => [h.record.id, h]));
      for (const rec of claimOrder(ready.map((h) => h.record), me)) {
        const next = this.claimed(rec, me, now, ttlMs, []);
        if (await this.commit(me, [taskChange(byId.get(rec.id)!, next.rec, next.action, undefined, next.from)], journal, now)) {
          return view(next.rec, now, isDone);
        }
        this.lostRaces++;
      }
      await sleep(jitter(round));
    }
    throw new FailedError('gave up after repeated lost races; try again');
  }

  /** `task done`: the claimer (or another agent with force and a reason); releases the claim's locks. */
  done(id: string, opts: EndOptions = {}): Promise<TaskView> {
    return this.end(id, 'done', opts);
  }

  /** `task fail`: needs a reason. The task stays failed until `reopen`. */
  fail(id: string, opts: EndOptions & { reason: string }): Promise<TaskView> {
    return this.end(id, 'fail', opts);
  }

  /** `task release`: gives the claim back; the task is open again. */
  release(id: string, opts: EndOptions = {}): Promise<TaskView> {
    return this.end(id, 'release', opts);
  }

  private async end(id: string, action: 'done' | 'fail' | 'release', opts: EndOptions): Promise<TaskView> {
    const me = this.ctx.requireAgent();
    validateTaskId(id);
    if (opts.force && !opts.reason) throw new UsageError(`--force needs --reason <text>: the history records why another agent's claim was ended`);
    if (action === 'fail' && !opts.reason?.trim()) throw new UsageError('task fail needs --reason <text>');
    const verb = action === 'fail' ? 'fail' : action === 'done' ? 'finish' : 'release';
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const snap = await this.read(everyShelf(id), me, 'authority', false);
      const held = snap.tasks.get(id);
      if (!held) throw notFound(id);
      const rec = held.record;
      const now = this.ctx.now();
      if (rec.status === 'done' || rec.status === 'failed') {
        throw new RefusedError(`cannot ${verb} ${printable(id)}: it is ${rec.status} already${action === 'release' ? '' : ` (git-coord task reopen ${printable(id)} first)`}`, { task: id, status: rec.status });
      }
      const claimer = rec.status === 'claimed' ? rec.claimedBy : null;
      if (claimer !== me && !opts.force) {
        if (claimer === null) {
          throw new RefusedError(`cannot ${verb} ${printable(id)}: nobody claimed it (git-coord claim ${printable(id)} first, or --force --reason <why>)`, { task: id });
        }
        throw claimedRefusal(`cannot ${verb}`, rec, ` (to end it anyway: git-coord task ${action} ${printable(id)} --force --reason <why>)`);
      }
      const other = claimer !== null && claimer !== me ? claimer : undefined;
      const next: TaskRecord = {
        ...rec,
        status: action === 'done' ? 'done' : action === 'fail' ? 'failed' : 'open',
        ...(action === 'release' ? { claimedBy: null, claimedAt: null } : {}),
        claimExpiresAt: null,
        claimTtlMs: null,
        locks: [],
        note: action === 'done' ? (opts.note ?? null) : rec.note,
        reason: action === 'fail' ? opts.reason! : rec.reason,
        updatedAt: iso(now),
        event: { action, by: me, at: iso(now), ...(opts.reason ? { reason: opts.reason } : {}), ...(other ? { from: other } : {}) },
      };
      const why = opts.force && other ? opts.reason : action === 'done' ? opts.note : opts.reason;
      const changes = [taskChange(held, next, action, why, other)];
      // The locks taken with the claim go in the same swap, where their holder still has them.
      if (claimer !== null && rec.locks.length > 0) changes.push(...(await (await this.locks()).releasing(rec.locks, claimer, other ? opts.reason : undefined)));
      if (await this.commit(me, changes, snap.journal, now)) return view(next, now, () => true);
      await sleep(jitter(round));
    }
    throw new FailedError('gave up after repeated lost races; try again');
  }

  /** Makes a done or failed task open again (anyone may). */
  async reopen(id: string, opts: { reason?: string } = {}): Promise<TaskView> {
    const me = this.ctx.requireAgent();
    validateTaskId(id);
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const snap = await this.read(everyShelf(id), me, 'authority', false);
      const held = snap.tasks.get(id);
      if (!held) throw notFound(id);
      const rec = held.record;
      if (rec.status !== 'done' && rec.status !== 'failed') {
        throw new RefusedError(`cannot reopen ${printable(id)}: it is ${rec.status}, not done or failed`, { task: id, status: rec.status });
      }
      const now = this.ctx.now();
      const next: TaskRecord = {
        ...rec,
        status: 'open',
        claimedBy: null,
        claimedAt: null,
        claimExpiresAt: null,
        claimTtlMs: null,
        locks: [],
        updatedAt: iso(now),
        event: { action: 'reopen', by: me, at: iso(now), ...(opts.reason ? { reason: opts.reason } : {}) },
      };
      if (await this.commit(me, [taskChange(held, next, 'reopen', opts.reason)], snap.journal, now)) return view(next, now, () => false);
      await sleep(jitter(round));
    }
    throw new FailedError('gave up after repeated lost races; try again');
  }

  /**
   * Adds dependencies. One that does not exist, or that would close a cycle: UsageError, nothing
   * written. Every task the cycle check walked is verified unchanged in the same swap, so two
   * agents adding the two halves of a cycle at once cannot both succeed.
   */
  async depend(id: string, on: string[]): Promise<TaskView> {
    const me = this.ctx.requireAgent();
    validateTaskId(id);
    if (on.length === 0) throw new UsageError('task depend needs the ids it depends on');
    const deps = unique(on.map((d) => validateTaskId(d, 'dependency')));
    if (deps.includes(id)) throw new UsageError(`task ${printable(id)} cannot depend on itself`);
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const snap = await this.read(ALL_SHELVES, me, 'authority', false);
      const held = snap.tasks.get(id);
      if (!held) throw notFound(id);
      const missing = deps.filter((d) => !snap.tasks.has(d));
      if (missing.length > 0) throw new UsageError(`no task ${missing.map(printable).join(', ')}: a dependency must exist`);
      const rec = held.record;
      const added = deps.filter((d) => !rec.dependsOn.includes(d));
      const now = this.ctx.now();
      if (added.length === 0) return view(rec, now, snap.isDone);
      const graph = new Map([...snap.tasks].map(([k, h]) => [k, h.record.dependsOn]));
      graph.set(id, [...rec.dependsOn, ...added]);
      const cycle = findCycle(graph, [id]);
      if (cycle) throw new UsageError(`cannot add: dependencies would close a cycle: ${cycle.map(printable).join(' -> ')}`);
      const walked: RefUpdate[] = [...reachable(graph, added)]
        .filter((k) => k !== id)
        .map((k) => snap.tasks.get(k)!)
        .map((h) => ({ ref: h.ref, newOid: h.oid, oldOid: h.oid }));
      const next: TaskRecord = { ...rec, dependsOn: [...rec.dependsOn, ...added], updatedAt: iso(now), event: { action: 'depend', by: me, at: iso(now) } };
      if (await this.commit(me, [taskChange(held, next, 'depend', `on ${added.join(', ')}`)], snap.journal, now, walked)) return view(next, now, snap.isDone);
      await sleep(jitter(round));
    }
    throw new FailedError('gave up after repeated lost races; try again');
  }

  /**
   * Extends this agent's claims (all of them, or those named) by each claim's own lease or
   * `ttlMs`. A claim of yours that expired and that nobody took is renewed too. (The locks taken
   * with a claim are renewed by Locks.renew; the `renew` command does both.)
   */
  async renew(opts: { ids?: string[]; ttlMs?: number | null } = {}): Promise<TaskView[]> {
    const me = this.ctx.requireAgent();
    const ids = opts.ids?.map((i) => validateTaskId(i));
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const snap = await this.board(me, 'authority');
      const mine = [...snap.tasks.values()].filter((h) => h.record.status === 'claimed' && h.record.claimedBy === me && (!ids || ids.includes(h.record.id)));
      if (ids) {
        const missing = ids.filter((i) => !mine.some((h) => h.record.id === i));
        if (missing.length > 0) throw new RefusedError(`cannot renew: not claimed by you\n${missing.map((m) => `  ${printable(m)}`).join('\n')}`);
      }
      if (mine.length === 0) return [];
      const now = this.ctx.now();
      const nexts = mine.map((h) => ({ held: h, next: this.claimed(h.record, me, now, opts.ttlMs === undefined ? h.record.claimTtlMs : opts.ttlMs, h.record.locks) }));
      const changes = nexts.map(({ held, next }) => taskChange(held, next.rec, next.action));
      if (await this.commit(me, changes, snap.journal, now)) return nexts.map(({ next }) => view(next.rec, now, snap.isDone));
      await sleep(jitter(round));
    }
    throw new FailedError('gave up after repeated lost races; try again');
  }
}

/**
 * The tasks among `entries` (others are passed through), and this agent's journal head.
 * `assumeDone`: the entries cover the open and failed shelves, so a task not among them is done
 * (tasks are never deleted); otherwise only what was read is known.
 */
export function snapshot(ctx: Coord, entries: RefEntry[], jref: string | null, assumeDone: boolean): Snapshot {
  const taskEntries: RefEntry[] = [];
  const others: RefEntry[] = [];
  let journal: string | null = null;
  for (const e of entries) {
    if (e.ref === jref) journal = e.oid;
    if (e.ref.startsWith(QUEUE)) continue;
    if (e.ref.startsWith(TASKS)) taskEntries.push(e);
    else others.push(e);
  }
  const { records, corrupt } = decode(TaskRecord, taskEntries);
  for (const c of corrupt) ctx.warn(`skipping unreadable task record ${c.ref} (${c.oid.slice(0, 10)}): ${c.problem}`);
  const tasks = new Map<string, Held>();
  for (const r of records) {
    const shelf = TASK_SHELVES.find((s) => r.ref.startsWith(taskShelf(s)));
    // A record on the wrong ref (made by hand) would shadow the real one: trust matching names only.
    if (!shelf || r.ref !== taskRef(shelf, r.record.id)) {
      ctx.warn(`skipping task record ${r.ref}: it names task ${printable(r.record.id)}`);
      continue;
    }
    tasks.set(r.record.id, { ref: r.ref, oid: r.oid, shelf, record: r.record });
  }
  const isDone: IsDone = (id) => {
    const t = tasks.get(id);
    return t ? t.record.status === 'done' : assumeDone;
  };
  return { tasks, journal, others, isDone };
}

function claimedRefusal(verb: string, rec: TaskRecord, hint = ''): RefusedError {
  return new RefusedError(
    `${verb} ${printable(rec.id)}: claimed by ${rec.claimedBy} ${rec.claimExpiresAt ? `until ${rec.claimExpiresAt}` : '(no expiry)'}${hint}`,
    { task: rec.id, claimedBy: rec.claimedBy, claimExpiresAt: rec.claimExpiresAt },
  );
}
