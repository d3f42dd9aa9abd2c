// npm run bench: performance targets as ratios measured side by side in one run, since absolute
// times on shared machines mean little. Each figure is a median over interleaved repetitions.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GIT_ENV as ENV } from '../scripts/git-env.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.join(ROOT, 'dist', 'cli.js');
const REPS = Number(process.env.BENCH_REPS ?? 15);
// BENCH_ONLY=contention,remote runs only those sections (hooks, lock, remote, contention).
const only = process.env.BENCH_ONLY?.split(',');
const want = (section) => !only || only.includes(section);
// Every temporary directory the run makes, removed at the end.
const made = [];
const mkdtemp = (name) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `git-coord-bench-${name}-`));
  made.push(dir);
  return dir;
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
async function timedAsync(fn) {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}
function coordAsync(cwd, args) {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [CLI, ...args], { cwd, env: ENV, stdio: 'ignore' });
    c.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`git-coord ${args.join(' ')} exited ${code}`))));
  });
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (x) => `${x.toFixed(1)} ms`;

function repo(name) {
  const dir = mkdtemp(name);
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
if (want('hooks')) {
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
  const emptyHooks = mkdtemp('nohooks');
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
if (want('lock')) {
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

// 4-7. Agents in separate clones, through a file:// bare remote.
if (want('remote')) {
  const { Coord, Locks } = await import('../dist/index.js');
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

// 8. Liveness under contention: grants per second when 8 agents loop over overlapping patterns
// with `lock --wait`, against one agent alone doing the same cycles; and every waiter granted.
// Work is bounded by a count of grants, never by a time window.
if (want('contention')) {
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
    console.log(
      `${starved.length === 0 ? 'PASS' : 'FAIL'}  ${label}: 8 agents, overlapping patterns, ${total} grants: ` +
        `${((total / together) * 1000).toFixed(2)} grants/s contended vs ${((total / alone) * 1000).toFixed(2)} alone: ratio ${ratio.toFixed(2)}; ` +
        `every waiter granted: ${starved.length === 0 ? 'yes' : `no, ${starved.length} failed: ${starved[0].err.trim().split('\n')[0]}`}; ` +
        `wait for a grant median ${ms(median(waits))}, max ${ms(waits[waits.length - 1] ?? 0)}`,
    );
    results.push({ name: `${label} contention`, ratio, limit: Infinity, ok: starved.length === 0 });
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

// 9-10. Agents: a lock through a running MCP server, and Claude Code's edit hook.
if (want('agents')) {
  const { Client } = await import('@modelcontextprotocol/client');
  const { StdioClientTransport } = await import('@modelcontextprotocol/client/stdio');
  const dir = repo('mcp');
  holdLocks(dir, 10, 0);
  const client = new Client({ name: 'bench', version: '1' });
  await client.connect(new StdioClientTransport({ command: process.execPath, args: [CLI, 'mcp'], cwd: dir, env: { ...ENV, GIT_COORD_AGENT: 'mcp' } }));
  const call = async (name, args) => {
    const r = await client.callTool({ name, arguments: args });
    if (r.isError) throw new Error(`${name} failed: ${r.content[0].text}`);
  };
  await call('lock', { patterns: ['warm-up.txt'] });
  const head = git(dir, 'rev-parse', 'HEAD').trim();
  const zero = '0'.repeat(head.length);
  const viaMcp = [];
  const raw = [];
  for (let i = 0; i < REPS * 2; i++) {
    viaMcp.push(await timedAsync(() => call('lock', { patterns: [`mcp/x${i}.txt`] })));
    raw.push(timed(() => git(dir, 'update-ref', `refs/bench/cas${i}`, head, zero)));
    await call('unlock', { patterns: [`mcp/x${i}.txt`] });
  }
  await client.close();
  report('one lock through a running `git-coord mcp` (call to answer) vs one raw compare-and-swap `git update-ref`', median(viaMcp) / median(raw), 5.0,
    `MCP lock ${ms(median(viaMcp))}; git update-ref <ref> <new> <zero> ${ms(median(raw))}`);

  // Claude Code's PreToolUse hook on an Edit of a file another agent holds (denied) and of a free one.
  const event = (file) => JSON.stringify({ session_id: 'bench', hook_event_name: 'PreToolUse', cwd: dir, tool_name: 'Edit', tool_input: { file_path: path.join(dir, file), old_string: 'a', new_string: 'b' } });
  const hook = (file) => {
    const r = spawnSync(process.execPath, [CLI, 'hook', 'claude'], { cwd: dir, env: { ...ENV, GIT_COORD_AGENT: 'editor' }, input: event(file), encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`hook claude exited ${r.status}: ${r.stderr}`);
    return r.stdout;
  };
  if (!hook('held/d1/f1.txt').includes('"deny"') || hook('free.txt') !== '') throw new Error('hook claude did not answer as expected');
  const denied = [];
  const free = [];
  const base = [];
  for (let i = 0; i < REPS; i++) {
    denied.push(timed(() => hook('held/d1/f1.txt')));
    free.push(timed(() => hook('free.txt')));
    base.push(node0());
  }
  const worst = Math.max(median(denied), median(free));
  report('`git-coord hook claude` on a PreToolUse event vs `node -e 0`', worst / median(base), 2.0,
    `denied (held by another agent) ${ms(median(denied))}; allowed ${ms(median(free))}; node -e 0 ${ms(median(base))}`);
}

for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
const failed = results.filter((r) => !r.ok);
console.log(failed.length === 0 ? `\nall ${results.length} targets met` : `\n${failed.length} of ${results.length} targets missed`);
process.exitCode = failed.length === 0 ? 0 : 1;
