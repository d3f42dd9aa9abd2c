/**
 * A session against one repository: where it is, who is acting, what the config says, and the
 * warnings gathered on the way (corrupt records) for the face to show.
 */
import fs from 'node:fs';
import path from 'node:path';
import { openRepo, type Repo } from '../git/repo.js';
import { directWrites } from '../git/objects.js';
import { readGitDirFile, writeGitDirFile } from '../git/worktree.js';
import { RecordStore, Writers, type ReadMode, type Store } from '../store/records.js';
import { RemoteStore } from '../store/remote.js';
import { UsageError } from '../errors.js';
import { validateAgentId } from '../agents/id.js';
import { loadConfig, validateRemoteName, CONFIG_FILE, type Config, type Refresh } from './config.js';
import type { PatternBase } from '../patterns/pattern.js';
import { iso } from '../time.js';

/** The per-worktree identity file, in the worktree's own git dir (not shared, no config format change). */
export const AGENT_FILE = 'git-coord-agent';

export interface OpenOptions {
  cwd?: string;
  /** --agent: wins over the environment and the worktree's identity. */
  agent?: string;
  env?: NodeJS.ProcessEnv;
  now?: () => number;
  /** The session will write: start git's writing processes while the repository is discovered. */
  writes?: boolean;
  /**
   * Writing processes already started in `cwd` (Writers.early): used when the session's directory
   * is that one, else closed and started again here.
   */
  writers?: Writers;
  /** Work to start alongside repository discovery: it needs only the directory. */
  alongside?: (cwd: string) => void;
  /** --remote: this remote decides, whatever the config says. */
  remote?: string;
  /** --fresh: reads refresh the view of the remote first. */
  fresh?: boolean;
}

export class Coord {
  private currentStore: Store;
  readonly warnings: string[] = [];
  readonly notes: string[] = [];
  /** The config file as last read (its size and time), to see when a long-lived session must re-read it. */
  private cfgStamp: string;
  /** Inside `freshly`: reads refresh the remote's view first, as with --fresh. */
  private freshReads = false;

  private constructor(
    readonly repo: Repo,
    private readonly opts: OpenOptions,
    writers: Writers,
    private cfg: Config,
  ) {
    this.currentStore = this.makeStore(writers);
    this.cfgStamp = configStamp(repo);
  }

  private makeStore(writers: Writers): Store {
    const remote = this.opts.remote ?? this.cfg.remote;
    return remote
      ? new RemoteStore(this.repo, writers, remote, {
          warn: (m) => this.warn(m),
          timeoutMs: this.cfg.timeoutMs,
          source: this.opts.remote !== undefined ? '--remote' : `remote in ${CONFIG_FILE}`,
        })
      : new RecordStore(this.repo, writers);
  }

  get store(): Store {
    return this.currentStore;
  }

  static async open(opts: OpenOptions = {}): Promise<Coord> {
    if (opts.agent !== undefined) validateAgentId(opts.agent, '--agent');
    if (opts.remote !== undefined) validateRemoteName(opts.remote, '--remote');
    const cwd = path.resolve(opts.cwd ?? process.cwd());
    let writers = opts.writers;
    if (!writers?.startedIn(cwd)) {
      writers?.close();
      writers = new Writers(cwd);
    }
    const found = openRepo(cwd);
    if (opts.writes && fs.statSync(cwd, { throwIfNoEntry: false })?.isDirectory()) writers.warm();
    opts.alongside?.(cwd);
    try {
      const repo = await found;
      if (!directWrites(repo)) {
        writers.useHasher();
        if (opts.writes) writers.warm();
      }
      return new Coord(repo, opts, writers, await loadConfig(repo));
    } catch (e) {
      writers.close();
      throw e;
    }
  }

  /** Ends the session's git processes. */
  close(): void {
    this.store.close();
  }

  /**
   * For a session that serves many calls (the MCP server): re-reads the config when its file
   * changed since it was read, and when that changes which remote decides, swaps in a new store
   * (the old one's git processes end). An invalid file throws, as it does for a command, and is
   * read again on the next call.
   */
  async reloadConfig(): Promise<void> {
    const stamp = configStamp(this.repo);
    if (stamp === this.cfgStamp) return;
    const before = this.opts.remote ?? this.cfg.remote;
    this.cfg = await loadConfig(this.repo);
    this.cfgStamp = stamp;
    if ((this.opts.remote ?? this.cfg.remote) !== before) {
      this.currentStore.close();
      this.currentStore = this.makeStore(new Writers(this.repo.cwd));
    }
  }

