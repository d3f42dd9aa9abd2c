/**
 * Real git, real temporary repositories, real processes. Tests set their own git identity and
 * ignore the machine's git config, so they never depend on who runs them.
 *
 * Everything a test makes through these helpers (temporary directories, processes) is removed
 * after the test, passed or failed: test/setup.ts calls `cleanup` after each one.
 */
import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const CLI = path.join(ROOT, 'dist', 'cli.js');

export const ENV: NodeJS.ProcessEnv = {
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GIT_'))),
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_AUTHOR_NAME: 'Test',
  GIT_AUTHOR_EMAIL: 'test@example.com',
  GIT_COMMITTER_NAME: 'Test',
  GIT_COMMITTER_EMAIL: 'test@example.com',
  LC_ALL: 'C',
};

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

export function gitSync(cwd: string, ...args: string[]): string {
  const r = spawnSync('git', args, { cwd, env: ENV, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

export function gitRun(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): Run {
  const r = spawnSync('git', args, { cwd, env: { ...ENV, ...env }, encoding: 'utf8' });
  return { code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
}

/** Runs the built CLI synchronously. */
export function coord(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): Run {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, env: { ...ENV, ...env }, encoding: 'utf8' });
  return { code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
}

const children = new Set<ChildProcess>();
const dirs: string[] = [];
const servers = new Set<{ server: net.Server; sockets: Set<net.Socket> }>();
const deferred: (() => unknown)[] = [];

/** Runs `fn` after the test, passed or failed, before its processes and directories go (a client to close). */
export function defer(fn: () => unknown): void {
  deferred.push(fn);
}

/** Spawns a process that is killed after the test if it is still running then. */
export function spawnTracked(cmd: string, args: string[], opts: SpawnOptions): ChildProcess {
  const child = spawn(cmd, args, opts);
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}

/** Runs `cmd` to its end, gathering its output (killed after the test if still running). */
export function runAsync(cmd: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawnTracked(cmd, args, { cwd: opts.cwd, env: { ...ENV, ...opts.env } });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

/** Runs the built CLI as a concurrent OS process. */
export function coordAsync(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return runAsync(process.execPath, [CLI, ...args], { cwd, env });
}

/**
 * A new temporary directory, removed after the test. Its name carries the run's id (set in
 * vitest.config.ts), so the suite's teardown can tell what this run left behind.
 */
export function tmpdir(name = 'repo'): string {
  const run = process.env.GIT_COORD_TEST_RUN ?? 'x';
  // Its real path: git prints real paths, and tests compare with them.
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), `git-coord-${run}-${name}-`)));
  dirs.push(dir);
  return dir;
}

/** Removes `dir` too after the test (something made beside a temporary directory: a worktree at `<repo>-wt`). */
export function track(dir: string): string {
  dirs.push(dir);
  return dir;
}

/**
 * A TCP listener on 127.0.0.1 that accepts connections and never answers (a remote that hangs).
 * Closed after the test, its connections cut.
 */
export async function silentListener(): Promise<{ port: number }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  servers.add({ server, sockets });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as net.AddressInfo).port };
}

/** Runs what the test deferred, kills its processes that still run, closes its listeners, then removes its temporary directories. */
export async function cleanup(): Promise<void> {
  for (const fn of deferred.splice(0).reverse()) {
    try {
      await fn();
    } catch {
      // Cleaning up goes on: the test's own failure, if any, is what it reports.
    }
  }
  await Promise.all(
    [...children].map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve();
          c.once('exit', () => resolve());
          c.kill('SIGKILL');
        }),
    ),
  );
  children.clear();
  for (const { server, sockets } of servers) {
    for (const c of sockets) c.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  servers.clear();
  // Retried for a while: a git command may have left a detached auto gc (`git fetch` starts one
  // when loose objects pile up) still writing into the repository it ran in (ENOTEMPTY).
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true, maxRetries: 12, retryDelay: 250 });
}

/** A fresh repository with one commit. */
export function makeRepo(files: Record<string, string> = { 'README.md': 'hello\n' }): string {
  const dir = tmpdir();
  gitSync(dir, 'init', '-q', '-b', 'main');
  write(dir, files);
  gitSync(dir, 'add', '-A');
  gitSync(dir, 'commit', '-q', '-m', 'init');
  return dir;
}

export function write(dir: string, files: Record<string, string>): void {
  for (const [f, content] of Object.entries(files)) {
    const p = path.join(dir, f);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, content);
  }
}

export function json<T = any>(r: Run): T {
  try {
    return JSON.parse(r.stdout) as T;
  } catch {
    throw new Error(`not JSON (exit ${r.code}): ${r.stdout}\n${r.stderr}`);
  }
}

export function refs(dir: string, prefix = 'refs/coordination/'): string[] {
  return gitSync(dir, 'for-each-ref', '--format=%(refname)', prefix).split('\n').filter(Boolean);
}

/** An empty bare repository (`<name>.git` in a fresh temporary directory), removed after the test. */
export function bareRepo(name = 'hub', ...initArgs: string[]): string {
  const dir = path.join(tmpdir(name), `${name}.git`);
  gitSync(path.dirname(dir), 'init', '-q', '--bare', ...initArgs, dir);
  return dir;
}

/**
 * A bare hub (`hub.git` in a fresh temporary directory `root`) with one commit on main holding
 * `files` and a `.git-coord.yml` holding `config` (by default `remote: origin`). `root` is
 * removed after the test, with the clones made in it.
 */
export function makeHub(config = 'remote: origin\n', files: Record<string, string> = { 'src/a.ts': 'a\n', 'src/b.ts': 'b\n', 'docs/x.md': 'x\n' }) {
  const root = tmpdir('hub');
  const hub = path.join(root, 'hub.git');
  gitSync(root, 'init', '-q', '--bare', '-b', 'main', hub);
  const seed = path.join(root, 'seed');
  gitSync(root, 'init', '-q', '-b', 'main', seed);
  write(seed, { ...files, '.git-coord.yml': config });
  gitSync(seed, 'add', '-A');
  gitSync(seed, 'commit', '-q', '-m', 'init');
  gitSync(seed, 'push', '-q', hub, 'main');
  return { root, hub, url: `file://${hub}` };
}

/** Clones `url` into `root/<agent>` with that agent's identity set, and the hooks installed if asked. */
export function clone(root: string, url: string, agent: string, hooks = false): string {
  const dir = path.join(root, agent);
  gitSync(root, 'clone', '-q', url, dir);
  coord(dir, ['whoami', '--set', agent]);
  if (hooks) {
    const r = coord(dir, ['install-hooks']);
    if (r.code !== 0) throw new Error(`install-hooks failed: ${r.stderr}`);
  }
  return dir;
}

/** Every coordination ref and its value: "nothing written" means this did not change. */
export function state(dir: string): string {
  return gitSync(dir, 'for-each-ref', '--format=%(objectname) %(refname)', 'refs/coordination/');
}

/** A run that must have succeeded (its stderr is the failure's message), returned as it is. */
export function ok(r: Run): Run {
  expect(r.code, r.stderr).toBe(0);
  return r;
}
