/**
 * Spawning git. Every other module reaches git through here, so the environment that makes
 * git's output parseable and non-interactive is set in one place.
 */
import { spawn } from 'node:child_process';
import { FailedError } from '../errors.js';
import { printable } from '../printable.js';

export interface GitResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface GitOptions {
  input?: string | Buffer;
  env?: NodeJS.ProcessEnv;
  /** Kill git after this long; the result then has code 124 and says so. */
  timeoutMs?: number;
}

// LC_ALL=C keeps git's messages parseable; no prompt may ever block an agent waiting on a hook.
// Replacement objects (refs/replace/, which anyone who can push may create) would let git show
// other content than a commit really has: every check reads the objects themselves.
const baseEnv: NodeJS.ProcessEnv = {
  ...process.env,
  LC_ALL: 'C',
  LANGUAGE: 'C',
  GIT_TERMINAL_PROMPT: '0',
  GIT_NO_REPLACE_OBJECTS: '1',
};

/**
 * The most bytes of arguments one git call is given. Linux refuses more than ARG_MAX (2 MiB,
 * shared with the environment) in all and 128 KiB in one argument (spawn E2BIG); lists that can
 * grow without bound go to git on stdin, or in batches of at most this many bytes.
 */
export const ARGV_BUDGET = 512 * 1024;
const ARGV_LIMIT = 2 * ARGV_BUDGET;

/** The bytes `args` take in a process's argument area (each string, its NUL and its pointer). */
export function argvBytes(args: readonly string[]): number {
  let n = 0;
  for (const a of args) n += Buffer.byteLength(a) + 1 + 8;
  return n;
}

/** Splits `items` into batches whose arguments stay within `budget` bytes (an item larger than that is a batch of its own). */
export function batchByBytes(items: readonly string[], budget = ARGV_BUDGET): string[][] {
  const batches: string[][] = [];
  let current: string[] = [];
  let size = 0;
  for (const item of items) {
    const n = argvBytes([item]);
    if (current.length > 0 && size + n > budget) {
      batches.push(current);
      current = [];
      size = 0;
    }
    current.push(item);
    size += n;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/**
 * A git call with a time limit talks to a remote, through helpers git starts (git-remote-http,
 * ssh). Killing git alone would leave them connected, for ever, to a remote that never answers:
 * such a call runs in a process group of its own (a new session, without the terminal, so it never
 * prompts), and the time limit kills the whole group. Outside the terminal's group it would miss
 * the terminal's Ctrl-C: while any runs, this process passes its interrupts on, then dies of them.
 */
const groups = new Set<number>();
const INTERRUPTS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

function onInterrupt(signal: NodeJS.Signals): void {
  for (const pid of groups) killGroup(pid);
  for (const s of INTERRUPTS) process.removeListener(s, onInterrupt);
  process.kill(process.pid, signal);
}

function trackGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  if (groups.size === 0) for (const s of INTERRUPTS) process.on(s, onInterrupt);
  groups.add(pid);
}

function untrackGroup(pid: number | undefined): void {
  if (pid === undefined || !groups.delete(pid) || groups.size > 0) return;
  for (const s of INTERRUPTS) process.removeListener(s, onInterrupt);
}

const trace = process.env.GIT_COORD_TRACE ? (msg: string) => process.stderr.write(`trace: ${msg}\n`) : null;

/** Runs git and resolves with its exit code and output; never rejects on a non-zero exit. */
export function runGit(cwd: string, args: readonly string[], opts: GitOptions = {}): Promise<GitResult> {
  const t0 = trace ? performance.now() : 0;
  if (argvBytes(args) > ARGV_LIMIT) {
    // A caller forgot to bound a list: say so instead of failing with spawn E2BIG.
    return Promise.reject(new FailedError(`git ${args[0]}: argument list too long (${argvBytes(args)} bytes)`));
  }
  return new Promise((resolve, reject) => {
    const ownGroup = opts.timeoutMs !== undefined && process.platform !== 'win32';
    const child = spawn('git', args, {
      cwd,
      env: opts.env ? { ...baseEnv, ...opts.env } : baseEnv,
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: ownGroup,
    });
    if (ownGroup) trackGroup(child.pid);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    let settled = false;
    const finish = (code: number | null) => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      trace?.(`${(performance.now() - t0).toFixed(1)} ms  git ${args.slice(0, 3).join(' ')}${args.length > 3 ? ' ...' : ''}`);
      resolve({ code: timedOut ? 124 : (code ?? 1), stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    };
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => {
      if (ownGroup) untrackGroup(child.pid);
      if (timer) clearTimeout(timer);
      settled = true;
      reject(new FailedError(`cannot run git: ${e.message}`));
    });
    const timer = opts.timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          err.push(Buffer.from(`fatal: timed out after ${opts.timeoutMs} ms\n`));
          if (ownGroup && child.pid !== undefined) killGroup(child.pid);
          else child.kill('SIGKILL');
          // git's own children (ssh, a credential helper) may still hold the pipes open: let go of
          // them, or 'close' would wait for those children.
          child.stdout.destroy();
          child.stderr.destroy();
        }, opts.timeoutMs)
      : null;
    // After a timeout, git's own helpers (ssh, remote-https) may still hold the output pipes
    // open: do not wait for them to close, only for git itself to be gone.
    child.on('exit', (code) => {
      if (ownGroup) untrackGroup(child.pid);
      if (!timedOut) return;
      child.stdout.destroy();
      child.stderr.destroy();
      finish(code);
    });
    child.on('close', (code) => finish(code));
    // git may exit before reading all of stdin (e.g. a failed transaction); that is not our error.
    child.stdin.on('error', () => {});
    child.stdin.end(opts.input ?? '');
  });
}

