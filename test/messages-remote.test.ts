/**
 * Messages between agents in separate clones, through a file:// bare remote as the authority:
 * sends and acknowledgements are decided there; inbox reads the local view (--fresh, sync);
 * waiting polls the remote.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, ENV, coord, coordAsync, gitSync, json, makeHub } from './helpers.js';

/** A bare hub whose main branch configures `remote: origin`, and a clone per agent. */
function setup(agents: string[]) {
  const { root, hub } = makeHub('remote: origin\n', { 'README.md': 'x\n' });
  const clones: Record<string, string> = {};
  for (const a of agents) {
    clones[a] = path.join(root, a);
    gitSync(root, 'clone', '-q', `file://${hub}`, clones[a]);
    coord(clones[a], ['whoami', '--set', a]);
  }
  return { hub, clones };
}

const hubRefs = (hub: string, prefix: string) => gitSync(hub, 'for-each-ref', '--format=%(refname)', prefix).split('\n').filter(Boolean);
const ids = (list: { id: string }[]) => list.map((m) => m.id);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('messages through a file:// remote', () => {
  it('sent in one clone, read and acknowledged in the other, the acknowledgement visible to the sender', () => {
    const { hub, clones } = setup(['alice', 'bob']);
    const s = coord(clones.alice!, ['send', 'bob', 'over the remote', '--subject', 'hi', '--ack', '--json']);
    expect(s.code, s.stderr).toBe(0);
    const m = json(s);
    expect(hubRefs(hub, 'refs/coordination/messages/to/bob/')).toEqual([`refs/coordination/messages/to/bob/${m.id}`]);
    // bob's view has never been synced: inbox says so; --fresh (or sync) brings the message.
    const stale = coord(clones.bob!, ['inbox', '--json']);
    expect(json(stale)).toEqual([]);
    expect(stale.stderr).toMatch(/view of remote 'origin', never synced/);
    expect(json(coord(clones.bob!, ['inbox', '--json', '--fresh']))).toMatchObject([{ id: m.id, from: 'alice', body: 'over the remote' }]);
    const a = coord(clones.bob!, ['ack', m.id, '--json']);
    expect(a.code, a.stderr).toBe(0);
    // Decided at the remote: the delivery ref is gone there, and bob's own view agrees at once.
    expect(hubRefs(hub, 'refs/coordination/messages/to/bob/')).toEqual([]);
    expect(json(coord(clones.bob!, ['inbox', '--json']))).toEqual([]);
    const out = json(coord(clones.alice!, ['outbox', '--json', '--fresh']));
    expect(out).toMatchObject([{ id: m.id, acks: { bob: expect.any(String) }, dead: false }]);
    // The history kept at the remote has both.
    const log = json(coord(clones.alice!, ['log', '--json', '--fresh'])).map((e: any) => `${e.agent} ${e.action} ${e.subject}`);
    expect(log).toEqual(expect.arrayContaining([`alice send ${m.id} to bob: hi`, `bob ack ${m.id} from alice: hi`]));
  });

  it('@all, channels, replies and threads across clones; sync refreshes messages too', () => {
    const { clones } = setup(['alice', 'bob', 'carol']);
    expect(coord(clones.carol!, ['channel', 'join', 'ops']).code).toBe(0);
    const all = json(coord(clones.alice!, ['send', '@all', 'everyone', '--json']));
    const ch = json(coord(clones.alice!, ['send', '#ops', 'ops only', '--priority', '0', '--json']));
    expect(coord(clones.bob!, ['sync']).code).toBe(0);
    expect(ids(json(coord(clones.bob!, ['inbox', '--json'])))).toEqual([all.id]);
    expect(ids(json(coord(clones.carol!, ['inbox', '--json', '--fresh'])))).toEqual([ch.id, all.id]);
    expect(json(coord(clones.bob!, ['channel', 'list', '--json', '--fresh']))).toEqual([{ name: 'ops', members: ['carol'] }]);
    // An ack decided at the remote, without the message ever read into the local view.
    const r = json(coord(clones.carol!, ['reply', ch.id, 'on it', '--json']));
    expect(r).toMatchObject({ to: ['alice'], thread: ch.id, replyTo: ch.id });
    expect(coord(clones.alice!, ['ack', r.id]).code).toBe(0);
    expect(ids(json(coord(clones.alice!, ['thread', ch.id, '--json', '--fresh'])))).toEqual([ch.id, r.id]);
    expect(coord(clones.bob!, ['ack', ch.id]).code).toBe(3);
  });

  it('inbox --wait polls the remote and returns when a message arrives; send --wait-reply gets a reply from another clone', async () => {
    const { clones } = setup(['alice', 'bob']);
    const none = coord(clones.bob!, ['inbox', '--wait', '2s']);
    expect(none.code).toBe(3);
    const waiting = coordAsync(clones.bob!, ['inbox', '--wait', '60s', '--json']);
    await sleep(1_500);
    const m = json(coord(clones.alice!, ['send', 'bob', 'ping', '--json']));
    const got = await waiting;
    expect(got.code, got.stderr).toBe(0);
    expect(ids(json(got))).toEqual([m.id]);
    // A responder in bob's clone answers whatever arrives.
    const script = `
      const { execFileSync } = require('node:child_process');
      const [cli, first] = process.argv.slice(1);
      const run = (...a) => execFileSync(process.execPath, [cli, ...a], { stdio: 'pipe' }).toString();
      run('ack', first);
      const [q] = JSON.parse(run('inbox', '--wait', '60s', '--json'));
      run('reply', q.id, 'pong');`;
    const responder = new Promise<number>((resolve) => {
      const child = spawn(process.execPath, ['-e', script, CLI, m.id], { cwd: clones.bob!, env: ENV, stdio: 'ignore' });
      child.on('close', (code) => resolve(code ?? 1));
    });
    await sleep(1_000);
    const r = coordAsync(clones.alice!, ['send', 'bob', 'are you there?', '--wait-reply', '60s', '--json']);
    const [res, code] = await Promise.all([r, responder]);
    expect(code).toBe(0);
    expect(res.code, res.stderr).toBe(0);
    expect(json(res).reply).toMatchObject({ from: 'bob', body: 'pong', replyTo: json(res).id });
  }, 120_000);

  it('8 clones sending to one recipient at once through the remote: all sent, no retry (3 rounds)', async () => {
    const agents = Array.from({ length: 8 }, (_, i) => `s${i}`);
    const { clones, hub } = setup([...agents, 'bob']);
    for (let round = 0; round < 3; round++) {
      const results = await Promise.all(
        agents.map((a) => coordAsync(clones[a]!, ['send', 'bob', `round ${round} from ${a}`], { GIT_COORD_TRACE: '1' })),
      );
      for (const r of results) {
        expect(r.code, r.stderr).toBe(0);
        expect(r.stderr).toMatch(/trace: send: 0 retries/);
      }
      expect(hubRefs(hub, 'refs/coordination/messages/to/bob/')).toHaveLength(8 * (round + 1));
    }
    const list = json(coord(clones.bob!, ['inbox', '--json', '--fresh']));
    expect(new Set(list.map((m: any) => m.body)).size).toBe(24);
  }, 120_000);
});