  /**
   * Runs `fn` with reads refreshing the remote's view first, as --fresh does: for a long-lived
   * session's call that waits for other agents' changes, which its view would not show.
   */
  async freshly<T>(fn: () => Promise<T>): Promise<T> {
    const before = this.freshReads;
    this.freshReads = true;
    try {
      return await fn();
    } finally {
      this.freshReads = before;
    }
  }

  /** Takes the warnings and notes gathered so far: a long-lived session reports them per call. */
  drain(): { warnings: string[]; notes: string[] } {
    return { warnings: this.warnings.splice(0), notes: this.notes.splice(0) };
  }

  now(): number {
    return this.opts.now ? this.opts.now() : Date.now();
  }

  warn(msg: string): void {
    this.warnings.push(msg);
  }

  /** Information for people (stderr), such as how old the view of the remote is. */
  note(msg: string): void {
    this.notes.push(msg);
  }

  /**
   * How a read command reads: local state is always current; a remote's view is refreshed when
   * asked (--fresh), when the config says always, or when it is older than the config's age.
   */
  readMode(policy: Refresh = this.cfg.refresh): ReadMode {
    if (!this.store.remote) return 'view';
    if (this.opts.fresh || this.freshReads || policy === 'always') return 'refresh';
    if (policy === 'never') return 'view';
    const t = this.store.viewTime();
    return t === null || this.now() - t > policy ? 'refresh' : 'view';
  }

  /**
   * How long a waiting command (`lock --wait`) pauses before its next try: quickly at first and
   * longer each round, locally; against a remote never faster than the configured poll interval,
   * since hosted forges limit reads per repository.
   */
  pollDelay(round: number): number {
    const [base, cap] = this.store.remote ? [this.cfg.pollMs, this.cfg.pollMs * 4] : [20, 500];
    return Math.min(cap, base * 1.5 ** round) * (0.5 + Math.random());
  }

  /** Describes the view a read used, for people: where it came from and how old it is. */
  viewInfo(): { remote: string; syncedAt: string | null; ageMs: number | null } | null {
    if (!this.store.remote) return null;
    const t = this.store.viewTime();
    return { remote: this.store.remote, syncedAt: t ? iso(t) : null, ageMs: t ? this.now() - t : null };
  }

  get base(): PatternBase {
    return { top: this.repo.top ?? this.repo.cwd, prefix: this.repo.prefix };
  }

  /** The acting agent: --agent, then GIT_COORD_AGENT, then the worktree's identity; null if none. */
  agent(): string | null {
    if (this.opts.agent !== undefined) return this.opts.agent;
    const env = (this.opts.env ?? process.env).GIT_COORD_AGENT;
    if (env !== undefined && env !== '') return validateAgentId(env, 'GIT_COORD_AGENT');
    const file = readGitDirFile(this.repo, AGENT_FILE)?.trim();
    if (file) return validateAgentId(file, `${path.join(this.repo.gitDir, AGENT_FILE)}`);
    return null;
  }

  requireAgent(): string {
    const a = this.agent();
    if (a === null) {
      // Each face says how to give one (its own flags, its client's config): detail.code.
      throw new UsageError('no agent id: set GIT_COORD_AGENT, or run `git-coord whoami --set <id>` in this worktree', { code: 'no-agent' });
    }
    return a;
  }

  /** Sets this worktree's identity (other worktrees of the repository keep theirs). */
  setWorktreeAgent(id: string): void {
    validateAgentId(id, 'whoami --set');
    writeGitDirFile(this.repo, AGENT_FILE, `${id}\n`);
  }

  async config(): Promise<Config> {
    return this.cfg;
  }
}

function configStamp(repo: Repo): string {
  if (!repo.top) return 'none';
  try {
    const st = fs.statSync(path.join(repo.top, CONFIG_FILE));
    return `${st.size}:${st.mtimeMs}:${st.ino}`;
  } catch {
    return 'none';
  }
}

