// npm run bench: performance targets as ratios measured side by side in one run, since absolute
// times on shared machines mean little. Each figure is a median over interleaved repetitions.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.join(ROOT, 'dist', 'cli.js');
const REPS = Number(process.env.BENCH_REPS ?? 15);
const ENV = {
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GIT_'))),
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_AUTHOR_NAME: 'Bench',
  GIT_AUTHOR_EMAIL: 'bench@example.com',
  GIT_COMMITTER_NAME: 'Bench',
  GIT_COMMITTER_EMAIL: 'bench@example.com',
};

function sh(cwd, cmd, args, env = {}) {
  const r = spawnSync(cmd, args, { cwd, env: { ...ENV, ...env }, encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.slice(0, 4).join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}
const git = (cwd, ...args) => sh(cwd, 'git', args);
const coord = (cwd, args, env) => sh(cwd, process.execPath, [CLI, ...args], env);
function timed(fn) {
  const t = performance.now();
  fn();
  return performance.now() - t;
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (x) => `${x.toFixed(1)} ms`;

function repo(name) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `git-coord-bench-${name}-`));
  git(dir, 'init', '-q', '-b', 'main');
  fs.writeFileSync(path.join(dir, 'README.md'), 'bench\n');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'init');
  return dir;
}

/** Holds `n` locks for agent `holder`, `globs` of them globs, spread over directories. */
function holdLocks(dir, n, globs) {
  const pats = [];
  for (let i = 0; i < n - globs; i++) pats.push(`held/d${i % 100}/f${i}.txt`);
  for (let i = 0; i < globs; i++) pats.push(`held/g${i}/**/*.ts`);
  for (let i = 0; i < pats.length; i += 2000) coord(dir, ['lock', '--agent', 'holder', '--ttl', '1d', ...pats.slice(i, i + 2000)]);
}

const results = [];
function report(name, ratio, limit, detail) {
  results.push({ name, ratio, limit, ok: ratio <= limit });
  console.log(`${ratio <= limit ? 'PASS' : 'FAIL'}  ${name}: ${ratio.toFixed(2)} x (target <= ${limit})   ${detail}`);
}

const node0 = () => timed(() => sh(ROOT, process.execPath, ['-e', '0']));

// 1. Hooks added to one commit of 1,000 staged files while another agent holds 1,000 locks (100 globs).
{
  const dir = repo('hook');
  const files = Array.from({ length: 1000 }, (_, i) => `work/d${i % 20}/f${i}.txt`);
  for (const f of files) {
    fs.mkdirSync(path.join(dir, path.dirname(f)), { recursive: true });
    fs.writeFileSync(path.join(dir, f), '0\n');
  }
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'files');
  holdLocks(dir, 1000, 100);
  coord(dir, ['install-hooks']);
  const hooksDir = path.join(dir, '.git', 'hooks');
  const emptyHooks = fs.mkdtempSync(path.join(os.tmpdir(), 'git-coord-bench-nohooks-'));
  let gen = 0;
  const commitOnce = (withHooks) => {
    gen++;
    for (const f of files) fs.writeFileSync(path.join(dir, f), `${gen}\n`);
    git(dir, 'add', '-A');
    const args = withHooks ? ['commit', '-q', '-m', `c${gen}`] : ['-c', `core.hooksPath=${emptyHooks}`, 'commit', '-q', '-m', `c${gen}`];
    return timed(() => sh(dir, 'git', args, { GIT_COORD_AGENT: 'committer' }));
  };
  const withH = [];
  const without = [];
  const base = [];
  commitOnce(true);
  for (let i = 0; i < REPS; i++) {
    withH.push(commitOnce(true));
    without.push(commitOnce(false));
    base.push(node0());
  }
  const added = median(withH) - median(without);
  report('hooks added to a 1,000-file commit, 1,000 locks held', added / median(base), 2.0,
    `commit ${ms(median(without))} -> ${ms(median(withH))} (+${ms(added)}); node -e 0 ${ms(median(base))}; hooks dir ${hooksDir}`);
}

// 2. One `git-coord lock` from the command line, against `node -e 0`.
{
  const dir = repo('lock');
  holdLocks(dir, 10, 0);
  const lock = [];
  const base = [];
  for (let i = 0; i < REPS; i++) {
    lock.push(timed(() => coord(dir, ['lock', '--agent', 'me', `new/x${i}.txt`])));
    base.push(node0());
    coord(dir, ['unlock', '--agent', 'me', `new/x${i}.txt`]);
  }
  report('one `git-coord lock` vs `node -e 0`', median(lock) / median(base), 2.0, `lock ${ms(median(lock))}; node -e 0 ${ms(median(base))}`);

  // 3. The same lock with 10,000 locks held, against 10 held.
  const big = repo('lock10k');
  const t = timed(() => holdLocks(big, 10000, 0));
  const small = [];
  const large = [];
  for (let i = 0; i < REPS; i++) {
    small.push(timed(() => coord(dir, ['lock', '--agent', 'me', `new/y${i}.txt`])));
    large.push(timed(() => coord(big, ['lock', '--agent', 'me', `new/y${i}.txt`])));
    coord(dir, ['unlock', '--agent', 'me', `new/y${i}.txt`]);
    coord(big, ['unlock', '--agent', 'me', `new/y${i}.txt`]);
  }
  report('one lock with 10,000 held vs 10 held', median(large) / median(small), 1.5,
    `10 held ${ms(median(small))}; 10,000 held ${ms(median(large))} (setting up 10,000 took ${(t / 1000).toFixed(1)} s)`);
}

const failed = results.filter((r) => !r.ok);
console.log(failed.length === 0 ? `\nall ${results.length} targets met` : `\n${failed.length} of ${results.length} targets missed`);
process.exitCode = failed.length === 0 ? 0 : 1;
