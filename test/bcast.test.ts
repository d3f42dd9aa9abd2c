/**
 * Broadcasts on one chain per sender (`messages/bcast/<agent>`) and readers' marks: senders
 * racing in processes while readers acknowledge concurrently (nothing lost or doubled, acked
 * stays acked), acknowledgements out of order, a chain re-rooted while a reader is mid-way,
 * channel messages passed over before joining, expiry; and through smart HTTP, the remote's refs
 * after 300 @all messages sent and acknowledged grow with senders, not messages.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENV, ROOT, clone, coord, coordAsync, gitSync, json, makeHub, makeRepo, spawnTracked } from './helpers.js';

process.env.GIT_CONFIG_GLOBAL = '/dev/null';
process.env.GIT_CONFIG_NOSYSTEM = '1';

const as = (agent: string) => ({ GIT_COORD_AGENT: agent });
const refsOf = (gitDir: string, prefix = 'refs/coordination/') =>
  gitSync(gitDir, 'for-each-ref', '--format=%(refname)', prefix).split('\n').filter(Boolean);
const chainLength = (gitDir: string, agent: string) => Number(gitSync(gitDir, 'rev-list', '--count', `refs/coordination/messages/bcast/${agent}`).trim());
const acksRecord = (gitDir: string, agent: string) => JSON.parse(gitSync(gitDir, 'for-each-ref', '--format=%(contents:body)', `refs/coordination/messages/acks/${agent}`).trim());

describe('broadcasts on one chain per sender', () => {
  it('senders racing in processes, readers acknowledging concurrently (in order, out of order, by id): each message seen once by each reader, acked stays acked', async () => {
    const dir = makeRepo();
    const senders = ['s1', 's2', 's3'];
    const perSender = 6;
    // r3 is not in #ops: the channel messages are passed over by its marks, shown once it joins.
    for (const r of ['r1', 'r2']) expect(coord(dir, ['channel', 'join', 'ops'], as(r)).code).toBe(0);
    let sending = true;
    const sends = Promise.all(
      senders.map(async (s) => {
        const ids: string[] = [];
        for (let i = 0; i < perSender; i++) {
          const r = await coordAsync(dir, ['send', i % 3 === 2 ? '#ops' : '@all', `${s} ${i}`, '--json'], as(s));
          expect(r.code, r.stderr).toBe(0);
          ids.push(json(r).id);
        }
        return ids;
      }),
    ).finally(() => (sending = false));
    // Each reader: read the inbox, acknowledge exactly what it read, read again; until the senders are done and nothing is left.
    const reader = async (me: string, oneByOne: boolean) => {
      const seen: string[] = [];
      for (let idle = 0; idle < 2; ) {
        const r = await coordAsync(dir, ['inbox', '--json'], as(me));
        expect(r.code, r.stderr).toBe(0);
        const list: string[] = json(r).map((m: { id: string }) => m.id);
        seen.push(...list);
        if (list.length === 0) {
          if (!sending) idle++;
          continue;
        }
        // One by one newest first (out of order: entries, then the mark jumps), or all at once.
        for (const batch of oneByOne ? [...list].reverse().map((id) => [id]) : [list]) {
          const a = await coordAsync(dir, ['ack', ...batch], as(me));
          expect(a.code, a.stderr).toBe(0);
        }
      }
      return seen;
    };
    const [sent, ...seen] = await Promise.all([sends, reader('r1', false), reader('r2', true), reader('r3', false)]);
    const all = sent.flat();
    const channel = sent.flatMap((ids) => ids.filter((_, i) => i % 3 === 2));
    expect(new Set(all).size).toBe(senders.length * perSender);
    // Nothing lost, nothing doubled: every message once to r1 and r2; r3 every @all message once.
    expect([...seen[0]!].sort()).toEqual([...all].sort());
    expect([...seen[1]!].sort()).toEqual([...all].sort());
    expect([...seen[2]!].sort()).toEqual(all.filter((id) => !channel.includes(id)).sort());
    // No sender ever retried: each writes only its own refs.
    for (const s of senders) expect(chainLength(dir, s)).toBe(perSender);
    // Acked stays acked; r3 sees the channel's messages once it joins.
    for (const r of ['r1', 'r2', 'r3']) expect(json(coord(dir, ['inbox', '--json'], as(r)))).toEqual([]);
    const all1 = json(coord(dir, ['inbox', '--all', '--json'], as('r1')));
    expect(all1.map((m: { id: string }) => m.id).sort()).toEqual([...all].sort());
    expect(all1.every((m: { acked: boolean }) => m.acked)).toBe(true);
    expect(coord(dir, ['channel', 'join', 'ops'], as('r3')).code).toBe(0);
    expect(json(coord(dir, ['inbox', '--json'], as('r3'))).map((m: { id: string }) => m.id).sort()).toEqual([...channel].sort());
    expect(coord(dir, ['ack', '--all'], as('r3')).code).toBe(0);
    expect(json(coord(dir, ['inbox', '--json'], as('r3')))).toEqual([]);
    // Every reader's record is one mark per sender, no entry left.
    for (const r of ['r1', 'r2', 'r3']) {
      const rec = acksRecord(dir, r);
      expect(Object.keys(rec.marks).sort()).toEqual(senders);
      expect(rec.acks).toEqual([]);
    }
    // The history: each reader acknowledged each message once.
    const acks = json(coord(dir, ['log', '-n', '1000', '--json'])).filter((e: { action: string }) => e.action === 'ack');
    for (const r of ['r1', 'r2', 'r3']) {
      const mine = acks.filter((e: { agent: string }) => e.agent === r).map((e: { subject: string }) => e.subject.split(' ')[0]);
      expect(mine.sort()).toEqual([...all].sort());
    }
    gitSync(dir, 'fsck', '--no-progress');
  }, 240_000);

  it('a reader whose mark is at every chain head is shown nothing new; the next message on a chain is shown, and only it', async () => {
    const dir = makeRepo();
    const { Coord, Messages } = await import('../src/index.js');
    const [a, b, c] = await Promise.all(['alice', 'bob', 'carol'].map((agent) => Coord.open({ cwd: dir, agent, env: ENV })));
    try {
      const ma = new Messages(a);
      const mc = new Messages(c);
      const mb = new Messages(b);
      const first = [await ma.send('@all', 'a 1'), await mc.send('@all', 'c 1')];
      expect((await mb.inbox()).map((m) => m.id).sort()).toEqual(first.map((m) => m.id).sort());
      await mb.ack('all');
      // Both chains' heads are bob's marks now: nothing to show (and no chain to read).
      expect(acksRecord(dir, 'bob').marks.alice.oid).toBe(gitSync(dir, 'rev-parse', 'refs/coordination/messages/bcast/alice').trim());
      expect(await mb.inbox()).toEqual([]);
      const next = await ma.send('@all', 'a 2');
      expect((await mb.inbox()).map((m) => m.id)).toEqual([next.id]);
      expect((await mb.inbox({ all: true })).map((m) => m.id).sort()).toEqual([...first, next].map((m) => m.id).sort());
    } finally {
      for (const s of [a, b, c]) s.close();
    }
  });

  it('re-rooted while a reader is mid-way: what it acknowledged stays acknowledged, what it did not stays shown; expiry; outbox', async () => {
    const dir = makeRepo();
    const { Coord, Messages } = await import('../src/index.js');
    const T = Date.now();
    let now = T;
    const open = (agent: string) => Coord.open({ cwd: dir, agent, env: ENV, now: () => now });
    const [a, b, c] = await Promise.all([open('alice'), open('bob'), open('carol')]);
    try {
      const ma = new Messages(a);
      const mb = new Messages(b);
      // bob and carol are known agents (a journal each): an @all message asking for acks waits for them.
      await mb.join('x');
      await new Messages(c).join('x');
      const short = [];
      for (let i = 0; i < 4; i++) short.push(await ma.send('@all', `short ${i}`, { ttlMs: 60_000, ack: i === 0 }));
      const long = [];
      for (let i = 0; i < 2; i++) long.push(await ma.send('@all', `long ${i}`, { ttlMs: 3_600_000 }));
      expect(chainLength(dir, 'alice')).toBe(6);
      // Out of order: short 1 first (an entry), then short 0 (the mark moves past both).
      await mb.ack([short[1]!.id]);
      expect(acksRecord(dir, 'bob').acks.map((x: { id: string }) => x.id)).toEqual([short[1]!.id]);
      await mb.ack([short[0]!.id]);
      const rec = acksRecord(dir, 'bob');
      expect(rec.marks.alice.id).toBe(short[1]!.id);
      expect(rec.acks).toEqual([]);
      // A clock that went back: the chain's send times still rise.
      now = T - 5_000;
      const back = await ma.send('@all', 'clock went back', { ttlMs: 3_600_000 });
      expect(Date.parse(back.sentAt)).toBeGreaterThan(Date.parse(long[1]!.sentAt));
      // The short ones expire; the next send re-roots: a parentless chain of the live ones, and the new one.
      now = T + 120_000;
      const after = await ma.send('@all', 'after expiry', { ttlMs: 3_600_000 });
      expect(chainLength(dir, 'alice')).toBe(4);
      expect(ma.retries).toBe(0);
      const live = [long[0]!, long[1]!, back, after].map((m) => m.id);
      expect((await mb.inbox()).map((m) => m.id)).toEqual(live);
      expect((await new Messages(c).inbox()).map((m) => m.id)).toEqual(live);
      // bob goes on across the re-root: out of order, then in order.
      await mb.ack([long[1]!.id]);
      expect((await mb.inbox()).map((m) => m.id)).toEqual([long[0]!.id, back.id, after.id]);
      await mb.ack([long[0]!.id]);
      expect(acksRecord(dir, 'bob').marks.alice.id).toBe(long[1]!.id);
      expect(acksRecord(dir, 'bob').acks).toEqual([]);
      expect((await mb.inbox()).map((m) => m.id)).toEqual([back.id, after.id]);
      // Acknowledging again is no error; inbox --all shows the acknowledged ones as such.
      expect(await mb.ack([long[0]!.id])).toMatchObject({ acked: [], already: [long[0]!.id] });
      const everything = await mb.inbox({ all: true });
      expect(everything.filter((m) => m.acked).map((m) => m.id).sort()).toEqual([long[0]!.id, long[1]!.id].sort());
      // The sender's outbox: bob's acknowledgements; the expired one that asked for acks is a dead letter (carol never acked).
      const out = await ma.outbox();
      expect(out.find((m) => m.id === long[0]!.id)!.acks.bob).toEqual(expect.any(String));
      expect(out.find((m) => m.id === back.id)!.acks.bob).toBeUndefined();
      const dead = await ma.outbox({ dead: true });
      expect(dead.map((m) => m.id)).toEqual([short[0]!.id]);
      expect(dead[0]!.acks.bob).toEqual(expect.any(String));
      // Everything expired: prune removes the chain; bob's mark outlives it (dead letters may still ask).
      now = T + 2 * 86_400_000;
      const ops = await import('../src/operations/locks.js');
      await ops.prune(a);
      expect(refsOf(dir, 'refs/coordination/messages/bcast/')).toEqual([]);
      expect(await mb.inbox()).toEqual([]);
      const again = await ma.send('@all', 'a new chain');
      expect(chainLength(dir, 'alice')).toBe(1);
      expect((await mb.inbox()).map((m) => m.id)).toEqual([again.id]);
    } finally {
      for (const x of [a, b, c]) x.close();
    }
  }, 120_000);

  it('direct messages: the index and the receipts are chains of additions, re-rooted whole now and then; every answer as before', async () => {
    const dir = makeRepo();
    const { Coord, Messages } = await import('../src/index.js');
    const T = Date.now();
    let now = T;
    const open = (agent: string) => Coord.open({ cwd: dir, agent, env: ENV, now: () => now });
    const [a, b] = await Promise.all([open('alice'), open('bob')]);
    try {
      const ma = new Messages(a);
      const mb = new Messages(b);
      const sent = [];
      const size = (ref: string) => Number(gitSync(dir, 'cat-file', '-s', ref).trim());
      for (let i = 0; i < 40; i++) {
        now += 1_000;
        const m = await ma.send('bob', `direct ${i}`, { ttlMs: i < 10 ? 30_000 : 3_600_000, ack: i % 2 === 0 });
        sent.push(m);
        if (i >= 10) await mb.ack([m.id]);
      }
      // Short chains of small records: each commit holds what it added.
      expect(refsOf(dir, 'refs/coordination/messages/bcast/')).toEqual([]);
      const outLen = Number(gitSync(dir, 'rev-list', '--count', 'refs/coordination/messages/out/alice').trim());
      const recLen = Number(gitSync(dir, 'rev-list', '--count', 'refs/coordination/messages/receipts/bob').trim());
      expect(outLen).toBeLessThanOrEqual(17);
      expect(recLen).toBeLessThanOrEqual(17);
      expect(size('refs/coordination/messages/receipts/bob')).toBeLessThan(2_000);
      // The answers: bob's 10 unacknowledged (the first ten, now expired: none), 30 acknowledged.
      now += 60_000;
      expect(await mb.inbox()).toEqual([]);
      const all = await mb.inbox({ all: true });
      expect(all.map((m) => m.id).sort()).toEqual(sent.slice(10).map((m) => m.id).sort());
      expect(all.every((m) => m.acked)).toBe(true);
      // The outbox: the 30 unexpired, each acknowledged, and the dead letters.
      const out = (await ma.outbox()).filter((m) => !m.dead);
      expect(out).toHaveLength(30);
      for (const m of out) expect(m.acks.bob).toEqual(expect.any(String));
      // The expired ones that asked for acks are dead letters (bob never acknowledged them).
      expect((await ma.outbox({ dead: true })).map((m) => m.id).sort()).toEqual(sent.slice(0, 10).filter((_, i) => i % 2 === 0).map((m) => m.id).sort());
      expect(await mb.ack([sent[39]!.id])).toMatchObject({ already: [sent[39]!.id] });
      gitSync(dir, 'fsck', '--no-progress');
    } finally {
      a.close();
      b.close();
    }
  });

  it('through a remote, a clone never synced (shallow chains) re-roots the index whole: nothing of it lost', async () => {
    const { root, url } = makeHub();
    const first = clone(root, url, 'alice');
    const { Coord, Messages } = await import('../src/index.js');
    const a = await Coord.open({ cwd: first, agent: 'alice', env: ENV });
    const ids: string[] = [];
    try {
      const ma = new Messages(a);
      // 17 commits on alice's index: the next send starts a new whole root.
      for (let i = 0; i < 17; i++) ids.push((await ma.send('bob', `from the first clone ${i}`, { ack: true })).id);
    } finally {
      a.close();
    }
    const second = clone(root, url, 'alice-2');
    const r = coord(second, ['send', 'bob', 'from a clone never synced', '--ack', '--json'], as('alice'));
    expect(r.code, r.stderr).toBe(0);
    ids.push(json(r).id);
    // (The outbox reads the messages' own commits: a sync brings them.)
    expect(coord(second, ['sync'], as('alice')).code).toBe(0);
    const out = json(coord(second, ['outbox', '--json'], as('alice')));
    expect(out.map((m: { id: string }) => m.id).sort()).toEqual([...ids].sort());
    const inbox = json(coord(clone(root, url, 'bob'), ['inbox', '--fresh', '--json'], as('bob')));
    expect(inbox).toHaveLength(18);
  });

  it('a send or an acknowledgement packs the loose objects once they pass upkeep\'s limit (no prune needed); below it, nothing', async () => {
    const dir = makeRepo();
    // 3,000 loose blobs, written as git writes them (upkeep packs past about 2,048: operations/upkeep.ts).
    const zlib = await import('node:zlib');
    const crypto = await import('node:crypto');
    const fs = await import('node:fs');
    for (let i = 0; i < 3000; i++) {
      const body = Buffer.from(`filler ${i}\n`);
      const raw = Buffer.concat([Buffer.from(`blob ${body.length}\0`), body]);
      const id = crypto.createHash('sha1').update(raw).digest('hex');
      fs.mkdirSync(path.join(dir, '.git', 'objects', id.slice(0, 2)), { recursive: true });
      fs.writeFileSync(path.join(dir, '.git', 'objects', id.slice(0, 2), id.slice(2)), zlib.deflateSync(raw));
    }
    const loose = () => Number(/^count: (\d+)$/m.exec(gitSync(dir, 'count-objects', '-v'))![1]);
    expect(loose()).toBeGreaterThanOrEqual(3000);
    const m = json(coord(dir, ['send', '@all', 'pack after me', '--json'], as('alice')));
    expect(loose()).toBe(0);
    // Below the budget a write packs nothing.
    expect(coord(dir, ['ack', m.id], as('bob')).code).toBe(0);
    expect(loose()).toBeGreaterThan(0);
    gitSync(dir, 'fsck', '--no-progress');
    expect(json(coord(dir, ['inbox', '--all', '--json'], as('bob')))).toMatchObject([{ id: m.id, acked: true }]);
  });

  it('through smart HTTP: 300 @all messages sent and acknowledged, the remote holds a chain per sender, not a ref per message', async () => {
    const { root, hub } = makeHub();
    gitSync(hub, 'config', 'http.receivepack', 'true');
    const server = spawnTracked(process.execPath, [path.join(ROOT, 'test', 'http-backend.mjs'), root], { env: ENV, stdio: ['pipe', 'pipe', 'inherit'] });
    const port = await new Promise<number>((resolve) => server.stdout!.once('data', (d) => resolve(Number(String(d).trim()))));
    const url = `http://127.0.0.1:${port}/hub.git`;
    const senders = ['s1', 's2', 's3'];
    const readers = ['r1', 'r2'];
    const dirs = Object.fromEntries([...senders, ...readers].map((x) => [x, clone(root, url, x)]));
    const { Coord, Messages } = await import('../src/index.js');
    const sessions = await Promise.all(Object.entries(dirs).map(([agent, cwd]) => Coord.open({ cwd, agent, env: ENV })));
    const by = Object.fromEntries(sessions.map((s, i) => [Object.keys(dirs)[i]!, new Messages(s)]));
    try {
      // Everyone has written once: the refs of five agents, before the 300 messages.
      for (const s of senders) await by[s]!.send('@all', `hello from ${s}`);
      for (const r of readers) await by[r]!.ack('all');
      const before = refsOf(hub).length;
      const sent: string[] = [];
      for (let i = 0; i < 300; i++) {
        // The senders race in threes; the readers acknowledge every 25 messages, concurrently.
        const round = await Promise.all(senders.map((s) => by[s]!.send('@all', `message ${i} from ${s}`)));
        sent.push(...round.map((m) => m.id));
        i += senders.length - 1;
        if (sent.length % 24 === 0 || i >= 299) {
          const acked = await Promise.all(readers.map((r) => by[r]!.ack('all')));
          for (const x of acked) expect(x.acked.length).toBeGreaterThan(0);
        }
      }
      expect(sent.length).toBe(300);
      for (const s of senders) expect(by[s]!.retries).toBe(0);
      const after = refsOf(hub);
      // Grown with senders, not messages: nothing new at all (each agent's refs existed before).
      expect(after.length).toBeLessThanOrEqual(Math.ceil(before * 1.2));
      expect(after.filter((r) => r.startsWith('refs/coordination/messages/bcast/'))).toEqual(senders.map((s) => `refs/coordination/messages/bcast/${s}`));
      for (const r of readers) {
        expect(await by[r]!.inbox({ mode: 'authority' })).toEqual([]);
        const rec = JSON.parse(gitSync(hub, 'for-each-ref', '--format=%(contents:body)', `refs/coordination/messages/acks/${r}`).trim());
        expect(Object.keys(rec.marks).sort()).toEqual(senders);
        expect(rec.acks).toEqual([]);
      }
      // A new clone reads them all (the chains come whole, not shallow).
      const fresh = clone(root, url, 'newcomer');
      const inbox = json(coord(fresh, ['inbox', '--fresh', '--json'], as('newcomer')));
      expect(inbox).toHaveLength(303);
    } finally {
      for (const s of sessions) s.close();
    }
  }, 600_000);
});
