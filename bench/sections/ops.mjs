// What each command asks of a remote (docs/scale.md builds on these counts): pushes and reads
// (ls-remote, fetch), counted from GIT_COORD_TRACE, through a file:// remote.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { CLI, ENV, REPS, sh, git, coord, coordAsync, repo, mkdtemp, timed, timedAsync, median, ms, report, outcome, info, results, holdLocks, scale } from '../lib.mjs';

export default async function ops() {
  const root = mkdtemp('ops');
  const hub = path.join(root, 'hub.git');
  git(root, 'init', '-q', '--bare', '-b', 'main', hub);
  const seed = repo('ops-seed');
  fs.writeFileSync(path.join(seed, '.git-coord.yml'), 'remote: origin\n');
  git(seed, 'add', '-A');
  git(seed, 'commit', '-q', '-m', 'config');
  git(seed, 'push', '-q', hub, 'main');
  const clone = (name) => {
    const dir = path.join(root, name);
    git(root, 'clone', '-q', `file://${hub}`, dir);
    return dir;
  };
  const [a, b] = [clone('alice'), clone('bob')];
  const ops = (dir, agent, args) => {
    const r = spawnSync(process.execPath, [CLI, '--agent', agent, ...args], { cwd: dir, env: { ...ENV, GIT_COORD_TRACE: '1' }, encoding: 'utf8' });
    const lines = r.stderr.split('\n');
    const count = (re) => lines.filter((l) => re.test(l)).length;
    return { out: r.stdout, pushes: count(/^trace: .* git push /), reads: count(/^trace: .* git (ls-remote|fetch) /), code: r.status };
  };
  const rows = [];
  const row = (name, r) => rows.push(`${name.padEnd(34)} ${String(r.pushes).padStart(6)} ${String(r.reads).padStart(6)}`);
  row('lock <path>', ops(a, 'alice', ['lock', 'src/a.ts']));
  row('unlock <path>', ops(a, 'alice', ['unlock', 'src/a.ts']));
  const sent = ops(a, 'alice', ['send', 'bob', 'hello', '--json']);
  row('send <agent> <text>', sent);
  row('send @all,#ops <text>', ops(a, 'alice', ['send', '@all,#ops', 'hello all']));
  row('inbox (the local view)', ops(b, 'bob', ['inbox']));
  row('inbox --fresh', ops(b, 'bob', ['inbox', '--fresh']));
  row('ack <id>', ops(b, 'bob', ['ack', JSON.parse(sent.out).id]));
  row('outbox --fresh', ops(a, 'alice', ['outbox', '--fresh']));
  row('sync', ops(b, 'bob', ['sync']));
  row('ack --all', ops(b, 'bob', ['ack', '--all']));
  const t = performance.now();
  const waited = ops(b, 'bob', ['inbox', '--wait', '30s']);
  const perMin = (waited.reads / ((performance.now() - t) / 60_000)).toFixed(1);
  fs.rmSync(root, { recursive: true, force: true });
  fs.rmSync(seed, { recursive: true, force: true });
  console.log(`INFO  remote operations per command (pushes, reads), counted through a file:// remote:\n      ${'command'.padEnd(34)} pushes  reads\n      ${rows.join('\n      ')}\n      inbox --wait with nothing arriving (poll 1s, 2 agents): ${waited.reads} reads in 30 s, ${perMin} a minute`);
}
