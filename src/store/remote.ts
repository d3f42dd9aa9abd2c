/**
 * Records whose authority is a git remote. Every decision is made there: a swap is one atomic,
 * leased push. Reads fetch the refs they need into a local view,
 * `refs/coordination/remotes/<remote>/…`, a namespace of its own so that no fetch can overwrite
 * state this clone decides, and then read the view like local records.
 *
 * Reads are `git fetch` with refspecs, never `ls-remote`: over protocol v2 the remote then lists
 * only the refs under the prefixes asked for. Until the clone's first full `sync`, the per-agent
 * chains (journals, presence, acknowledgement marks and memberships) are fetched shallow (their tips only, not every
 * record a journal reaches); `log` fetches older history when it walks past what is here. After a fetch that
 * left many loose refs in the view, the refs are packed, so a user's own `git fetch` is not
 * slowed by thousands of loose files.
 *
 * "Unchanged" checks: a leased push sends no command for a ref whose new value is its old one,
 * so the remote would check nothing. A swap that verifies refs (the same old and new value, or
 * both null) moves its namespace's check ref (layout CHECKS), leased on the value read in the
 * same read as the verified refs; so two swaps that each verify what the other reads cannot both
 * land. A verification of absence is not pushed at all (a delete of a missing ref is not checked
 * by the remote and would delete a ref created meanwhile): the check ref stands for it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { configuredRemote, fetchRefs, pushLeased } from '../git/remote.js';
import { FailedError, UsageError } from '../errors.js';
import { readRefs, listRefs, setRefs, hasRefs, type RefEntry, type RefUpdate, type TransactionResult } from '../git/refs.js';
import { packRefs } from '../git/maintenance.js';
import { RecordStore, type ReadMode, type ReadResult, type Schema, type Store } from './records.js';
import type { Writers } from '../git/writers.js';
import type { Repo } from '../git/repo.js';
import { ROOT, LOCKS, JOURNAL, TASKS, TASK_PARTS, ARCHIVE, TOKENS, AGENTS, MESSAGES, CHECKS, checkRef, escapeComponent } from './layout.js';

/** Hosted forges ask for at most ~15 reads a second per repository: never fetch more often. */
const MIN_FETCH_INTERVAL_MS = 70;
/**
 * Past this many loose refs in the view, it is packed (`git pack-refs`). Every git command that
 * lists the refs (a user's plain `git fetch`: twice, its negotiation and its connectivity check)
 * opens each loose file: with the 152 a first sync left of a 50-agent board, a no-op `git fetch`
 * took 1.21 x the CPU of a clone of the same team (1.07 x packed). A first sync of more than a
 * handful of agents passes this mark; a pack costs about 30 ms at 200 refs.
 */
const LOOSE_REFS_TO_PACK = 64;
/** What a full sync refreshes; the first one marks the view live (later fetches are not shallow). */
export const SYNCED = [LOCKS, JOURNAL, TASKS, AGENTS, MESSAGES];

export interface RemoteOptions {
  /** Refreshes that may fail fall back to the view; this receives the warning. */
  warn: (msg: string) => void;
  /** The longest one remote operation may take. */
  timeoutMs: number;
  /** Where the remote's name came from, for errors (`--remote`, the config file). */
  source: string;
}

/** How long rounds may meet the same lock file on the remote before it is called left behind. */
export const REMOTE_LOCK_PATIENCE_MS = 5_000;

export class RemoteStore extends RecordStore implements Store {
  override readonly remote: string;
  readonly viewRoot: string;
  private lastFetch = 0;
  /** The view update of the last swap: it need not delay the caller, only the next git write. */
  private viewUpdate: Promise<void> = Promise.resolve();
  private verified: Promise<void> | null = null;
  /**
   * The check refs' values seen by decision reads since the last swap, the oldest kept: a swap
   * that verifies refs leases its check ref on the value read no later than those refs.
   */
  private checksSeen = new Map<string, string | null>();
  /** The lock file on the remote the last rounds were lost to: since when, how often, last when (see noteRemoteLock). */
  private remoteLock: { file: string; since: number; times: number; last: number } | null = null;

