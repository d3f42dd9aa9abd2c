// What the archive of finished tasks costs through a remote (issue 17): a board of N finished
// tasks written as a board before the archive (bench/remote-scale.mjs's bigState: tasks/done/<id>
// refs and their journals), migrated into the archive by the product itself (`git-coord prune` in
// the remote's repository), then, through smart HTTP (test/http-backend.mjs, protocol v2): a new
// clone's first `sync` (which fetches no archive), the first read that needs finished tasks
// (`task show`: fetches the archives, shallow), the same read again (nothing new), and a read after
// another clone finished one more task (the new archive tip only).
//
// `node bench/archive-scale.mjs [--tasks=30000] [--agents=50]`. Prints the figures.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLI, ENV, ROOT, cleanup, git, mkdtemp, sh, timed } from './lib.mjs';
import { bigState } from './remote-scale.mjs';

const num = (name, d) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? d);
const kb = (b) => `${(b / 1e3).toFixed(1)} kB`;
// BENCH_CLI=<path to cli.js>: another build (a copy, so a rebuild meanwhile does not change it).
const cli = process.env.BENCH_CLI ?? CLI;
const coord = (cwd, a, env) => sh(cwd, process.execPath, [cli, ...a], env);

export async function run(o = { tasks: num('tasks', 30000), agents: num('agents', 50) }) {
  const root = mkdtemp('archive');
  const hub = path.join(root, 'hub.git');
  git(root, 'init', '-q', '--bare', '-b', 'main', hub);
  const seed = path.join(root, 'seed');
  git(root, 'init', '-q', '-b', 'main', seed);
  fs.writeFileSync(path.join(seed, '.git-coord.yml'), 'remote: origin\ntimeout: 10m\n');
  git(seed, 'add', '-A');
  git(seed, 'commit', '-q', '-m', 'init');
  git(seed, 'push', '-q', hub, 'main');
  git(hub, 'config', 'http.receivepack', 'true');
  const out = {};
  out.write = timed(() => bigState(hub, { ...o, messages: 0 }, sh));
  git(hub, 'repack', '-adq');
  const refsBefore = git(hub, 'for-each-ref', 'refs/coordination/').split('\n').filter(Boolean).length;
  const log = path.join(root, 'http.log');
  const server = spawn(process.execPath, [path.join(ROOT, 'test', 'http-backend.mjs'), root, String(3_600_000)], { env: { ...ENV, HTTP_BACKEND_LOG: log }, stdio: ['pipe', 'pipe', 'inherit'] });
  const port = await new Promise((r) => server.stdout.once('data', (d) => r(Number(String(d).trim()))));
  const url = `http://127.0.0.1:${port}/hub.git`;
  const bytes = () => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8').split('\n').filter(Boolean).reduce((s, l) => s + Number(l.split(' ')[3]), 0) : 0);
  const step = (name, fn) => {
    const b0 = bytes();
    const t = timed(fn);
    out[name] = { ms: Math.round(t), bytes: bytes() - b0 };
    console.log(`  ${name.padEnd(14)} ${String(out[name].ms).padStart(6)} ms  ${kb(out[name].bytes).padStart(10)} from the remote`);
  };
  try {
    const a = path.join(root, 'a');
    const b = path.join(root, 'b');
    const c = path.join(root, 'c');
    git(root, 'clone', '-q', url, c);
    coord(c, ['whoami', '--set', 'carol']);
    // Before the migration: the finished tasks on the old shelves, a ref each.
    step('syncBefore', () => coord(c, ['sync']));
    step('lockBefore', () => coord(c, ['lock', 'x.txt']));
    coord(c, ['unlock', 'x.txt']);
    // The product migrates the old shelves (batched swaps in the remote's own repository, local mode).
    out.migrate = timed(() => coord(hub, ['prune', '--json'], { GIT_COORD_AGENT: 'archivist' }));
    console.log(`  prune (migration): ${(out.migrate / 1000).toFixed(1)} s`);
    git(hub, 'repack', '-adq');
    out.refs = { before: refsBefore, after: git(hub, 'for-each-ref', 'refs/coordination/').split('\n').filter(Boolean).length };
    step('lockAfter', () => coord(c, ['lock', 'x.txt']));
    coord(c, ['unlock', 'x.txt']);
    git(root, 'clone', '-q', url, a);
    git(root, 'clone', '-q', url, b);
    coord(a, ['whoami', '--set', 'alice']);
    coord(b, ['whoami', '--set', 'bob']);
    step('sync', () => coord(a, ['sync']));
    out.viewArchives = git(a, 'for-each-ref', 'refs/coordination/remotes/origin/tasks/archive/').split('\n').filter(Boolean).length;
    step('firstShow', () => coord(a, ['task', 'show', 't0000', '--json']));
    step('againShow', () => coord(a, ['task', 'show', 't0001', '--json']));
    coord(b, ['task', 'add', 'one more', '--id', 'extra']);
    coord(b, ['claim', 'extra']);
    coord(b, ['task', 'done', 'extra']);
    // (a's view knows of the new task after a sync; the archives, older than the view then, are fetched again.)
    step('syncAgain', () => coord(a, ['sync']));
    step('showAfterDone', () => coord(a, ['task', 'show', 'extra', '--json']));
    step('listDone', () => coord(a, ['task', 'list', '--status', 'done', '--json']));
    out.listed = JSON.parse(coord(a, ['task', 'list', '--status', 'done', '--json'])).length;
  } finally {
    server.stdin.end();
    server.kill();
  }
  console.log(`archive at ${o.tasks} finished tasks, ${o.agents} agents (load ${fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')})`);
  console.log(`  refs on the remote: ${out.refs.before} before the migration, ${out.refs.after} after (prune: ${(out.migrate / 1000).toFixed(1)} s)`);
  console.log(`  archives in the view after sync: ${out.viewArchives}; list --status done: ${out.listed} tasks`);
  return out;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    await run();
  } finally {
    cleanup();
  }
}
