/**
 * Records whose authority is a git remote. Every decision is made there: a swap is one atomic,
 * leased push. Reads fetch the refs they need into a local view,
 * `refs/coordination/remotes/<remote>/…`, a namespace of its own so that no fetch can overwrite
 * state this clone decides, and then read the view like local records.
 */
import fs from 'node:fs';
import path from 'node:path';
import { configuredRemote, fetchRefs, listRemote, pushLeased } from '../git/remote.js';
import { UsageError } from '../errors.js';
import { ObjectReader } from '../git/objects.js';
import { readRefs, listRefs, setRefs, hasRefs, type RefEntry, type RefUpdate, type TransactionResult } from '../git/refs.js';
import { RecordStore, type ReadMode, type ReadResult, type Schema, type Store } from './records.js';
import type { Writers } from '../git/writers.js';
import type { Repo } from '../git/repo.js';
import { ROOT, LOCKS, escapeComponent } from './layout.js';

/** Hosted forges ask for at most ~15 reads a second per repository: never fetch more often. */
const MIN_FETCH_INTERVAL_MS = 70;

export interface RemoteOptions {
  /** Refreshes that may fail fall back to the view; this receives the warning. */
  warn: (msg: string) => void;
  /** The longest one remote operation may take. */
  timeoutMs: number;
  /** Where the remote's name came from, for errors (`--remote`, the config file). */
  source: string;
}

export class RemoteStore extends RecordStore implements Store {
  override readonly remote: string;
  readonly viewRoot: string;
  private lastFetch = 0;
  private readonly objects: ObjectReader;
  /** The view update of the last swap: it need not delay the caller, only the next git write. */
  private viewUpdate: Promise<void> = Promise.resolve();
  private verified: Promise<void> | null = null;

  constructor(
    repo: Repo,
    writers: Writers,
    remote: string,
    private readonly opts: RemoteOptions,
  ) {
    super(repo, writers);
    this.objects = new ObjectReader(repo.cwd);
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

  /** Brings the view of `patterns` up to date from the remote. */
  override async refresh(patterns: string[], mode: ReadMode, timeoutMs = this.opts.timeoutMs): Promise<void> {
    if (mode === 'view') return;
    await this.verify();
    await this.viewUpdate;
    await this.rateLimit();
    const started = this.lastFetch;
    try {
      await fetchRefs(this.repo, this.remote, [...new Set(patterns.map((p) => this.refspec(p)))], timeoutMs);
      // A fetch of every lock refreshes the whole board: that is the view's age.
      if (patterns.includes(LOCKS)) this.stamp(started);
      this.refreshedAt = started;
    } catch (e) {
      if (mode === 'authority') throw e;
      const t = this.viewTime();
      this.opts.warn(`${(e as Error).message}; using the local view${t ? ` from ${ageText(Date.now() - t)} ago` : ' (never synced)'}`);
    }
  }

  override async entries(patterns: string[], mode: ReadMode = 'authority'): Promise<RefEntry[]> {
    await this.viewUpdate;
    if (mode === 'authority') {
      const direct = await this.authorityEntries(patterns);
      if (direct) return direct;
    }
    await this.refresh(patterns, mode);
    const view = await readRefs(this.repo, patterns.map((p) => this.toView(p)));
    return view.map((e) => ({ ...e, ref: this.fromView(e.ref) }));
  }

  /** Names and values only: the remote's own list for a decision (no fetch), else the view's. */
  override async list(patterns: string[], mode: ReadMode = 'authority'): Promise<{ ref: string; oid: string }[]> {
    await this.viewUpdate;
    if (mode === 'authority') {
      await this.rateLimit();
      return listRemote(this.repo, this.remote, patterns, this.opts.timeoutMs);
    }
    await this.refresh(patterns, mode);
    return (await listRefs(this.repo, patterns.map((p) => this.toView(p)))).map((e) => ({ ...e, ref: this.fromView(e.ref) }));
  }

  /**
   * A decision's read, cheaply: list the remote's refs (no fetch), and read their records from
   * objects this clone already has (its own writes, earlier fetches). Null when some record is
   * not here yet: then the caller fetches.
   */
  private async authorityEntries(patterns: string[]): Promise<RefEntry[] | null> {
    await this.verify();
    await this.rateLimit();
    const listed = await listRemote(this.repo, this.remote, patterns, this.opts.timeoutMs);
    const bodies = await this.objects.commitBodies([...new Set(listed.map((l) => l.oid))], this.opts.timeoutMs);
    if (listed.some((l) => !bodies.has(l.oid))) return null;
    return listed.map((l) => ({ ref: l.ref, oid: l.oid, body: bodies.get(l.oid)! }));
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
   * state about to be replaced, such as a pending record, need not reach the view).
   */
  override async swap(updates: RefUpdate[], opts: { transient?: boolean } = {}): Promise<TransactionResult> {
    await this.verify();
    await this.viewUpdate;
    const r = await pushLeased(this.repo, this.remote, updates, this.opts.timeoutMs);
    if (r.ok && !opts.transient) {
      this.viewUpdate = setRefs(this.repo, updates.map((u) => ({ ref: this.toView(u.ref), oid: u.newOid })), this.writers).catch((e: Error) =>
        this.opts.warn(e.message),
      );
    }
    return r;
  }

  override warm(): void {
    super.warm();
    this.objects.warm();
  }

  /** Finishes the view update still under way; call before the process ends. */
  async settle(): Promise<void> {
    await this.viewUpdate;
  }

  override close(): void {
    this.objects.close();
    super.close();
  }

  override async history<T>(schema: Schema<T>, prefix: string, max: number, mode: ReadMode = 'refresh'): Promise<ReadResult<T>> {
    await this.refresh([prefix], mode);
    return super.history(schema, this.toView(prefix), max);
  }
}

export function ageText(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  return `${Math.round(s / 3600)}h`;
}