  constructor(
    repo: Repo,
    writers: Writers,
    remote: string,
    private readonly opts: RemoteOptions,
  ) {
    super(repo, writers);
    this.remote = remote;
    this.viewRoot = `${ROOT}remotes/${escapeComponent(remote)}/`;
  }

  /** The view's name for an authority ref or query pattern. */
  toView(ref: string): string {
    return this.viewRoot + ref.slice(ROOT.length);
  }

  private fromView(ref: string): string {
    return ROOT + ref.slice(this.viewRoot.length);
  }

  private stampFile(): string {
    return path.join(this.repo.commonDir, 'git-coord', `view-${escapeComponent(this.remote)}`);
  }

  override viewTime(): number | null {
    // What this process read it refreshed itself (`--fresh`): that is the age of the view it used.
    if (this.refreshedAt !== null) return this.refreshedAt;
    try {
      const t = Number(fs.readFileSync(this.stampFile(), 'utf8'));
      return Number.isFinite(t) && t > 0 ? t : null;
    } catch {
      return null;
    }
  }

  /** When this process last refreshed what it reads from the remote (null: it has not). */
  private refreshedAt: number | null = null;

  private stamp(time: number): void {
    fs.mkdirSync(path.dirname(this.stampFile()), { recursive: true });
    fs.writeFileSync(this.stampFile(), String(time));
  }

  /**
   * Before git is first given the remote's name: it must be a configured remote, else git would
   * take it as a URL or a path (a committed file must never choose what git connects to or runs).
   */
  private verify(): Promise<void> {
    this.verified ??= configuredRemote(this.repo, this.remote).then((ok) => {
      if (!ok) {
        throw new UsageError(
          `'${this.remote}' (${this.opts.source}) is not a remote of this repository: name one that \`git remote\` lists, or add it with \`git remote add ${this.remote} <url>\``,
        );
      }
    });
    return this.verified;
  }

  /** One refspec a query pattern: a prefix, a glob (one `*`), or an exact ref (as a glob, so a missing ref is no error). */
  private refspec(pattern: string): string {
    const src = pattern.endsWith('/') || !pattern.includes('*') ? `${pattern}*` : pattern;
    return `+${src}:${this.toView(src)}`;
  }

  private liveFile(): string {
    return path.join(this.repo.commonDir, 'git-coord', `live-${escapeComponent(this.remote)}`);
  }

  private archivesFile(): string {
    return path.join(this.repo.commonDir, 'git-coord', `archives-${escapeComponent(this.remote)}`);
  }

  private stampArchives(time: number): void {
    fs.mkdirSync(path.dirname(this.archivesFile()), { recursive: true });
    fs.writeFileSync(this.archivesFile(), String(time));
  }

  /**
   * A read of the view that asks for the archives of finished tasks, which no sync fetches: they
   * are fetched when never fetched, or older than the rest of the view (a task that left the
   * shelves a sync brought must be found in an archive at least as fresh). Otherwise the view's.
   */
  private archivesBehind(patterns: string[]): boolean {
    if (!patterns.some((p) => p.startsWith(ARCHIVE))) return false;
    let archived: number;
    try {
      archived = Number(fs.readFileSync(this.archivesFile(), 'utf8'));
    } catch {
      return true;
    }
    const view = this.viewTime();
    return !Number.isFinite(archived) || (view !== null && view > archived);
  }

  /** Whether this clone's view was synced in full once: from then on fetches take history too. */
  private live(): boolean {
    return fs.existsSync(this.liveFile());
  }

