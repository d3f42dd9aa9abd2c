// What messages write as they pile up (issue 17): loose objects in a repository after N send/ack
// pairs, and the bytes one send and one acknowledgement write at the end, for @all messages and
// direct ones. In-process through the library (dist/index.js of the build given), local refs.
//
// `node bench/messages-growth.mjs [--pairs=5000] [--kind=all|direct] [--dist=<dir>]`: prints
// one JSON line of figures. The before/after of a change: run it with `--dist` of each build.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, dflt) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? dflt;
const pairs = Number(arg('pairs', '5000'));
const kind = arg('kind', 'all');
const dist = path.resolve(arg('dist', path.join(ROOT, 'dist')));

const env = { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1', GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@b', GIT_COMMITTER_NAME: 'b', GIT_COMMITTER_EMAIL: 'b@b' };
Object.assign(process.env, { GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' });
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'msg-growth-'));
const git = (...a) => spawnSync('git', a, { cwd: dir, env, encoding: 'utf8' });
git('init', '-q', '-b', 'main');
fs.writeFileSync(path.join(dir, 'README.md'), 'x\n');
git('add', '-A');
git('commit', '-q', '-m', 'init');
git('config', 'gc.auto', '0');

function loose() {
  let count = 0;
  let bytes = 0;
  let blocks = 0;
  const objects = path.join(dir, '.git', 'objects');
  for (const sub of fs.readdirSync(objects)) {
    if (!/^[0-9a-f]{2}$/.test(sub)) continue;
    for (const f of fs.readdirSync(path.join(objects, sub))) {
      const size = fs.statSync(path.join(objects, sub, f)).size;
      count++;
      bytes += size;
      blocks += Math.ceil(size / 4096) * 4096;
    }
  }
  return { count, bytes, blocks };
}

const { Coord, Messages } = await import(pathToFileURL(path.join(dist, 'index.js')).href);
const a = await Coord.open({ cwd: dir, agent: 'alice', env });
const b = await Coord.open({ cwd: dir, agent: 'bob', env });
const ma = new Messages(a);
const mb = new Messages(b);
const to = kind === 'all' ? '@all' : 'bob';
const t0 = performance.now();
const marks = [];
let sendBytes = 0;
let ackBytes = 0;
for (let i = 0; i < pairs; i++) {
  const last = i === pairs - 1;
  const before = last ? loose().bytes : 0;
  const m = await ma.send(to, `pair ${i}`);
  const mid = last ? loose().bytes : 0;
  await mb.ack([m.id]);
  if (last) {
    sendBytes = mid - before;
    ackBytes = loose().bytes - mid;
  }
  if ((i + 1) % 1000 === 0) marks.push({ pairs: i + 1, ...loose(), seconds: Math.round((performance.now() - t0) / 100) / 10 });
}
const size = (ref) => Number(git('cat-file', '-s', ref).stdout.trim() || 0);
const figures = {
  kind,
  pairs,
  dist,
  seconds: Math.round((performance.now() - t0) / 100) / 10,
  loose: loose(),
  lastSendBytes: sendBytes,
  lastAckBytes: ackBytes,
  records: { out: size('refs/coordination/messages/out/alice'), acks: size('refs/coordination/messages/acks/bob'), receipts: size('refs/coordination/messages/receipts/bob') },
  refs: git('for-each-ref', '--format=x', 'refs/coordination/').stdout.split('\n').filter(Boolean).length,
  marks,
  load: os.loadavg().map((x) => x.toFixed(1)).join(' '),
};
a.close();
b.close();
console.log(JSON.stringify(figures));
fs.rmSync(dir, { recursive: true, force: true });
