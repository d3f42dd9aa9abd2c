// Bounded state through a shared remote (issue 17): what git-coord costs against a forge after
// months of work, against a fresh board, in one run, through smart HTTP (test/http-backend.mjs on
// 127.0.0.1, passing Git-Protocol as forges do, so fetches speak protocol v2).
//
// The big board (finished tasks, live @all messages) is written straight into the remote's
// repository with `git fast-import`, record for record what the product writes: each task's
// add, claim and done records chained on tasks/done/<id>, an add, claim and done entry per task
// on its agent's journal (second parent: the record), each @all message on its sender's chain
// messages/bcast/<agent> (or, with `bcast: 'refs'` for builds before the chains, on
// messages/all/<id>) with a send entry on its sender's journal, and each sender's final outbox index (one version,
// not the chain of every version the product writes: that understates today's first sync).
// The record texts are the product's own (templates taken from a task and a message the CLI
// wrote). Everything else runs the CLI.
//
// `node bench/remote-scale.mjs [--quick]`, or `run(opts)` from bench/run.mjs. Prints a table and
// returns the figures. `opts.cli` runs another build (the before/after of a change).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GIT_ENV } from '../scripts/git-env.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export const DEFAULTS = {
  tasks: 30_000,
  messages: 10_000,
  agents: 50,
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
  /** how the big board holds its @all messages: 'chains' (one per sender), or 'refs' (a ref each: builds before the chains) */
  bcast: 'chains',
  /** which parts to run: sync (first sync, refs received), ops (big vs fresh), churn, loose, samedir */
  sections: ['sync', 'ops', 'churn', 'loose', 'samedir'],
  log: (line) => process.stdout.write(`${line}\n`),
};