  /** Brings the view of `patterns` up to date from the remote. */
  override async refresh(patterns: string[], mode: ReadMode, timeoutMs = this.opts.timeoutMs): Promise<void> {
    if (mode === 'view') {
      if (!this.archivesBehind(patterns)) return;
      mode = 'refresh';
    }
    await this.verify();
    await this.viewUpdate;
    await this.rateLimit();
    const started = this.lastFetch;
    try {
      // Before the first full sync, the per-agent chains (journals, presence, marks, memberships)
      // come shallow: their tips, not the history behind them (a journal reaches every record its
      // agent ever wrote). Everything else comes whole: a shallow commit costs ~50 bytes in every
      // later push from this clone (git sends the clone's shallow list), so only refs that grow
      // with agents, never with tasks or messages, may be shallow.
      // The archives of finished tasks are never part of a read of the whole tasks' namespace (a
      // sync): they are fetched when a read asks for them, and always shallow (their tips: the
      // trees hold every finished task; their history is only the order they were archived in).
      const live = this.live();
      const wide = patterns.flatMap(splitTasks);
      const specs = [...new Set((live ? wide : wide.flatMap(splitChains).flatMap(splitTasks)).map((p) => this.refspec(p)))];
      // A read of finished tasks (archives, with the check ref and a few tasks' old done or failed
      // refs) is one shallow fetch: a check record has no parent, and a finished record's history
      // is not read (a few shallow commits, only while a board from before the archive has them).
      const archives = specs.some((r) => r.startsWith(`+${ARCHIVE}`));
      const alongside = (r: string) => r.startsWith(`+${CHECKS}`) || FINISHED_SHELVES.some((f) => r.startsWith(`+${f}`) && !r.startsWith(`+${f}*`));
      const shallow = specs.filter((r) => r.startsWith(`+${ARCHIVE}`) || (archives && alongside(r)) || (!live && CHAINS.some((c) => r.startsWith(`+${c}`))));
      const deep = specs.filter((r) => !shallow.includes(r));
      await fetchRefs(this.repo, this.remote, deep, timeoutMs);
      await fetchRefs(this.repo, this.remote, shallow, timeoutMs, { depth: 1 });
      // A fetch of every lock refreshes the whole board: that is the view's age.
      if (patterns.includes(LOCKS)) this.stamp(started);
      if (!live && SYNCED.every((p) => patterns.includes(p))) {
        fs.mkdirSync(path.dirname(this.liveFile()), { recursive: true });
        fs.writeFileSync(this.liveFile(), `${new Date(started).toISOString()}\n`);
      }
      this.refreshedAt = started;
      if (patterns.some((p) => p.startsWith(ARCHIVE))) this.stampArchives(started);
      await this.packIfLoose();
    } catch (e) {
      if (mode === 'authority') throw e;
      const t = this.viewTime();
      this.opts.warn(`${(e as Error).message}; using the local view${t ? ` from ${ageText(Date.now() - t)} ago` : ' (never synced)'}`);
    }
  }

  /**
   * Packs the refs when the view holds many loose ones (a sync of thousands of records): git
   * reads every loose ref file on a plain `git fetch`, so tens of thousands of them slow the
   * user's own commands (git/maintenance.ts packRefs).
   */
  private async packIfLoose(): Promise<void> {
    const dir = path.join(this.repo.commonDir, ...this.viewRoot.split('/').filter(Boolean));
    let loose = 0;
    const walk = (d: string): boolean => {
      let list: fs.Dirent[];
      try {
        list = fs.readdirSync(d, { withFileTypes: true });
      } catch {
        return false;
      }
      for (const e of list) {
        if (e.isDirectory() ? walk(path.join(d, e.name)) : ++loose > LOOSE_REFS_TO_PACK) return true;
      }
      return false;
    };
    if (!walk(dir)) return;
    const problem = await packRefs(this.repo, this.opts.timeoutMs);
    if (problem) this.opts.warn(`could not pack the refs of the view: ${problem}`);
  }

  /** The check refs of the namespaces `patterns` reach (see CHECKS). */
  private checksFor(patterns: string[]): string[] {
    return [...new Set(patterns.map(checkRef).filter((c): c is string => c !== null))];
  }

  /** Notes the check refs' values a decision read saw (the oldest since the last swap wins). */
  private observe(checks: string[], seen: { ref: string; oid: string }[]): void {
    for (const c of checks) if (!this.checksSeen.has(c)) this.checksSeen.set(c, seen.find((e) => e.ref === c)?.oid ?? null);
  }

  override async entries(patterns: string[], mode: ReadMode = 'authority'): Promise<RefEntry[]> {
    await this.viewUpdate;
    const checks = mode === 'authority' ? this.checksFor(patterns) : [];
    await this.refresh([...patterns, ...checks], mode);
    const view = (await readRefs(this.repo, [...patterns, ...checks].map((p) => this.toView(p)))).map((e) => ({ ...e, ref: this.fromView(e.ref) }));
    this.observe(checks, view);
    return view.filter((e) => !e.ref.startsWith(CHECKS));
  }

