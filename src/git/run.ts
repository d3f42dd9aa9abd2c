/**
 * Spawning git. Every other module reaches git through here, so the environment that makes
 * git's output parseable and non-interactive is set in one place.
 */
import { spawn } from 'node:child_process';
import { FailedError } from '../errors.js';

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
const baseEnv: NodeJS.ProcessEnv = {
  ...process.env,
  LC_ALL: 'C',
  LANGUAGE: 'C',
  GIT_TERMINAL_PROMPT: '0',
};

/** Runs git and resolves with its exit code and output; never rejects on a non-zero exit. */
const trace = process.env.GIT_COORD_TRACE ? (msg: string) => process.stderr.write(`trace: ${msg}\n`) : null;

export function runGit(cwd: string, args: readonly string[], opts: GitOptions = {}): Promise<GitResult> {
  const t0 = trace ? performance.now() : 0;
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, {
      cwd,
      env: opts.env ? { ...baseEnv, ...opts.env } : baseEnv,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => reject(new FailedError(`cannot run git: ${e.message}`)));
    const timer = opts.timeoutMs
      ? setTimeout(() => {
          err.push(Buffer.from(`timed out after ${opts.timeoutMs} ms\n`));
          child.kill('SIGKILL');
          // git's own children (ssh, a credential helper) may still hold the pipes open: let go of
          // them, or 'close' would wait for those children.
          child.stdout.destroy();
          child.stderr.destroy();
        }, opts.timeoutMs)
      : null;
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      if (signal === 'SIGKILL' && timer) code = 124;
      trace?.(`${(performance.now() - t0).toFixed(1)} ms  git ${args.slice(0, 3).join(' ')}${args.length > 3 ? ' ...' : ''}`);
      resolve({ code: code ?? 1, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
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

export function firstLine(s: string): string {
  return s.split('\n').find((l) => l.trim() !== '')?.trim() ?? '';
}

/**
 * A long-lived git process spoken to line by line (`update-ref --stdin`): one spawn serves
 * several exchanges. `exchange` writes a request and resolves when `until` matches the output
 * gathered since, or when the process exits (then the session is dead: open a new one).
 */
export class GitSession {
  private child;
  private out = '';
  private err = '';
  private exited: GitResult | null = null;
  private waiter: (() => void) | null = null;

  constructor(cwd: string, args: readonly string[]) {
    this.child = spawn('git', args, { cwd, env: baseEnv, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout.on('data', (b: Buffer) => {
      this.out += b.toString('utf8');
      this.waiter?.();
    });
    this.child.stderr.on('data', (b: Buffer) => (this.err += b.toString('utf8')));
    this.child.stdin.on('error', () => {});
    this.child.on('error', (e) => this.finish(1, `cannot run git: ${e.message}`));
    this.child.on('close', (code) => this.finish(code ?? 1, ''));
  }

  private finish(code: number, extra: string): void {
    this.exited = { code, stdout: this.out, stderr: this.err + extra };
    this.waiter?.();
  }

  get alive(): boolean {
    return this.exited === null;
  }

  async exchange(input: string, until: RegExp | ((out: string) => boolean)): Promise<{ ok: boolean; stdout: string; stderr: string }> {
    if (this.exited) return { ok: false, stdout: '', stderr: this.exited.stderr };
    const done = typeof until === 'function' ? until : (out: string) => until.test(out);
    this.out = '';
    this.child.stdin.write(input);
    await new Promise<void>((resolve) => {
      this.waiter = () => {
        if (done(this.out) || this.exited) resolve();
      };
      this.waiter();
    });
    this.waiter = null;
    const ok = done(this.out);
    const exited = this.exited as GitResult | null; // set by the 'close' handler while we awaited
    return { ok, stdout: this.out, stderr: exited?.stderr ?? this.err };
  }

  close(): void {
    if (!this.exited) this.child.stdin.end();
  }
}
