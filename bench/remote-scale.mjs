// Bounded state through a shared remote (issue 17): what git-coord costs against a forge after
// months of work, against a fresh board, in one run, through smart HTTP (test/http-backend.mjs on
// 127.0.0.1, passing Git-Protocol as forges do, so fetches speak protocol v2).
//
// The big board is made by the PRODUCT'S OWN CODE, whatever its ref layout: the library, in
// process, in a local non-bare repository (a CLI process per record would take hours), with a
// clock (`Coord.open({ now })`) running over the past month:
// - `tasks` finished tasks by `agents` agents over the 30 days before the last week. By default
//   each agent imports its own share as done (`task import` with `status: done`, chunks of 200):
//   about 5 ms a task here. `--build=loop` adds, claims and finishes each task instead (three
//   compare-and-swaps a task, the full history of each): about 110 ms a task on 2 loaded cores,
//   55 min for 30,000, which a bench cannot afford every run.
// - `messages` @all messages sent by the same agents, spread over the last 7 days.
// After every write the builder runs the upkeep the CLI runs after a command that writes
// (src/operations/upkeep.ts: the small prune step and packing loose objects). Then it pushes
// refs/coordination/* to the bare hub the HTTP server serves, and packs the hub as a forge would.
//
// The library is dist/index.js (its `operations.upkeep` is the CLI's upkeep; a build without it:
// bundled from src/ at the start of the run). Everything timed runs the CLI (`opts.cli`,
// dist/cli.js by default).
//
// As a section of `npm run bench` (bench/run.mjs: `--only remote-scale [--quick]`) it prints each
// target of issue 17 as measured against its limit. Alone:
//   node bench/remote-scale.mjs [--quick] [--build=loop] [--tasks=N] [--messages=N] [--reps=N]
//     [--churn=N] [--cycles=N] [--pairs=N] [--clones=N] [--rounds=N] [--sections=a,b] [--cli=path]
// prints the same, then the figures as JSON.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ENV, QUICK, ROOT, cleanup, mkdtemp, report, outcome, info } from './lib.mjs';

export const DEFAULTS = {
  tasks: 30_000,
  messages: 10_000,
  agents: 50,
  /** how the finished tasks are made: 'import' (each agent imports its own as done) or 'loop' (add, claim, done) */
  build: 'import',
  reps: 5,
  /** refs on the remote after this many tasks finished and @all messages sent and acknowledged */
  churn: 300,
  /** loose objects after this many claim/done cycles and send/ack pairs */
  cycles: 2_000,
  pairs: 5_000,
  /** one directory, this many clones locking and unlocking their own file, `rounds` times each */
  clones: 20,
  rounds: 10,
  cli: path.join(ROOT, 'dist', 'cli.js'),
  /** which parts to run: sync (a first sync of the big board), ops (big vs fresh), churn, loose, samedir */
  sections: ['sync', 'ops', 'churn', 'loose', 'samedir'],
  log: (line) => process.stdout.write(`${line}\n`),
};
/** --quick: a tenth of the state, fewer repetitions (figures not comparable with the full run). */
export const QUICK_SCALES = { tasks: 3_000, messages: 1_000, churn: 30, cycles: 200, pairs: 500, clones: 8, rounds: 3, reps: 3 };

const DAY = 24 * 3600 * 1000;
const FIRST_SYNC_LIMIT = 5e6;
const LOOSE_LIMIT = 100 * 2 ** 20;

/** bench/run.mjs's section: the figures, and each target printed PASS or MISS. */
export default async function section() {
  await run(QUICK ? QUICK_SCALES : {});
}