  /** Names and values only (a decision's read fetches them into the view first). */
  override async list(patterns: string[], mode: ReadMode = 'authority'): Promise<{ ref: string; oid: string }[]> {
    await this.viewUpdate;
    const checks = mode === 'authority' ? this.checksFor(patterns) : [];
    await this.refresh([...patterns, ...checks], mode);
    const view = (await listRefs(this.repo, [...patterns, ...checks].map((p) => this.toView(p)))).map((e) => ({ ...e, ref: this.fromView(e.ref) }));
    this.observe(checks, view);
    return view.filter((e) => !e.ref.startsWith(CHECKS));
  }

  private async rateLimit(): Promise<void> {
    const wait = this.lastFetch + MIN_FETCH_INTERVAL_MS - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    this.lastFetch = Date.now();
  }

  override async any(prefix: string): Promise<boolean> {
    return hasRefs(this.repo, this.toView(prefix));
  }

  /**
   * Decided by the remote; on success the view takes the same values (unless `transient`: a
   * state about to be replaced, such as a pending record, need not reach the view). Refs to be
   * found unchanged move their namespace's check ref (see the top of this file): a swap whose
   * verified refs were not read by a decision read since the last swap is a lost race (re-read).
   */
  override async swap(updates: RefUpdate[], opts: { transient?: boolean } = {}): Promise<TransactionResult> {
    await this.verify();
    await this.viewUpdate;
    const seen = this.checksSeen;
    this.checksSeen = new Map();
    const verifies = updates.filter((u) => u.newOid === u.oldOid);
    const checks = [...new Set(verifies.map((u) => checkRef(u.ref)))];
    if (checks.some((c) => c === null)) throw new Error(`cannot verify a ref outside the coordination namespaces: ${verifies.map((u) => u.ref).join(', ')}`);
    const moves: RefUpdate[] = [];
    if (checks.length > 0) {
      if (checks.some((c) => !seen.has(c!))) return { ok: false, reason: 'verified refs not read from the remote since the last change' };
      const now = Date.now();
      const nonce = (process.getBuiltinModule('node:crypto') as typeof import('node:crypto')).randomBytes(8).toString('hex');
      const oids = await this.write(
        checks.map((c) => ({ subject: `check ${c!.slice(CHECKS.length)}`, record: { v: 1, type: 'check', nonce }, parents: [], agent: 'git-coord', timeMs: now })),
      );
      checks.forEach((c, i) => moves.push({ ref: c!, newOid: oids[i]!, oldOid: seen.get(c!) ?? null }));
    }
    // A verified absence is not pushed (the remote would delete a ref created meanwhile); a
    // verified value is (the push is refused when the remote's value already differs).
    const pushed = [...updates.filter((u) => !(u.newOid === null && u.oldOid === null)), ...moves];
    const started = Date.now();
    const r = await pushLeased(this.repo, this.remote, pushed, this.opts.timeoutMs);
    this.noteRemoteLock(r, pushed, started);
    if (r.ok && !opts.transient) {
      this.viewUpdate = setRefs(this.repo, pushed.filter((u) => u.newOid !== u.oldOid).map((u) => ({ ref: this.toView(u.ref), oid: u.newOid })), this.writers).catch((e: Error) =>
        this.opts.warn(e.message),
      );
    }
    return r;
  }

