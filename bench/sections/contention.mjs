// Liveness under contention: grants per second when 8 agents loop over overlapping patterns with
// `lock --wait`, against one agent alone doing the same cycles; and every waiter granted. Work is
// bounded by a count of grants, never by a time window.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { CLI, ENV, REPS, sh, git, coord, coordAsync, repo, mkdtemp, timed, timedAsync, median, ms, report, outcome, info, results, holdLocks, scale } from '../lib.mjs';

export default async function contention() {
  const CYCLES = Number(process.env.BENCH_CYCLES ?? 3);
  // Every pattern matches shared/a.ts: any two overlap, so at most one is held at a time.
  const patterns = ['shared/', 'shared/a.ts', 'shared/**/*.ts', 'shared/*.ts', 'shared/a.ts', 'shared/**', 'shared/', 'shared/{a,b}.ts'];
  const worker = `
    const { execFileSync } = require('node:child_process');
    const [cli, agent, pattern, cycles] = process.argv.slice(1);
    const run = (...a) => execFileSync(process.execPath, [cli, ...a, '--agent', agent], { stdio: 'pipe' });
    const waits = [];
    for (let i = 0; i < Number(cycles); i++) {
      const t = performance.now();
      run('lock', pattern, '--wait', '10m', '--ttl', '10m');
      waits.push(performance.now() - t);
      run('unlock', pattern);
    }
    process.stdout.write(JSON.stringify(waits));`;
  const runWorker = (cwd, agent, pattern, cycles) =>
    new Promise((resolve) => {
      const c = spawn(process.execPath, ['-e', worker, CLI, agent, pattern, String(cycles)], { cwd, env: ENV });
      let out = '';
      let err = '';
      c.stdout.on('data', (d) => (out += d));
      c.stderr.on('data', (d) => (err += d));
      c.on('close', (code) => resolve({ code, waits: code === 0 ? JSON.parse(out) : [], err }));
    });
  const contention = async (label, dirs) => {
    const total = CYCLES * patterns.length;
    // One agent alone, the same number of lock --wait/unlock cycles.
    const alone = await timedAsync(() => runWorker(dirs[0], 'solo', 'shared/', total));
    let runs;
    const together = await timedAsync(async () => {
      runs = await Promise.all(patterns.map((p, i) => runWorker(dirs[i % dirs.length], `w${i}`, p, CYCLES)));
    });
    const starved = runs.filter((r) => r.code !== 0);
    const waits = runs.flatMap((r) => r.waits).sort((a, b) => a - b);
    const ratio = total / together / (total / alone);
    outcome(`${label}`, starved.length === 0,
      `8 agents, overlapping patterns, ${total} grants: ` +
        `${((total / together) * 1000).toFixed(2)} grants/s contended vs ${((total / alone) * 1000).toFixed(2)} alone: ratio ${ratio.toFixed(2)}; ` +
        `every waiter granted: ${starved.length === 0 ? 'yes' : `no, ${starved.length} failed: ${starved[0].err.trim().split('\n')[0]}`}; ` +
        `wait for a grant median ${ms(median(waits))}, max ${ms(waits[waits.length - 1] ?? 0)}`,
    );
  };
  await contention('contention, one repository', [repo('contend')]);
  const root = mkdtemp('contend-remote');
  const hub = path.join(root, 'hub.git');
  git(root, 'init', '-q', '--bare', '-b', 'main', hub);
  const seed = repo('contend-seed');
  fs.writeFileSync(path.join(seed, '.git-coord.yml'), 'remote: origin\n');
  git(seed, 'add', '-A');
  git(seed, 'commit', '-q', '-m', 'config');
  git(seed, 'push', '-q', hub, 'main');
  const clones = patterns.map((_, i) => {
    const dir = path.join(root, `c${i}`);
    git(root, 'clone', '-q', `file://${hub}`, dir);
    return dir;
  });
  await contention('contention through a file:// remote', clones);
}
