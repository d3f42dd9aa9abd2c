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
import { validateAgentId } from './agent.js';
import { ConfigFile } from './schemas.js';
import { parseDuration } from './duration.js';
import type { PatternBase } from './patterns.js';

export const CONFIG_FILE = '.git-coord.yml';
/** The per-worktree identity file, in the worktree's own git dir (not shared, no config format change). */
export const AGENT_FILE = 'git-coord-agent';

/** A refresh policy: always, never, or when the view is older than this many ms. */
export type Refresh = 'always' | 'never' | number;

export interface Config {
  /** Default lease in ms; null: locks never expire. */
  ttlMs: number | null;
  /** Longest `lock --wait` in ms when no duration is given. */
  waitMs: number;
  /** The remote that decides, or null: this repository's own refs decide. */
  remote: string | null;
  /** When reads refresh the local view of the remote. */
  refresh: Refresh;
  /** How often `lock --wait` polls the remote, in ms. */
  pollMs: number;
  hooks: { refresh: Refresh; timeoutMs: number; offline: 'allow' | 'refuse' };
}

export const DEFAULTS: Config = {
  ttlMs: 3_600_000,
  waitMs: 600_000,
  remote: null,
  refresh: 'never',
  pollMs: 1_000,
  hooks: { refresh: 60_000, timeoutMs: 5_000, offline: 'allow' },
};

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
      ? new RemoteStore(repo, writers, remote, { warn: (m) => this.warn(m) })
      : new RecordStore(repo, writers);
  }

  static async open(opts: OpenOptions = {}): Promise<Coord> {
    if (opts.agent !== undefined) validateAgentId(opts.agent, '--agent');
    const cwd = path.resolve(opts.cwd ?? process.cwd());
    const writers = new Writers(cwd);
    const found = openRepo(cwd);
    if (opts.writes && fs.existsSync(cwd)) writers.warm();
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

/** Reads `.git-coord.yml` at the top of the work tree; the yaml parser is loaded only when there is one. */
export async function loadConfig(repo: Repo): Promise<Config> {
  if (!repo.top) return DEFAULTS;
  const file = path.join(repo.top, CONFIG_FILE);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return DEFAULTS;
  }
  // yaml is CommonJS: once bundled, its functions may sit on the namespace or on its default.
  const yaml = (await import('yaml')) as typeof import('yaml') & { default?: typeof import('yaml') };
  const parse = yaml.parse ?? yaml.default!.parse;
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (e) {
    throw new UsageError(`invalid ${CONFIG_FILE}: ${(e as Error).message.split('\n')[0]}`);
  }
  const r = ConfigFile.safeParse(doc ?? null);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const keys = 'keys' in issue && Array.isArray(issue.keys) ? issue.keys.join(', ') : issue.path.join('.');
    const what = issue.code === 'unrecognized_keys' ? `unknown key ${keys}` : `${keys || 'the file'}: ${issue.message}`;
    throw new UsageError(`invalid ${CONFIG_FILE}: ${what}`);
  }
  const c = r.data ?? {};
  const ms = (v: string | undefined, key: string, dflt: number) => (v === undefined ? dflt : parseDuration(v, `${key} in config`)!);
  const refresh = (v: string | undefined, key: string, dflt: Refresh): Refresh =>
    v === undefined ? dflt : v === 'always' || v === 'never' ? v : ms(v, key, 0);
  return {
    ttlMs: c.ttl === undefined ? DEFAULTS.ttlMs : parseDuration(c.ttl, 'ttl in config', true),
    waitMs: ms(c.wait, 'wait', DEFAULTS.waitMs),
    remote: c.remote ?? null,
    refresh: refresh(c.refresh, 'refresh', DEFAULTS.refresh),
    pollMs: Math.max(100, ms(c.poll, 'poll', DEFAULTS.pollMs)),
    hooks: {
      refresh: refresh(c.hooks?.refresh, 'hooks.refresh', DEFAULTS.hooks.refresh),
      timeoutMs: ms(c.hooks?.timeout, 'hooks.timeout', DEFAULTS.hooks.timeoutMs),
      offline: c.hooks?.offline ?? DEFAULTS.hooks.offline,
    },
  };
}
