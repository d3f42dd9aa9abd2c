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
}

// LC_ALL=C keeps git's messages parseable; no prompt may ever block an agent waiting on a hook.
const baseEnv: NodeJS.ProcessEnv = {
  ...process.env,
  LC_ALL: 'C',
  LANGUAGE: 'C',
  GIT_TERMINAL_PROMPT: '0',
};

/** Runs git and resolves with its exit code and output; never rejects on a non-zero exit. */
export function runGit(cwd: string, args: readonly string[], opts: GitOptions = {}): Promise<GitResult> {
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
    child.on('close', (code) =>
      resolve({ code: code ?? 1, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }),
    );
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
