/**
 * The processes that write: one `update-ref --stdin` session for every ref transaction of a
 * command, and, where objects cannot be written directly (git/objects.ts), one `hash-object
 * --stdin-paths` session for every object (it answers each path as it reads it). A command that
 * will write starts them while it is still reading, so git's start-up is paid in parallel, not in
 * sequence (each spawn also blocks this process for several ms: libuv forks the whole process).
 */
import { FailedError } from '../errors.js';
import { GitSession } from './run.js';

/** A write asked of closed writers: a closed session never starts a process again (it would outlive its owner). */
function closedError(): FailedError {
  return new FailedError('the session is closed: nothing was written', { kind: 'closed' });
}

export class Writers {
  private session: GitSession | null = null;
  private hasher: GitSession | null = null;
  private closed = false;
  /** Objects go through git (set once the repository is known not to allow direct writes). */
  private hashing = false;

  constructor(private readonly cwd: string) {}

  /** Whether these writers run in `cwd` (and may still serve a session there). */
  startedIn(cwd: string): boolean {
    return !this.closed && this.cwd === cwd;
  }

  /** Objects will be written by git: its writer is started with the transaction session. */
  useHasher(): void {
    this.hashing = true;
  }

  /** Starts the transaction session (and the object writer, if objects go through git) now. */
  warm(): void {
    if (this.closed) return;
    if (!this.session?.alive) this.session = new GitSession(this.cwd, ['update-ref', '-z', '--stdin']);
    if (this.hashing && !this.hasher?.alive) this.hasher = new GitSession(this.cwd, ['hash-object', '-w', '-t', 'commit', '--stdin-paths']);
  }

  /**
   * Warms once the current operation has returned to its caller: a library that makes one call
   * after another finds its processes started, without the start-up in any call's own time.
   */
  warmSoon(): void {
    setImmediate(() => this.warm());
  }

  /** Writes the commit objects in these files; returns their ids, in order. */
  async hashFiles(paths: string[], hexLength: number): Promise<{ ok: boolean; ids: string[]; stderr: string }> {
    if (this.closed) throw closedError();
    if (!this.hasher?.alive) this.hasher = new GitSession(this.cwd, ['hash-object', '-w', '-t', 'commit', '--stdin-paths']);
    const expected = paths.length * (hexLength + 1);
    const r = await this.hasher.exchange(paths.join('\n') + '\n', (out) => out.length >= expected);
    if (!r.ok) this.hasher = null;
    return { ok: r.ok, ids: r.stdout.split('\n').filter(Boolean), stderr: r.stderr };
  }

  /**
   * Runs one transaction (the `-z` commands, without start/prepare/commit). A failed
   * transaction ends git's session; the next one starts a new session.
   */
  async transact(commands: string): Promise<{ ok: boolean; stderr: string }> {
    if (this.closed) throw closedError();
    if (!this.session?.alive) this.session = new GitSession(this.cwd, ['update-ref', '-z', '--stdin']);
    const r = await this.session.exchange(`start\0${commands}prepare\0commit\0`, /commit: ok\n/);
    if (!r.ok) this.session = null;
    return { ok: r.ok, stderr: r.stderr };
  }

  close(): void {
    this.closed = true;
    this.session?.close();
    this.session = null;
    this.hasher?.close();
    this.hasher = null;
  }
}
