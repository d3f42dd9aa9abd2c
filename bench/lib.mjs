// What every bench section shares: the clean environment every timed process runs in, helpers to
// make repositories and time processes, and the results table.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GIT_ENV } from '../scripts/git-env.mjs';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const CLI = path.join(ROOT, 'dist', 'cli.js');

/**
 * Variables a user's machine usually does not have, which change every Node start: removed from
 * the environment of every process the bench times, the `node -e 0` baseline included.
 * (NODE_EXTRA_CA_CERTS makes Node read a CA bundle at start: ~100 ms here.)
 */
export const REMOVED = ['NODE_EXTRA_CA_CERTS', 'NODE_OPTIONS'];
export const ENV = Object.fromEntries(Object.entries(GIT_ENV).filter(([k]) => !REMOVED.includes(k)));

const args = process.argv.slice(2);
/** --quick: few repetitions and small scales, for development (figures not comparable). */
export const QUICK = args.includes('--quick');
export const REPS = Number(process.env.BENCH_REPS ?? (QUICK ? 5 : 15));
/** A scale of the real bench, cut by 10 in quick mode. */
export const scale = (n) => (QUICK ? Math.max(10, Math.round(n / 10)) : n);

// Every temporary directory the run makes, removed at the end (cleanup()).
const made = [];
export function mkdtemp(name) {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), `git-coord-bench-${name}-`)));
  made.push(dir);
  return dir;
}
export function cleanup() {
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

export function sh(cwd, cmd, argv, env = {}, input) {
  const r = spawnSync(cmd, argv, { cwd, env: { ...ENV, ...env }, encoding: 'utf8', maxBuffer: 1 << 26, input });
  if (r.status !== 0) throw new Error(`${cmd} ${argv.slice(0, 4).join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}
export const git = (cwd, ...a) => sh(cwd, 'git', a);
export const coord = (cwd, a, env, input) => sh(cwd, process.execPath, [CLI, ...a], env, input);
export function timed(fn) {
  const t = performance.now();
  fn();
  return performance.now() - t;
}
export async function timedAsync(fn) {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}
export function coordAsync(cwd, a) {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [CLI, ...a], { cwd, env: ENV, stdio: 'ignore' });
    c.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`git-coord ${a.join(' ')} exited ${code}`))));
  });
}
export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
export const ms = (x) => `${x.toFixed(1)} ms`;
export const node0 = () => timed(() => sh(ROOT, process.execPath, ['-e', '0']));

/**
 * Runs each named function `REPS` times, interleaved (one of each per round), and returns each
 * one's median: ratios taken from one call are measured side by side.
 */
export function interleaved(fns, reps = REPS) {
  const times = Object.fromEntries(Object.keys(fns).map((k) => [k, []]));
  for (let i = 0; i < reps; i++) for (const [k, fn] of Object.entries(fns)) times[k].push(fn(i));
  return Object.fromEntries(Object.entries(times).map(([k, xs]) => [k, median(xs)]));
}

export function repo(name) {
  const dir = mkdtemp(name);
  git(dir, 'init', '-q', '-b', 'main');
  fs.writeFileSync(path.join(dir, 'README.md'), 'bench\n');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'init');
  return dir;
}

/** Holds `n` locks for agent `holder`, `globs` of them globs, spread over directories under held/. */
export function holdLocks(dir, n, globs) {
  const pats = [];
  for (let i = 0; i < n - globs; i++) pats.push(`held/d${i % 100}/f${i}.txt`);
  for (let i = 0; i < globs; i++) pats.push(`held/g${i}/**/*.ts`);
  for (let i = 0; i < pats.length; i += 2000) coord(dir, ['lock', '--agent', 'holder', '--ttl', '1d', ...pats.slice(i, i + 2000)]);
}

export const results = [];
/** A target: `ratio` against its `limit`, printed PASS or MISS with what was measured. */
export function report(name, ratio, limit, detail) {
  const ok = ratio <= limit;
  results.push({ name, ratio, limit, ok });
  console.log(`${ok ? 'PASS' : 'MISS'}  ${name}: ${ratio.toFixed(2)} x (limit ${limit} x)   ${detail}`);
}
/** A pass/fail outcome that is not a ratio (every waiter granted, no retries). */
export function outcome(name, ok, detail) {
  results.push({ name, ok });
  console.log(`${ok ? 'PASS' : 'MISS'}  ${name}: ${detail}`);
}
export const info = (text) => console.log(`INFO  ${text}`);