export async function run(options = {}) {
  const o = { ...DEFAULTS, ...options };
  const made = [];
  const tmp = (name) => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), `git-coord-rscale-${name}-`));
    made.push(d);
    return d;
  };
  const env = { ...GIT_ENV };
  const sh = (cwd, cmd, args, extra = {}, input) => {
    const r = spawnSync(cmd, args, { cwd, env: { ...env, ...extra }, encoding: 'utf8', maxBuffer: 1 << 28, input });
    if (r.status !== 0) throw new Error(`${cmd} ${args.slice(0, 5).join(' ')} failed (${r.status}): ${r.stderr}`);
    return r;
  };
  const git = (cwd, ...args) => sh(cwd, 'git', args).stdout;
  const coord = (cwd, args, extra = {}, input) => sh(cwd, process.execPath, [o.cli, ...args], extra, input);
  const timed = (fn) => {
    const t = performance.now();
    fn();
    return performance.now() - t;
  };
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const figures = {};
  const servers = [];
  try {
    // --- Two remotes behind one smart-HTTP server: a fresh board and a big one.
    const root = tmp('hubs');
    const logFile = path.join(root, 'http.log');
    const hub = (name) => {
      const dir = path.join(root, `${name}.git`);
      git(root, 'init', '-q', '--bare', '-b', 'main', dir);
      git(dir, 'config', 'http.receivepack', 'true');
      const seed = path.join(root, `${name}-seed`);
      git(root, 'init', '-q', '-b', 'main', seed);
      // A sync of the big board before the change took 18-21 s on an idle machine: room for a busy one.
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
    const t = timed(() => {
      bigState(big, o, sh);
      // A forge keeps its repositories packed.
      git(big, 'repack', '-a', '-d', '-q');
    });
    o.log(`big board written with fast-import: ${o.tasks} finished tasks, ${o.messages} @all messages (${(t / 1000).toFixed(1)} s)`);
    const server = spawn(process.execPath, [path.join(ROOT, 'test', 'http-backend.mjs'), root, '3600000'], {
      env: { ...env, HTTP_BACKEND_LOG: logFile },
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

    // --- A newcomer's first sync of the big board.
    const newcomer = clone('big', 'newcomer');
    const first = measured(() => coord(newcomer, ['sync']));
    figures.firstSyncBytes = first.bytes;
    figures.firstSyncMs = first.ms;
    figures.viewLooseRefs = looseRefs(newcomer);
    o.log(`first sync of the big board: ${mb(first.bytes)}, ${(first.ms / 1000).toFixed(1)} s; loose refs left in the clone: ${figures.viewLooseRefs}`);

    // --- Refs a decision read receives (protocol v2 trace) vs an ls-remote listing.
    const traceFile = path.join(root, 'trace');
    fs.rmSync(traceFile, { force: true });
    coord(newcomer, ['lock', 'src/x.ts'], { GIT_TRACE_PACKET: traceFile });
    const trace = fs.readFileSync(traceFile, 'utf8');
    figures.refsReceivedByLock = (trace.match(/fetch< [0-9a-f]{40} refs\//g) ?? []).length;
    figures.refPrefixLines = (trace.match(/fetch> ref-prefix /g) ?? []).length;
    coord(newcomer, ['unlock', 'src/x.ts']);
    fs.rmSync(traceFile, { force: true });
    sh(newcomer, 'git', ['ls-remote', 'origin', 'refs/coordination/locks/*'], { GIT_TRACE_PACKET: traceFile });
    figures.refsReceivedByLsRemote = (fs.readFileSync(traceFile, 'utf8').match(/[a-z-]+< [0-9a-f]{40} refs\//g) ?? []).length;
    o.log(`refs received: a lock's reads ${figures.refsReceivedByLock} (${figures.refPrefixLines} ref-prefix lines); ls-remote of the locks ${figures.refsReceivedByLsRemote}`);

    // --- lock, send, claim --next, task done; bytes per lock; a user's push and fetch.
    const boards = {};
    if (o.sections.includes('ops')) {
    for (const name of ['fresh', 'big']) {
      const dir = clone(name, `worker-${name}`);
      coord(dir, ['sync']);
      coord(dir, ['task', 'import', '-'], {}, Array.from({ length: o.reps }, (_, i) => JSON.stringify({ title: `bench task ${i}` })).join('\n') + '\n');
      git(dir, 'checkout', '-q', '-b', `work-${name}`);
      boards[name] = { dir, lock: [], send: [], claim: [], done: [], lockBytes: [], push: [], fetch: [] };
    }
    for (let i = 0; i < o.reps; i++) {
      for (const name of ['fresh', 'big']) {
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
    const row = (key) => median(boards.big[key]) / median(boards.fresh[key]);
    figures.ratios = Object.fromEntries(['lock', 'send', 'claim', 'done', 'push', 'fetch'].map((k) => [k, row(k)]));
    figures.bytesPerLock = { fresh: median(boards.fresh.lockBytes), big: median(boards.big.lockBytes) };
    o.log(`big board vs fresh (medians of ${o.reps}): ${Object.entries(figures.ratios).map(([k, v]) => `${k} ${v.toFixed(2)} ×`).join(', ')}`);
    o.log(`bytes per lock: fresh ${kb(figures.bytesPerLock.fresh)}, big ${kb(figures.bytesPerLock.big)} (${(figures.bytesPerLock.big / figures.bytesPerLock.fresh).toFixed(2)} ×)`);
    }

    // --- Refs on the remote after `churn` tasks finished and @all messages sent and acknowledged.
    if (o.sections.includes('churn')) {
      const a = clone('fresh', 'churner');
      const r = clone('fresh', 'reader');
      coord(a, ['sync']);
      const before = git(fresh, 'for-each-ref', '--format=x', 'refs/').split('\n').filter(Boolean).length;
      coord(a, ['task', 'import', '-'], {}, Array.from({ length: o.churn }, (_, i) => JSON.stringify({ title: `churn ${i}` })).join('\n') + '\n');
      for (let i = 0; i < o.churn; i++) {
        const id = JSON.parse(coord(a, ['claim', '--next', '--json']).stdout).id;
        coord(a, ['task', 'done', id]);
        coord(a, ['send', '@all', `churn ${i}`]);
      }
      coord(r, ['ack', '--all']);
      const after = git(fresh, 'for-each-ref', '--format=x', 'refs/').split('\n').filter(Boolean).length;
      figures.refsChurn = { before, after, ratio: after / before };
      o.log(`refs on the remote after ${o.churn} tasks finished and ${o.churn} @all sent and acked: ${before} -> ${after} (${(after / before).toFixed(2)} ×)`);
    }

    // --- Loose objects after claim/done cycles and send/ack pairs (one clone).
    if (o.sections.includes('loose')) {
      const a = clone('fresh', 'cycler');
      const r = clone('fresh', 'acker');
      coord(a, ['sync']);
      coord(a, ['task', 'import', '-'], {}, Array.from({ length: o.cycles }, (_, i) => JSON.stringify({ title: `cycle ${i}` })).join('\n') + '\n');
      const t0 = performance.now();
      for (let i = 0; i < o.cycles; i++) {
        const id = JSON.parse(coord(a, ['claim', '--next', '--json']).stdout).id;
        coord(a, ['task', 'done', id]);
      }
      for (let i = 0; i < o.pairs; i++) {
        const id = JSON.parse(coord(a, ['send', 'acker', `pair ${i}`, '--json']).stdout).id;
        coord(r, ['ack', id]);
      }
      const dirs = [a, r].map((d) => looseObjects(d));
      figures.loose = { cycles: o.cycles, pairs: o.pairs, sender: dirs[0], reader: dirs[1], seconds: (performance.now() - t0) / 1000 };
      o.log(`loose objects after ${o.cycles} claim/done and ${o.pairs} send/ack: sender ${dirs[0].count} objects, ${mb(dirs[0].bytes)}; reader ${dirs[1].count}, ${mb(dirs[1].bytes)}`);
      // `prune` packs what the commands left loose (and removes what expired).
      coord(a, ['prune']);
      coord(r, ['prune']);
      const pruned = [a, r].map((d) => looseObjects(d));
      figures.looseAfterPrune = { sender: pruned[0], reader: pruned[1] };
      o.log(`after prune in each: sender ${pruned[0].count} loose objects, ${mb(pruned[0].bytes)}; reader ${pruned[1].count}, ${mb(pruned[1].bytes)}`);
    }

    // --- Clones locking and unlocking their own files in one directory: lost rounds.
    if (o.sections.includes('samedir')) {
      const dirs = Array.from({ length: o.clones }, (_, i) => clone('fresh', `same-dir-${i}`));
      let pushes = 0;
      await Promise.all(
        dirs.map(async (d, i) => {
          for (let k = 0; k < o.rounds; k++) {
            for (const args of [['lock', `src/shared/own-${i}.ts`], ['unlock', `src/shared/own-${i}.ts`]]) {
              const out = await runAsync(process.execPath, [o.cli, ...args], d, { ...env, GIT_COORD_TRACE: '1' });
              pushes += (out.match(/git push /g) ?? []).length;
            }
          }
        }),
      );
      // A lock is two pushes (pending, grant) and an unlock one, when no round is lost.
      figures.sameDirLostRounds = pushes - o.clones * o.rounds * 3;
      o.log(`${o.clones} clones locking and unlocking their own files in one directory, ${o.rounds} rounds each: ${figures.sameDirLostRounds} lost rounds`);
    }
    return figures;
  } finally {
    for (const s of servers) s.stdin.end();
    for (const d of made) fs.rmSync(d, { recursive: true, force: true });
  }
}

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

/** The big board, written straight into the bare repository `dir` (see the top of this file). */
export function bigState(dir, o, sh) {
  const now = Date.now();
  const agents = Array.from({ length: o.agents }, (_, i) => `ag${i}`);
  const iso = (ms) => new Date(ms).toISOString();
  const out = [];
  let mark = 0;
  const journals = new Map();
  const commit = (ref, agent, ms, subject, record, parents = []) => {
    const m = ++mark;
    const msg = `${subject}\n\n${JSON.stringify(record)}\n`;
    const who = `${agent} <${agent}@git-coord> ${Math.floor(ms / 1000)} +0000`;
    out.push(`commit ${ref}\nmark :${m}\nauthor ${who}\ncommitter ${who}\ndata ${Buffer.byteLength(msg)}\n${msg}`);
    for (const [i, p] of parents.entries()) out.push(`${i === 0 ? 'from' : 'merge'} :${p}\n`);
    out.push('\n');
    return m;
  };
  const journal = (agent, ms, action, subject, recordMark) => {
    const prev = journals.get(agent);
    const ev = { v: 1, type: 'event', at: iso(ms), agent, action, subject };
    const ref = `refs/coordination/journal/${agent}`;
    let m;
    if (prev === undefined) {
      const j = commit(ref, agent, ms, `join ${agent}`, { v: 1, type: 'event', at: iso(ms), agent, action: 'join', subject: agent });
      m = commit(ref, agent, ms, `${action} ${subject}`, ev, [j, recordMark]);
    } else m = commit(ref, agent, ms, `${action} ${subject}`, ev, [prev, recordMark]);
    journals.set(agent, m);
  };
  const span = 30 * 24 * 3600 * 1000;
  for (let i = 0; i < o.tasks; i++) {
    const agent = agents[i % agents.length];
    const id = `t${i.toString(36).padStart(4, '0')}`;
    const t0 = now - span + Math.floor((span * i) / o.tasks);
    const base = {
      v: 1, type: 'task', id, title: `Finished task number ${i} of the bench's big board`, body: '', priority: 2, labels: [], dependsOn: [],
      status: 'open', createdAt: iso(t0), createdBy: agent, claimedBy: null, claimedAt: null, claimExpiresAt: null, claimTtlMs: null,
      locks: [], note: null, reason: null, updatedAt: iso(t0), event: { action: 'add', by: agent, at: iso(t0) },
    };
    const ref = `refs/coordination/tasks/done/${id}`;
    out.push(`reset ${ref}\n\n`);
    const a = commit(ref, agent, t0, `add ${id}`, base);
    journal(agent, t0, 'add', id, a);
    const t1 = t0 + 1000;
    const claimed = { ...base, status: 'claimed', claimedBy: agent, claimedAt: iso(t1), claimExpiresAt: iso(t1 + 3600000), claimTtlMs: 3600000, updatedAt: iso(t1), event: { action: 'claim', by: agent, at: iso(t1) } };
    const c = commit(ref, agent, t1, `claim ${id}`, claimed, [a]);
    journal(agent, t1, 'claim', id, c);
    const t2 = t1 + 600000;
    const done = { ...claimed, status: 'done', claimExpiresAt: null, claimTtlMs: null, note: 'finished', updatedAt: iso(t2), event: { action: 'done', by: agent, at: iso(t2) } };
    const d = commit(ref, agent, t2, `done ${id}`, done, [c]);
    journal(agent, t2, 'done', id, d);
  }
  const week = 7 * 24 * 3600 * 1000;
  const sent = new Map();
  for (let i = 0; i < o.messages; i++) {
    const agent = agents[i % agents.length];
    const ms = now - week + 60_000 + Math.floor(((week - 120_000) * i) / o.messages);
    const id = `m-${ms.toString(36)}-${(i * 2654435761 % 2 ** 48).toString(16).padStart(12, '0')}`;
    const rec = { v: 1, type: 'message', id, from: agent, to: ['@all'], subject: '', body: `broadcast ${i}: the schema of the users table changes tomorrow`, priority: 2, thread: id, replyTo: null, sentAt: iso(ms), expiresAt: iso(ms + week), ack: false };
    let m;
    if (o.bcast === 'refs') {
      // The layout before the chains: a ref per message.
      const ref = `refs/coordination/messages/all/${id}`;
      out.push(`reset ${ref}\n\n`);
      m = commit(ref, agent, ms, `message ${id}`, rec);
    } else {
      // One chain per sender (messages/bcast/<agent>), each message on the one before.
      const ref = `refs/coordination/messages/bcast/${agent}`;
      const prev = sent.get(agent)?.at(-1)?.mark;
      if (prev === undefined) out.push(`reset ${ref}\n\n`);
      m = commit(ref, agent, ms, `message ${id}`, rec, prev === undefined ? [] : [prev]);
    }
    journal(agent, ms, 'send', `${id} to @all`, m);
    if (!sent.has(agent)) sent.set(agent, []);
    sent.get(agent).push({ id, mark: m, ms });
  }
  const marksFile = path.join(dir, 'bench-marks');
  sh(dir, 'git', ['fast-import', '--quiet', `--export-marks=${marksFile}`, '--done'], {}, out.join('') + 'done\n');
  // The outboxes name their messages' commit ids: a second pass, with the ids now known.
  const ids = new Map(fs.readFileSync(marksFile, 'utf8').split('\n').filter(Boolean).map((l) => l.slice(1).split(' ')).map(([k, v]) => [Number(k), v]));
  const second = [];
  for (const [agent, list] of sent) {
    const index =
      o.bcast === 'refs'
        ? { v: 1, type: 'outbox', agent, sent: list.map((e) => ({ id: e.id, oid: ids.get(e.mark), to: ['@all'], ack: false, expiresAt: new Date(e.ms + week).toISOString(), expect: null, pruned: false })) }
        : // With chains the index lists no broadcast that asked for no acks: it knows the chain's size.
          { v: 1, type: 'outbox', agent, sent: [], chain: { length: list.length, checked: list.length, firstExpiry: new Date(list[0].ms + week).toISOString() }, delta: { length: 1, base: 0 } };
    const msg = `outbox of ${agent}\n\n${JSON.stringify(index)}\n`;
    const who = `${agent} <${agent}@git-coord> ${Math.floor(now / 1000)} +0000`;
    second.push(`reset refs/coordination/messages/out/${agent}\n\ncommit refs/coordination/messages/out/${agent}\nauthor ${who}\ncommitter ${who}\ndata ${Buffer.byteLength(msg)}\n${msg}\n`);
  }
  sh(dir, 'git', ['fast-import', '--quiet', '--done'], {}, second.join('') + 'done\n');
  fs.rmSync(marksFile, { force: true });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const quick = process.argv.includes('--quick');
  const cliArg = process.argv.find((a) => a.startsWith('--cli='));
  const num = (name) => {
    const a = process.argv.find((x) => x.startsWith(`--${name}=`));
    return a ? { [name]: Number(a.slice(name.length + 3)) } : {};
  };
  const opts = {
    ...(quick ? { tasks: 3_000, messages: 1_000, churn: 30, cycles: 100, pairs: 200, clones: 8, rounds: 3, reps: 3 } : {}),
    ...['tasks', 'messages', 'churn', 'cycles', 'pairs', 'clones', 'rounds', 'reps'].reduce((acc, n) => ({ ...acc, ...num(n) }), {}),
    ...(cliArg ? { cli: path.resolve(cliArg.slice(6)) } : {}),
    ...(process.argv.includes('--bcast=refs') ? { bcast: 'refs' } : {}),
    ...(process.argv.find((a) => a.startsWith('--sections=')) ? { sections: process.argv.find((a) => a.startsWith('--sections=')).slice(11).split(',') } : {}),
  };
  const figures = await run(opts);
  process.stdout.write(`${JSON.stringify(figures)}\n`);
}
