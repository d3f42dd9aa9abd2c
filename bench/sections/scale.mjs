// The scale ratios: one lock with 10,000 locks held vs 10 (1.5 x); inbox with 10,000 messages in
// the history vs 10 in all (1.5 x); what an ack costs with 10,000 receipts; 8 senders at once.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { CLI, ENV, REPS, sh, git, coord, coordAsync, repo, mkdtemp, timed, timedAsync, median, ms, report, outcome, info, results, holdLocks, scale } from '../lib.mjs';

async function lock10k() {
  const dir = repo('lock');
  holdLocks(dir, 10, 0);
  const big = repo('lock10k');
  const t = timed(() => holdLocks(big, scale(10000), 0));
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

async function messages() {
  const { Coord, Messages } = await import('../../dist/index.js');
  Object.assign(process.env, { GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' });

  const dir = repo('messages');
  for (let i = 0; i < 10; i++) coord(dir, ['send', '--agent', 'alice', 'reader', `unread ${i}`]);

  // 10. inbox with 10,000 messages in the history (sent by 100 agents, acknowledged) and 10 unread,
  // against inbox with 10 messages in all.
  // 100 senders of 100 messages (10 of 10 in quick mode).
  const SENDERS = scale(100);
  const PER = scale(100);
  const big = repo('messages10k');
  const t0 = performance.now();
  const reader = await Coord.open({ cwd: big, agent: 'reader' });
  const readerBox = new Messages(reader);
  // Ten senders at a time (sends never contend), then the reader acknowledges their thousand.
  for (let g = 0; g < SENDERS; g += 10) {
    const lists = await Promise.all(Array.from({ length: 10 }, async (_, k) => {
      const ctx = await Coord.open({ cwd: big, agent: `sender${g + k}` });
      const m = new Messages(ctx);
      const sent = [];
      for (let i = 0; i < PER; i++) sent.push((await m.send('reader', `old message ${i} from sender${g + k}`, { subject: `old ${i}` })).id);
      ctx.close();
      return sent;
    }));
    await readerBox.ack(lists.flat());
  }
  reader.close();
  const setupS = (performance.now() - t0) / 1000;
  for (let i = 0; i < 10; i++) coord(big, ['send', '--agent', 'alice', 'reader', `unread ${i}`]);
  const small = [];
  const large = [];
  for (let i = 0; i < REPS; i++) {
    small.push(timed(() => coord(dir, ['inbox', '--agent', 'reader'])));
    large.push(timed(() => coord(big, ['inbox', '--agent', 'reader'])));
  }
  const liveRefs = git(big, 'for-each-ref', '--format=%(refname)', 'refs/coordination/messages/').split('\n').filter(Boolean).length;
  const history = JSON.parse(coord(big, ['log', '-n', '100000', '--json'])).filter((e) => e.action === 'send').length;
  report('inbox with 10,000 messages in the history and 10 unread vs 10 messages in all', median(large) / median(small), 1.5,
    `10 in all ${ms(median(small))}; 10,000 + 10 ${ms(median(large))} (${history} sends in the history, ${liveRefs} live refs under messages/; setting up took ${setupS.toFixed(0)} s)`);

  // What history does cost: an ack rewrites the reader's own receipts (10,000 kept in `big`).
  const ackSmall = [];
  const ackLarge = [];
  for (let i = 0; i < 5; i++) {
    const [x, y] = [dir, big].map((d) => coord(d, ['send', '--agent', 'alice', 'reader', `to ack ${i}`]).trim());
    ackSmall.push(timed(() => coord(dir, ['ack', '--agent', 'reader', x])));
    ackLarge.push(timed(() => coord(big, ['ack', '--agent', 'reader', y])));
  }
  console.log(`INFO  one \`ack\` with 10,000 acknowledgements kept in the reader's receipts: ${ms(median(ackLarge))}, vs ${ms(median(ackSmall))} with 10 (${(median(ackLarge) / median(ackSmall)).toFixed(2)} x)`);

  // 11. 8 processes sending to one recipient at once, 10 rounds: lost compare-and-swap rounds.
  const race = repo('messages-race');
  let retries = 0;
  let failures = 0;
  const raceT = [];
  for (let round = 0; round < 10; round++) {
    const t = performance.now();
    const runs = await Promise.all(Array.from({ length: 8 }, (_, k) => new Promise((resolve) => {
      const c = spawn(process.execPath, [CLI, 'send', '--agent', `s${k}`, 'bob', `round ${round}`], { cwd: race, env: { ...ENV, GIT_COORD_TRACE: '1' }, stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      c.stderr.on('data', (d) => (err += d));
      c.on('close', (code) => resolve({ code, err }));
    })));
    raceT.push(performance.now() - t);
    for (const r of runs) {
      if (r.code !== 0) failures++;
      retries += Number(/trace: send: (\d+) retries/.exec(r.err)?.[1] ?? 0);
    }
  }
  const delivered = JSON.parse(coord(race, ['inbox', '--agent', 'bob', '--json'])).length;
  outcome('8 processes sending to one recipient at once, 10 rounds', retries === 0 && failures === 0 && delivered === 80,
    `${retries} retries, ${failures} failures (target 0), ${delivered} of 80 delivered; a round took ${ms(median(raceT))}`);
  for (const d of [dir, big, race]) fs.rmSync(d, { recursive: true, force: true });
}

export default async function scaleSection() {
  await lock10k();
  await messages();
}