/** Runs git and returns stdout, throwing a FailedError with git's own reason on failure. */
export async function git(cwd: string, args: readonly string[], opts: GitOptions = {}): Promise<string> {
  const r = await runGit(cwd, args, opts);
  if (r.code !== 0) throw new FailedError(`git ${args[0]} failed: ${firstLine(r.stderr) || `exit ${r.code}`}`);
  return r.stdout;
}

/** The first non-empty line of git's output, fit to show (it may quote a remote's or a hook's words). */
export function firstLine(s: string): string {
  return printable(s.split('\n').find((l) => l.trim() !== '')?.trim() ?? '');
}

/**
 * A long-lived git process spoken to line by line (`update-ref --stdin`): one spawn serves
 * several exchanges. `exchange` writes a request and resolves when `until` matches the output
 * gathered since, or when the process exits (then the session is dead: open a new one).
 *
 * With `binary`, output is kept byte for byte (latin1: one character per byte), for a reader
 * that frames it by byte counts (`cat-file --batch`); UTF-8 decoding chunk by chunk would turn a
 * character split between two chunks, or any invalid byte, into a replacement of another length.
 */
export class GitSession {
  private child;
  private out = '';
  private err = '';
  private exited: GitResult | null = null;
  private waiter: (() => void) | null = null;

  constructor(cwd: string, args: readonly string[], opts: { binary?: boolean } = {}) {
    const encoding = opts.binary ? 'latin1' : 'utf8';
    this.child = spawn('git', args, { cwd, env: baseEnv, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout.on('data', (b: Buffer) => {
      if (this.sink) this.sink(b);
      else this.out += b.toString(encoding);
      this.waiter?.();
    });
    this.child.stderr.on('data', (b: Buffer) => (this.err += b.toString('utf8')));
    this.child.stdin.on('error', () => {});
    this.child.on('error', (e) => this.finish(1, `cannot run git: ${e.message}`));
    this.child.on('close', (code) => this.finish(code ?? 1, ''));
  }

  private finish(code: number, extra: string): void {
    if (this.exited) return;
    this.exited = { code, stdout: this.out, stderr: this.err + extra };
    this.waiter?.();
  }

  get alive(): boolean {
    return this.exited === null;
  }

  /**
   * With `timeoutMs`, a process that has not answered by then is killed and the exchange fails
   * (a `cat-file` in a partial clone may be fetching a missing object from a remote that hangs).
   */
  async exchange(
    input: string,
    until: RegExp | ((out: string) => boolean),
    timeoutMs?: number,
  ): Promise<{ ok: boolean; stdout: string; stderr: string }> {
    if (this.exited) return { ok: false, stdout: '', stderr: this.exited.stderr };
    const done = typeof until === 'function' ? until : (out: string) => until.test(out);
    this.out = '';
    this.child.stdin.write(input);
    let timer: NodeJS.Timeout | null = null;
    await new Promise<void>((resolve) => {
      this.waiter = () => {
        if (done(this.out) || this.exited) resolve();
      };
      if (timeoutMs) {
        timer = setTimeout(() => {
          this.child.kill('SIGKILL');
          this.finish(124, `fatal: timed out after ${timeoutMs} ms\n`);
        }, timeoutMs);
      }
      this.waiter();
    });
    if (timer) clearTimeout(timer);
    this.waiter = null;
    const ok = done(this.out);
    const exited = this.exited as GitResult | null; // set by the 'close' handler while we awaited
    return { ok, stdout: this.out, stderr: exited?.stderr ?? this.err };
  }

  /** Where `stream` sends the output, while one runs. */
  private sink: ((chunk: Buffer) => void) | null = null;

  /**
   * `exchange`, but each chunk of output goes to `consume` as bytes, as it comes, not kept: an
   * answer of many megabytes (thousands of objects) is parsed once, instead of the whole output
   * read again at every chunk. `done` says when the answer is complete.
   */
  async stream(input: string, consume: (chunk: Buffer) => void, done: () => boolean, timeoutMs?: number): Promise<{ ok: boolean; stderr: string }> {
    this.sink = consume;
    try {
      const r = await this.exchange(input, () => done(), timeoutMs);
      return { ok: r.ok, stderr: r.stderr };
    } finally {
      this.sink = null;
    }
  }

  close(): void {
    if (!this.exited) this.child.stdin.end();
  }
}