export async function run(options = {}) {
  const o = { ...DEFAULTS, ...options };
  // lib.mjs's temporary directories: removed at the end, also when bench/run.mjs is interrupted.
  const tmp = (name) => mkdtemp(`rscale-${name}`);
  const sh = (cwd, cmd, args, extra = {}, input) => {
    const r = spawnSync(cmd, args, { cwd, env: { ...ENV, ...extra }, encoding: 'utf8', maxBuffer: 1 << 28, input });
    if (r.status !== 0) throw new Error(`${cmd} ${args.slice(0, 5).join(' ')} failed (${r.status}): ${r.stderr}`);
    return r;
  };
  const git = (cwd, ...args) => sh(cwd, 'git', args).stdout;
  const coord = (cwd, args, extra = {}, input) => sh(cwd, process.execPath, [o.cli, ...args], extra, input);
  const figures = { scales: { tasks: o.tasks, messages: o.messages, agents: o.agents, build: o.build } };
  const servers = [];
  try {
    const lib = await library(tmp('lib'));

    // --- Two remotes behind one smart-HTTP server: a fresh board and a big one.
    const root = tmp('hubs');
    const logFile = path.join(root, 'http.log');
    const hub = (name) => {
      const dir = path.join(root, `${name}.git`);
      git(root, 'init', '-q', '--bare', '-b', 'main', dir);
      git(dir, 'config', 'http.receivepack', 'true');
      const seed = path.join(root, `${name}-seed`);
      git(root, 'init', '-q', '-b', 'main', seed);
      // A sync of the big board before phase 2 took 18-21 s on an idle machine: room for a busy one.
      fs.writeFileSync(path.join(seed, '.git-coord.yml'), 'remote: origin\ntimeout: 300s\n');
      fs.mkdirSync(path.join(seed, 'src', 'shared'), { recursive: true });
      fs.writeFileSync(path.join(seed, 'README.md'), 'bench\n');
      git(seed, 'add', '-A');
      git(seed, 'commit', '-q', '-m', 'init');
      git(seed, 'push', '-q', dir, 'main');
      return dir;
    };
    const fresh = hub('fresh');
    const big = hub('big');
    // The fair baseline: the same agents at work (each has joined: presence and journal), nothing
    // finished, nothing sent. What grows with the agents is live state; the targets are about what
    // grows with the work. The empty board is measured beside it.
    const team = hub('team');
    const server = spawn(process.execPath, [path.join(ROOT, 'test', 'http-backend.mjs'), root, '3600000'], {
      env: { ...ENV, HTTP_BACKEND_LOG: logFile },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    servers.push(server);
    const port = await new Promise((res) => server.stdout.once('data', (d) => res(Number(String(d).trim()))));
    const url = (name) => `http://127.0.0.1:${port}/${name}.git`;
    const bytes = () => {
      let sum = 0;
      for (const l of fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8').split('\n') : []) {
        const [, , i, out] = l.split(' ');
        if (out) sum += Number(i) + Number(out);
      }
      return sum;
    };
    const measured = (fn) => {
      const b0 = bytes();
      const ms = timed(fn);
      return { ms, bytes: bytes() - b0 };
    };
    const clone = (name, agent) => {
      const dir = path.join(tmp('clone'), agent);
      git(os.tmpdir(), 'clone', '-q', url(name), dir);
      coord(dir, ['whoami', '--set', agent]);
      return dir;
    };

    const needBig = o.sections.includes('sync') || o.sections.includes('ops');
    if (needBig) {
      const t0 = performance.now();
      const built = await bigState(lib, tmp('build'), big, o, git);
      // A forge keeps its repositories packed.
      git(big, 'repack', '-a', '-d', '-q');
      figures.build = { ...built, seconds: (performance.now() - t0) / 1000, refsOnRemote: countRefs(git, big) };
      await teamState(lib, tmp('team-build'), team, o, git);
      git(team, 'repack', '-a', '-d', '-q');
      figures.build.refsOnTeam = countRefs(git, team);
      o.log(`big board made by the library (${o.build}): ${o.tasks} finished tasks in ${built.taskSeconds.toFixed(0)} s, ${o.messages} @all messages in ${built.messageSeconds.toFixed(0)} s; ${figures.build.refsOnRemote} refs on the remote (the same ${o.agents} agents with nothing done: ${figures.build.refsOnTeam})`);
    }

    // --- A newcomer's first sync of the big board.
    if (needBig) {
      const newcomer = clone('big', 'newcomer');
      const first = measured(() => coord(newcomer, ['sync']));
      figures.firstSync = { bytes: first.bytes, ms: first.ms, looseRefs: looseRefs(newcomer) };
      outcome("a new clone's first sync", first.bytes < FIRST_SYNC_LIMIT, `${mb(first.bytes)} (limit ${mb(FIRST_SYNC_LIMIT)}), ${(first.ms / 1000).toFixed(1)} s, ${figures.firstSync.looseRefs} loose refs left in the clone`);

      // --- Refs a decision read receives (protocol v2 trace).
      const traceFile = path.join(root, 'trace');
      fs.rmSync(traceFile, { force: true });
      coord(newcomer, ['lock', 'src/x.ts'], { GIT_TRACE_PACKET: traceFile });
      const trace = fs.readFileSync(traceFile, 'utf8');
      figures.refsReceivedByLock = (trace.match(/fetch< [0-9a-f]{40} refs\//g) ?? []).length;
      coord(newcomer, ['unlock', 'src/x.ts']);
      info(`refs a lock's reads received (protocol v2 trace): ${figures.refsReceivedByLock}`);
    }

    // --- lock, send, claim --next, task done; bytes per lock; a user's push and fetch.
    if (o.sections.includes('ops')) figures.ops = ops(o, { clone, coord, git, measured });

    // --- Refs on the remote after `churn` tasks finished and @all messages sent and acknowledged.
    if (o.sections.includes('churn')) {
      const a = clone('fresh', 'churner');
      const r = clone('fresh', 'reader');
      coord(a, ['sync']);
      coord(r, ['sync']);
      // Both agents already at work (their own refs made: what grows with agents, not work):
      // one task finished and one @all sent and acknowledged before the count.
      const churn = (n) => {
        coord(a, ['task', 'import', '-'], {}, lines(n, (i) => ({ title: `churn ${i}` })));
        for (let i = 0; i < n; i++) {
          const id = JSON.parse(coord(a, ['claim', '--next', '--json']).stdout).id;
          coord(a, ['task', 'done', id]);
          coord(a, ['send', '@all', `churn ${i}`]);
        }
        coord(r, ['ack', '--all']);
      };
      churn(1);
      const before = countRefs(git, fresh);
      churn(o.churn);
      const after = countRefs(git, fresh);
      figures.churn = { before, after };
      report(`refs on the remote after ${o.churn} tasks finished and ${o.churn} @all sent and acked`, after / before, 1.2, `${before} -> ${after} refs`);
    }

    // --- Loose objects after claim/done cycles and send/ack pairs, in process, with upkeep.
    if (o.sections.includes('loose')) {
      const l = await loose(lib, tmp('loose'), o, git);
      figures.loose = l;
      outcome(
        `loose objects after ${o.cycles} claim/done and ${o.pairs} send/ack`,
        // Judged on the most seen, not only where the last packing happened to leave it.
        Math.max(l.loose.bytes, l.peak.bytes) < LOOSE_LIMIT,
        `at the end ${l.loose.count} loose objects, ${mb(l.loose.bytes)} on disk (limit ${mb(LOOSE_LIMIT)}); the most between packings ${l.peak.count}, ${mb(l.peak.bytes)}; packs ${mb(l.packBytes)} in ${l.packs}; upkeep packed ${l.packings} times; ${l.seconds.toFixed(0)} s`,
      );
    }

    // --- Clones locking and unlocking their own files in one directory: lost rounds.
    if (o.sections.includes('samedir')) {
      const dirs = Array.from({ length: o.clones }, (_, i) => clone('fresh', `same-dir-${i}`));
      let pushes = 0;
      await Promise.all(
        dirs.map(async (d, i) => {
          for (let k = 0; k < o.rounds; k++) {
            for (const args of [['lock', `src/shared/own-${i}.ts`], ['unlock', `src/shared/own-${i}.ts`]]) {
              const out = await runAsync(process.execPath, [o.cli, ...args], d, { ...ENV, GIT_COORD_TRACE: '1' });
              pushes += (out.match(/git push /g) ?? []).length;
            }
          }
        }),
      );
      // A lock is two pushes (pending, grant) and an unlock one, when no round is lost.
      figures.sameDirLostRounds = pushes - o.clones * o.rounds * 3;
      outcome(`${o.clones} clones locking and unlocking their own files in one directory`, figures.sameDirLostRounds === 0, `${figures.sameDirLostRounds} lost rounds in ${o.clones * o.rounds * 2} commands`);
    }
    return figures;
  } finally {
    for (const s of servers) s.stdin.end();
    cleanup();
  }
}

/**
 * lock, send, claim --next, task done, a user's git push and fetch: the big board against the
 * same team with nothing done (the target's baseline) and against an empty board, interleaved.
 */
function ops(o, { clone, coord, git, measured }) {
  const boards = {};
  const NAMES = ['fresh', 'team', 'big'];
  for (const name of NAMES) {
    const dir = clone(name, `worker-${name}`);
    coord(dir, ['sync']);
    coord(dir, ['task', 'import', '-'], {}, lines(o.reps, (i) => ({ title: `bench task ${i}` })));
    git(dir, 'checkout', '-q', '-b', `work-${name}`);
    boards[name] = { dir, lock: [], send: [], claim: [], done: [], lockBytes: [], push: [], fetch: [] };
  }
  for (let i = 0; i < o.reps; i++) {
    for (const name of NAMES) {
      const b = boards[name];
      const l = measured(() => coord(b.dir, ['lock', `src/shared/f${i}.ts`]));
      b.lock.push(l.ms);
      b.lockBytes.push(l.bytes);
      coord(b.dir, ['unlock', `src/shared/f${i}.ts`]);
      b.send.push(timed(() => coord(b.dir, ['send', '@all', `bench broadcast ${i}`])));
      let id;
      b.claim.push(timed(() => (id = JSON.parse(coord(b.dir, ['claim', '--next', '--json']).stdout).id)));
      b.done.push(timed(() => coord(b.dir, ['task', 'done', id])));
      fs.writeFileSync(path.join(b.dir, `f${i}.txt`), `${i}\n`);
      git(b.dir, 'add', '-A');
      git(b.dir, 'commit', '-q', '--no-verify', '-m', `c${i}`);
      b.push.push(timed(() => git(b.dir, 'push', '-q', '--no-verify', 'origin', `HEAD:refs/heads/work-${name}`)));
      b.fetch.push(timed(() => git(b.dir, 'fetch', '-q', 'origin')));
      o.log(`  ${name} #${i}: lock ${b.lock.at(-1).toFixed(0)} ms (${kb(b.lockBytes.at(-1))}), send ${b.send.at(-1).toFixed(0)}, claim --next ${b.claim.at(-1).toFixed(0)}, done ${b.done.at(-1).toFixed(0)}, git push ${b.push.at(-1).toFixed(0)}, git fetch ${b.fetch.at(-1).toFixed(0)} ms`);
    }
  }
  const med = (name, key) => median(boards[name][key]);
  const figures = {};
  const names = { lock: 'lock', send: 'send', claim: 'claim --next', done: 'task done', push: "a user's git push", fetch: "a user's git fetch" };
  for (const [key, label] of Object.entries(names)) {
    const [f, t, b] = [med('fresh', key), med('team', key), med('big', key)];
    figures[key] = { fresh: f, team: t, big: b };
    const limit = key === 'push' || key === 'fetch' ? 1.2 : 1.3;
    report(`${label}, big board vs the same team with nothing done`, b / t, limit, `${b.toFixed(0)} vs ${t.toFixed(0)} ms (medians of ${o.reps})`);
    info(`${label}, big board vs an empty board: ${(b / f).toFixed(2)} x (${b.toFixed(0)} vs ${f.toFixed(0)} ms)`);
  }
  const [f, t, b] = [med('fresh', 'lockBytes'), med('team', 'lockBytes'), med('big', 'lockBytes')];
  figures.lockBytes = { fresh: f, team: t, big: b };
  report('bytes per lock, big board vs the same team with nothing done', b / t, 2, `${kb(b)} vs ${kb(t)}`);
  info(`bytes per lock, big board vs an empty board: ${(b / f).toFixed(2)} x (${kb(b)} vs ${kb(f)})`);
  return figures;
}

/** The same agents as the big board's, each having joined (a heartbeat: presence and journal), pushed to `hub`. */
async function teamState(lib, dir, hub, o, git) {
  const { Coord, operations } = lib;
  git(dir, 'init', '-q', '-b', 'main');
  for (let i = 0; i < o.agents; i++) {
    const ctx = await Coord.open({ cwd: dir, agent: `ag${i}`, writes: true });
    try {
      await operations.agents.heartbeat(ctx, {});
    } finally {
      ctx.close();
    }
  }
  git(dir, 'push', '-q', hub, 'refs/coordination/*:refs/coordination/*');
}

/**
 * The big board, made by the library in the local repository `dir` (see the top of this file),
 * then pushed to the bare repository `hub`.
 */
async function bigState(lib, dir, hub, o, git) {
  const { Coord, operations, upkeep } = lib;
  git(dir, 'init', '-q', '-b', 'main');
  const now = Date.now();
  let clock = now - 37 * DAY;
  const sessions = new Map();
  const session = async (agent) => {
    if (!sessions.has(agent)) sessions.set(agent, await Coord.open({ cwd: dir, agent, now: () => clock, writes: true }));
    return sessions.get(agent);
  };
  // What the CLI does after a command that writes.
  const write = async (agent, fn) => {
    const ctx = await session(agent);
    const r = await fn(ctx);
    await upkeep(ctx);
    return r;
  };
  const agents = Array.from({ length: o.agents }, (_, i) => `ag${i}`);
  try {
    // Finished tasks, over the 30 days before the last week.
    const t0 = performance.now();
    const progress = (done, what) => o.log(`  ${done} ${what} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
    if (o.build === 'loop') {
      const step = (30 * DAY) / o.tasks / 3;
      for (let i = 0; i < o.tasks; i++) {
        const agent = agents[i % agents.length];
        const t = await write(agent, (c) => operations.tasks.addTask(c, { title: `Finished task number ${i} of the bench's big board` }));
        clock += step;
        await write(agent, (c) => operations.tasks.claim(c, { id: t.id }));
        clock += step;
        await write(agent, (c) => operations.tasks.doneTask(c, { id: t.id, note: 'finished' }));
        clock += step;
        if ((i + 1) % Math.max(1, Math.round(o.tasks / 10)) === 0) progress(i + 1, 'tasks added, claimed and done');
      }
    } else {
      const CHUNK = 200;
      const share = Math.ceil(o.tasks / agents.length);
      const chunks = Math.ceil(share / CHUNK);
      const step = (30 * DAY) / (chunks * agents.length);
      let made = 0;
      for (let k = 0; k < chunks; k++) {
        for (const agent of agents) {
          const n = Math.min(CHUNK, share - k * CHUNK, o.tasks - made);
          if (n <= 0) continue;
          const text = lines(n, (i) => ({ title: `Finished task number ${k * CHUNK + i} of ${agent} on the bench's big board`, status: 'done', note: 'finished' }));
          await write(agent, (c) => operations.tasks.importTasks(c, { text }));
          made += n;
          clock += step;
        }
        progress(made, 'finished tasks imported');
      }
    }
    const taskSeconds = (performance.now() - t0) / 1000;
    // @all messages, spread over the last 7 days.
    const t1 = performance.now();
    clock = now - 7 * DAY + 60_000;
    const gap = (7 * DAY - 120_000) / o.messages;
    for (let i = 0; i < o.messages; i++) {
      await write(agents[i % agents.length], (c) => operations.messages.send(c, { to: '@all', text: `broadcast ${i}: the schema of the users table changes tomorrow` }));
      clock += gap;
      if ((i + 1) % Math.max(1, Math.round(o.messages / 5)) === 0) o.log(`  ${i + 1} @all messages sent (${((performance.now() - t1) / 1000).toFixed(0)} s)`);
    }
    const messageSeconds = (performance.now() - t1) / 1000;
    git(dir, 'push', '-q', hub, 'refs/coordination/*:refs/coordination/*');
    return { taskSeconds, messageSeconds, refsBuilt: countRefs(git, dir) };
  } finally {
    for (const s of sessions.values()) s.close();
  }
}

/**
 * Loose objects after `cycles` claim/done cycles and `pairs` send/ack pairs, each a write of the
 * library in process followed by the CLI's upkeep, in one local repository (two agents).
 */
async function loose(lib, dir, o, git) {
  const { Coord, operations, upkeep } = lib;
  git(dir, 'init', '-q', '-b', 'main');
  const t0 = performance.now();
  const open = (agent) => Coord.open({ cwd: dir, agent, writes: true });
  const [a, r] = [await open('cycler'), await open('acker')];
  let packings = 0;
  let writes = 0;
  // The most loose bytes seen between packings (sampled every 50 writes: a scan stats every loose object).
  let peak = { count: 0, bytes: 0 };
  const write = async (ctx, fn) => {
    const out = await fn(ctx);
    if ((await upkeep(ctx)).packed) packings++;
    if (++writes % 50 === 0) {
      const now = looseObjects(dir);
      if (now.bytes > peak.bytes) peak = now;
    }
    return out;
  };
  try {
    for (let k = 0; k < o.cycles; k += 1000) {
      const text = lines(Math.min(1000, o.cycles - k), (i) => ({ title: `cycle ${k + i}` }));
      await write(a, (c) => operations.tasks.importTasks(c, { text }));
    }
    for (let i = 0; i < o.cycles; i++) {
      const t = await write(a, (c) => operations.tasks.claim(c, { next: true }));
      await write(a, (c) => operations.tasks.doneTask(c, { id: t.id }));
    }
    for (let i = 0; i < o.pairs; i++) {
      const m = await write(a, (c) => operations.messages.send(c, { to: 'acker', text: `pair ${i}` }));
      await write(r, (c) => operations.messages.ack(c, { ids: [m.id] }));
    }
  } finally {
    a.close();
    r.close();
  }
  const packDir = path.join(dir, '.git', 'objects', 'pack');
  const packs = fs.readdirSync(packDir).filter((f) => f.endsWith('.pack'));
  const packBytes = packs.reduce((s, f) => s + fs.statSync(path.join(packDir, f)).size, 0);
  return { loose: looseObjects(dir), peak, packs: packs.length, packBytes, packings, seconds: (performance.now() - t0) / 1000 };
}

/**
 * The library: dist/index.js, whose `operations.upkeep` is what the CLI runs after a write. A
 * build without it: the library bundled from src/ into `dir` (esbuild, ~1 s).
 */
async function library(dir) {
  const dist = await import(pathToFileURL(path.join(ROOT, 'dist', 'index.js')).href);
  const ops = dist.operations ?? dist.default?.operations;
  if (ops?.upkeep?.upkeep) return { Coord: dist.Coord ?? dist.default.Coord, operations: ops, upkeep: ops.upkeep.upkeep };
  const { build } = await import('esbuild');
  const out = path.join(dir, 'git-coord-lib.mjs');
  await build({
    stdin: { contents: "export * from './src/index.ts';\nexport { upkeep } from './src/operations/upkeep.ts';\n", resolveDir: ROOT, loader: 'ts' },
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    outfile: out,
    define: { __VERSION__: '"bench"' },
    external: ['@modelcontextprotocol/*', 'zod/v4'],
    banner: { js: "import { createRequire as __bench_require } from 'node:module'; const require = __bench_require(import.meta.url);" },
    logLevel: 'warning',
  });
  return import(pathToFileURL(out).href);
}

function timed(fn) {
  const t = performance.now();
  fn();
  return performance.now() - t;
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const lines = (n, item) => `${Array.from({ length: n }, (_, i) => JSON.stringify(item(i))).join('\n')}\n`;
const countRefs = (git, dir) => git(dir, 'for-each-ref', '--format=x', 'refs/').split('\n').filter(Boolean).length;

function runAsync(cmd, args, cwd, env) {
  return new Promise((resolve) => {
    const c = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    c.stderr.on('data', (d) => (err += d));
    c.on('close', () => resolve(err));
  });
}

function looseRefs(dir) {
  let n = 0;
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) e.isDirectory() ? walk(path.join(d, e.name)) : n++;
  };
  walk(path.join(dir, '.git', 'refs'));
  return n;
}

function looseObjects(dir) {
  let count = 0;
  let bytes = 0;
  const objects = path.join(dir, '.git', 'objects');
  for (const sub of fs.readdirSync(objects)) {
    if (!/^[0-9a-f]{2}$/.test(sub)) continue;
    for (const f of fs.readdirSync(path.join(objects, sub))) {
      count++;
      // On disk: whole blocks.
      bytes += Math.ceil(fs.statSync(path.join(objects, sub, f)).size / 4096) * 4096;
    }
  }
  return { count, bytes };
}

const mb = (b) => `${(b / 1e6).toFixed(2)} MB`;
const kb = (b) => `${(b / 1e3).toFixed(1)} kB`;

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const arg = (name) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  const nums = ['tasks', 'messages', 'agents', 'churn', 'cycles', 'pairs', 'clones', 'rounds', 'reps'].filter((n) => arg(n) !== undefined);
  const opts = {
    ...(QUICK ? QUICK_SCALES : {}),
    ...Object.fromEntries(nums.map((n) => [n, Number(arg(n))])),
    ...(arg('build') ? { build: arg('build') } : {}),
    ...(arg('cli') ? { cli: path.resolve(arg('cli')) } : {}),
    ...(arg('sections') ? { sections: arg('sections').split(',') } : {}),
  };
  if (!['import', 'loop'].includes(opts.build ?? 'import')) throw new Error(`--build=${opts.build}: use import or loop`);
  const load = () => os.loadavg().map((x) => x.toFixed(2)).join(' ');
  console.log(`load average ${load()}`);
  const figures = await run(opts);
  console.log(`load average at the end ${load()}`);
  process.stdout.write(`${JSON.stringify(figures)}\n`);
}