  /**
   * A git holds a ref's lock file for milliseconds; one killed mid-update (a server crash, a
   * repository moved under a running push) leaves it, and the remote refuses that ref until
   * someone removes it. Rounds lost to the same file one after the other for
   * REMOTE_LOCK_PATIENCE_MS (pushes of other refs may go through between them; none of its own;
   * each push begun within REMOTE_LOCK_PATIENCE_MS of the last loss) end in a failure that names
   * it, not in 50 lost rounds.
   */
  private noteRemoteLock(r: TransactionResult, pushed: RefUpdate[], started: number): void {
    const before = this.remoteLock;
    if (r.ok) {
      // packed-refs.lock guards every deletion; a ref's own file, that ref.
      if (before === null) return;
      const at = before.file.lastIndexOf('/refs/coordination/');
      const ref = at < 0 ? undefined : before.file.slice(at + 1, -'.lock'.length);
      if (ref === undefined ? pushed.some((u) => u.newOid === null) : pushed.some((u) => u.ref === ref)) this.remoteLock = null;
      return;
    }
    // Only rounds lost to that same file, one after the other, count: a live git holds it for
    // milliseconds (and the remote's git waits 100 ms for it), so a race lost otherwise means
    // the ref moves. A push begun long after the last one lost to it (a later command of a
    // long-lived session, the MCP server's) starts counting afresh: rounds one after the other
    // follow within moments.
    const file = r.lockFile;
    if (file === undefined) {
      this.remoteLock = null;
      return;
    }
    const now = Date.now();
    const seen = before?.file === file && started - before.last <= REMOTE_LOCK_PATIENCE_MS ? before : { file, since: now, times: 0, last: now };
    this.remoteLock = { file, since: seen.since, times: seen.times + 1, last: now };
    if (seen.times + 1 >= 3 && now - seen.since >= REMOTE_LOCK_PATIENCE_MS) {
      throw new FailedError(
        `remote '${this.remote}' keeps a ref locked: its file '${file}' has been there at every try for ${Math.round((now - seen.since) / 1000)} s. ` +
          'A git killed mid-update leaves one; if no push is running there, remove that file on the remote.',
        { remote: this.remote, lockFile: file },
      );
    }
  }

  /** Finishes the view update still under way; call before the process ends. */
  async settle(): Promise<void> {
    await this.viewUpdate;
  }

  /**
   * The newest entries of the history: from the view, and when the walk reaches the shallow
   * boundary of a first sync before `max` entries, from older history fetched now (`--deepen`),
   * whatever the read mode: that history is not in the view at all.
   */
  override async history<T>(schema: Schema<T>, prefix: string, max: number, mode: ReadMode = 'refresh'): Promise<ReadResult<T>> {
    await this.refresh([prefix], mode);
    let read = await super.history(schema, this.toView(prefix), max);
    for (let round = 0; round < 3 && read.records.length + read.corrupt.length < max; round++) {
      const boundary = this.shallowCommits();
      if (!read.records.some((r) => boundary.has(r.oid)) && !read.corrupt.some((c) => boundary.has(c.oid))) break;
      try {
        await fetchRefs(this.repo, this.remote, [this.refspec(prefix)], this.opts.timeoutMs, { deepen: max });
      } catch (e) {
        this.opts.warn(`${(e as Error).message}; the history shown stops where this clone's copy does`);
        break;
      }
      read = await super.history(schema, this.toView(prefix), max);
    }
    return read;
  }

  /** The commits whose parents this clone does not have (`.git/shallow`). */
  private shallowCommits(): Set<string> {
    try {
      return new Set(fs.readFileSync(path.join(this.repo.commonDir, 'shallow'), 'utf8').split('\n').filter(Boolean));
    } catch {
      return new Set();
    }
  }
}

/**
 * The per-agent chains a first sync fetches shallow (see refresh). Not the message records kept
 * as chains of additions (`out/`, `receipts/`) nor the broadcast chains (`bcast/`): a reader needs
 * every commit of those, and re-rooting keeps them short.
 */
const CHAINS = [JOURNAL, AGENTS, ...(['acks', 'member'] as const).map((k) => `${MESSAGES}${k}/`)];
/** The other parts of the messages' namespace (messages/ itself is split into these and CHAINS). */
const MESSAGE_PARTS = ['to', 'bcast', 'out', 'receipts', 'all', 'channel'].map((k) => `${MESSAGES}${k}/`);

/** The old shelves of finished tasks (boards written before the archive). */
const FINISHED_SHELVES = [`${TASKS}done/`, `${TASKS}failed/`];

/** The tasks' namespace as its parts other than the archives (TASK_PARTS); other patterns as they are. */
function splitTasks(p: string): string[] {
  return p === TASKS ? TASK_PARTS : [p];
}

/** A pattern that covers chains and other refs (messages/, the whole namespace), split in two. */
function splitChains(p: string): string[] {
  if (p === MESSAGES) return [...MESSAGE_PARTS, ...CHAINS.filter((c) => c.startsWith(MESSAGES))];
  if (p === ROOT) return [LOCKS, TASKS, TOKENS, CHECKS, ...MESSAGE_PARTS, ...CHAINS];
  return [p];
}

export function ageText(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  return `${Math.round(s / 3600)}h`;
}
