/**
 * A session against one repository: where it is, who is acting, what the config says, and the
 * warnings gathered on the way (corrupt records) for the face to show.
 */
import fs from 'node:fs';
import path from 'node:path';
import { openRepo, type Repo } from '../git/repo.js';
import { readGitDirFile, writeGitDirFile } from '../git/worktree.js';
import { RecordStore, Writers, type ReadMode, type Store } from '../store/records.js';
import { RemoteStore } from '../store/remote.js';
import { UsageError } from '../errors.js';
import { validateAgentId } from '../agents/id.js';
import { loadConfig, validateRemoteName, CONFIG_FILE, type Config, type Refresh } from './config.js';
import type { PatternBase } from '../patterns/pattern.js';

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
  /** Work to start alongside repository discovery: it needs only the directory. */
  alongside?: (cwd: string) => void;
  /** --remote: this remote decides, whatever the config says. */
  remote?: string;
  /** --fresh: reads refresh the view of the remote first. */
  fresh?: boolean;
}

export class Coord {
  readonly store: Store;
  readonly warnings: string[] = [];
  readonly notes: string[] = [];

  private constructor(
    readonly repo: Repo,
    private readonly opts: OpenOptions,
    writers: Writers,
    private readonly cfg: Config,
  ) {
    const remote = opts.remote ?? cfg.remote;
    this.store = remote
      ? new RemoteStore(repo, writers, remote, {
          warn: (m) => this.warn(m),
          timeoutMs: cfg.timeoutMs,
          source: opts.remote !== undefined ? '--remote' : `remote in ${CONFIG_FILE}`,
        })
      : new RecordStore(repo, writers);
  }

  static async open(opts: OpenOptions = {}): Promise<Coord> {
    if (opts.agent !== undefined) validateAgentId(opts.agent, '--agent');
    if (opts.remote !== undefined) validateRemoteName(opts.remote, '--remote');
    const cwd = path.resolve(opts.cwd ?? process.cwd());
    const writers = new Writers(cwd);
    const found = openRepo(cwd);
    if (opts.writes && fs.statSync(cwd, { throwIfNoEntry: false })?.isDirectory()) writers.warm();
    opts.alongside?.(cwd);
    try {
      const repo = await found;
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
    if (this.opts.fresh || policy === 'always') return 'refresh';
    if (policy === 'never') return 'view';
    const t = this.store.viewTime();
    return t === null || this.now() - t > policy ? 'refresh' : 'view';
  }

  /** Describes the view a read used, for people: where it came from and how old it is. */
  viewInfo(): { remote: string; syncedAt: string | null; ageMs: number | null } | null {
    if (!this.store.remote) return null;
    const t = this.store.viewTime();
    return { remote: this.store.remote, syncedAt: t ? new Date(t).toISOString() : null, ageMs: t ? this.now() - t : null };
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
      throw new UsageError(
        'no agent id: pass --agent <id>, set GIT_COORD_AGENT, or run `git-coord whoami --set <id>` in this worktree',
      );
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

