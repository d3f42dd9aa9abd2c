// Agents in separate clones through a file:// bare remote: one lock vs one raw leased push (3.0 x),
// 8 clones locking at once vs one (2.0 x), and the live refs left after 1,000 lock/unlock cycles.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { CLI, ENV, REPS, sh, git, coord, coordAsync, repo, mkdtemp, timed, timedAsync, median, ms, report, outcome, info, results, holdLocks, scale } from '../lib.mjs';

export default async function remote() {
  const { Coord, Locks } = await import('../../dist/index.js');
  // The library runs git in this process: keep it off the machine's git config, like the CLI runs.
  Object.assign(process.env, { GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' });
  const root = mkdtemp('remote');
  const hub = path.join(root, 'hub.git');
  git(root, 'init', '-q', '--bare', '-b', 'main', hub);
  const seed = repo('seed');
  fs.writeFileSync(path.join(seed, '.git-coord.yml'), 'remote: origin\n');
  git(seed, 'add', '-A');
  git(seed, 'commit', '-q', '-m', 'config');
  git(seed, 'push', '-q', hub, 'main');
  const clones = Array.from({ length: 8 }, (_, i) => {
    const dir = path.join(root, `c${i}`);
    git(root, 'clone', '-q', `file://${hub}`, dir);
    return dir;
  });

  // 4. One lock through the remote vs one raw leased push of one ref to the same remote.
  const ctx = await Coord.open({ cwd: clones[0], agent: 'bench' });
  const locks = new Locks(ctx);
  const lockT = [];
  const pushT = [];
  for (let i = 0; i < REPS; i++) {
    lockT.push(await timedAsync(() => locks.lock([`remote/x${i}.txt`])));
    await locks.unlock([`remote/x${i}.txt`]);
    const oid = sh(clones[0], 'git', ['commit-tree', '-m', `raw ${i}`, sh(clones[0], 'git', ['hash-object', '-t', 'tree', '/dev/null']).trim()]).trim();
    pushT.push(timed(() => sh(clones[0], 'git', ['push', '-q', '--porcelain', '--atomic', `--force-with-lease=refs/bench/raw${i}:`, 'origin', `${oid}:refs/bench/raw${i}`])));
  }
  report('one lock through a file:// remote vs one raw `git push --force-with-lease`', median(lockT) / median(pushT), 3.0,
    `lock ${ms(median(lockT))} (library call: pending push, ls-remote, grant push); raw push ${ms(median(pushT))}`);

  // 5. 8 clones each locking their own path at once vs one clone locking one path.
  const ctxs = await Promise.all(clones.map((c, i) => Coord.open({ cwd: c, agent: `agent${i}` })));
  const one = [];
  const eight = [];
  for (let i = 0; i < REPS; i++) {
    one.push(await timedAsync(() => new Locks(ctxs[0]).lock([`solo/${i}.txt`])));
    eight.push(await timedAsync(() => Promise.all(ctxs.map((c, k) => new Locks(c).lock([`own${k}/${i}.txt`])))));
  }
  report('8 clones locking their own paths at once vs one clone locking one path', median(eight) / median(one), 2.0,
    `8 at once ${ms(median(eight))}; one ${ms(median(one))} (library calls in one process)`);
  // The machine's own floor for the same shape of work: 8 raw pushes at once vs one.
  const rawOne = [];
  const rawEight = [];
  const tree = sh(clones[0], 'git', ['hash-object', '-t', 'tree', '/dev/null']).trim();
  const rawPush = (c, name) =>
    new Promise((resolve, reject) => {
      const oid = sh(c, 'git', ['commit-tree', '-m', name, tree]).trim();
      const p = spawn('git', ['push', '-q', '--porcelain', '--atomic', `--force-with-lease=refs/bench/${name}:`, 'origin', `${oid}:refs/bench/${name}`], { cwd: c, env: ENV, stdio: 'ignore' });
      p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`push ${name} exited ${code}`))));
    });
  for (let i = 0; i < REPS; i++) {
    rawOne.push(await timedAsync(() => rawPush(clones[0], `solo${i}`)));
    rawEight.push(await timedAsync(() => Promise.all(clones.map((c, k) => rawPush(c, `p${k}-${i}`)))));
  }
  console.log(`      (the machine's floor: 8 raw pushes at once vs one take ${(median(rawEight) / median(rawOne)).toFixed(2)} x on ${os.cpus().length} cores: ${ms(median(rawEight))} vs ${ms(median(rawOne))}; the lock's ratio is ${((median(eight) / median(one)) / (median(rawEight) / median(rawOne))).toFixed(2)} x that)`);
  const cliOne = [];
  const cliEight = [];
  for (let i = 0; i < 5; i++) {
    cliOne.push(timed(() => coord(clones[0], ['lock', '--agent', 'cli0', `cli-solo/${i}.txt`])));
    cliEight.push(await timedAsync(() => Promise.all(clones.map((c, k) => coordAsync(c, ['lock', '--agent', `cli${k}`, `cli${k}/${i}.txt`])))));
  }
  console.log(`      (as 8 separate \`git-coord lock\` processes on this ${os.cpus().length}-core machine: ${ms(median(cliEight))} vs one ${ms(median(cliOne))}, ${(median(cliEight) / median(cliOne)).toFixed(2)} x: Node start-up is CPU-bound)`);
  for (const c of ctxs) c.close();

  ctx.close();

  // 6. The live-ref count on a fresh remote after 1,000 lock/unlock cycles of one agent.
  const hub2 = path.join(root, 'hub2.git');
  git(root, 'clone', '-q', '--bare', hub, hub2);
  const c2 = path.join(root, 'cycles');
  git(root, 'clone', '-q', `file://${hub2}`, c2);
  const cctx = await Coord.open({ cwd: c2, agent: 'cycler' });
  const cycler = new Locks(cctx);
  const t0 = performance.now();
  for (let i = 0; i < 1000; i++) {
    await cycler.lock([`cycle/${i}.txt`]);
    await cycler.unlock([`cycle/${i}.txt`]);
  }
  const cycleMs = performance.now() - t0;
  cctx.close();
  const live = git(hub2, 'for-each-ref', '--format=%(refname)', 'refs/coordination/').split('\n').filter(Boolean);
  const count = (prefix) => live.filter((r) => r.startsWith(`refs/coordination/${prefix}/`)).length;
  console.log(`INFO  live refs under refs/coordination/ on the remote after 1,000 lock/unlock cycles: ${count('journal')} journal + ${count('tokens')} token mark + ${count('locks')} lock (${(cycleMs / 1000).toFixed(1)} s, ${ms(cycleMs / 1000)} a cycle)`);
}
