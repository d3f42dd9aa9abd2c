/**
 * The processes that write: one `update-ref --stdin` session for every ref transaction of a
 * command, and `hash-object` processes started ahead of need. A command that will write starts
 * them while it is still reading, so git's start-up is paid in parallel, not in sequence
 * (measured: each sequential git call costs ~3 ms of latency; a lock needs six).
 */
import { GitSession, startGit, type Started } from './run.js';

export class Writers {
  private session: GitSession | null = null;
  private hashers: Started[] = [];
  private closed = false;

  constructor(private readonly cwd: string) {}

  /** Starts a transaction session and `n` object writers now (a lock writes 3: pending, granted, journal). */
  warm(n = 3): void {
    if (this.closed) return;
    if (!this.session?.alive) this.session = this.newSession();
    while (this.hashers.length < n) this.hashers.push(this.newHasher());
  }

  private newSession(): GitSession {
    return new GitSession(this.cwd, ['update-ref', '-z', '--stdin']);
  }

  private newHasher(): Started {
    return startGit(this.cwd, ['hash-object', '-w', '-t', 'commit', '--stdin']);
  }

  /** A `hash-object -w -t commit --stdin` process, started earlier if one was warmed. */
  hasher(): Started {
    return this.hashers.shift() ?? this.newHasher();
  }

  /**
   * Runs one transaction (the `-z` commands, without start/prepare/commit). A failed
   * transaction ends git's session; the next one starts a new session.
   */
  async transact(commands: string): Promise<{ ok: boolean; stderr: string }> {
    if (!this.session?.alive) this.session = this.newSession();
    const r = await this.session.exchange(`start\0${commands}prepare\0commit\0`, /commit: ok\n/);
    if (!r.ok) this.session = null;
    return { ok: r.ok, stderr: r.stderr };
  }

  /**
   * Warms once the current operation has returned to its caller: a library that makes one call
   * after another finds its processes started, without the start-up in any call's own time.
   */
  warmSoon(): void {
    setImmediate(() => this.warm());
  }

  close(): void {
    this.closed = true;
    this.session?.close();
    this.session = null;
    for (const h of this.hashers) h.kill();
    this.hashers = [];
  }
}
