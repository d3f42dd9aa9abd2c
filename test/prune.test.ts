/**
 * `prune` beyond dead locks: token marks no longer needed, agents not seen for `agents.forget`,
 * packing. Locally and through a file:// remote; the clock is the library's `now`.
 */
import { describe, expect, it } from 'vitest';
import { ENV, clone, gitSync, makeHub, makeRepo, write } from './helpers.js';

process.env.GIT_CONFIG_GLOBAL = '/dev/null';
process.env.GIT_CONFIG_NOSYSTEM = '1';

const refsOf = (gitDir: string, prefix = 'refs/coordination/') =>
  gitSync(gitDir, 'for-each-ref', '--format=%(refname)', prefix).split('\n').filter(Boolean);

/** An @all message as the layout before the chains kept it (a ref of its own, `messages/all/<id>`), written at the authority. */
function oldLayoutMessage(dir: string, remote: boolean, T: number, ttlMs: number): string {
  const id = `m-${T.toString(36)}-0123456789ab`;
  const record = { v: 1, type: 'message', id, from: 'carol', to: ['@all'], subject: '', body: 'old layout', priority: 2, thread: id, replyTo: null, sentAt: new Date(T).toISOString(), expiresAt: new Date(T + ttlMs).toISOString(), ack: false };
  const tree = gitSync(dir, 'hash-object', '-t', 'tree', '-w', '/dev/null').trim();
  const commit = gitSync(dir, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit-tree', tree, '-m', `message ${id}\n\n${JSON.stringify(record)}`).trim();
  if (remote) gitSync(dir, 'push', '-q', 'origin', `${commit}:refs/coordination/messages/all/${id}`);
  else gitSync(dir, 'update-ref', `refs/coordination/messages/all/${id}`, commit);
  return id;
}

async function scenario(dir: string, authority: string, view: string) {
  const { Coord, Locks, heartbeat } = await import('../src/index.js');
  const ops = await import('../src/operations/locks.js');
  const T = Date.now();
  let now = T;
  const a = await Coord.open({ cwd: dir, agent: 'alice', env: ENV, now: () => now });
  const b = await Coord.open({ cwd: dir, agent: 'bob', env: ENV, now: () => T });
  try {
    await heartbeat(b, { role: 'gone soon' });
    const locks = new Locks(a);
    const [first] = await locks.lock(['src/a.ts', 'docs/x.md']);
    await locks.unlock(['src/a.ts']);
    expect(refsOf(authority, 'refs/coordination/tokens/')).toEqual(['refs/coordination/tokens/p-src/t-alice']);
    // Within the allowed clock skew the mark stays; a lock in its directory keeps it too.
    now = T + 30 * 60_000;
    expect((await ops.prune(a)).tokens).toEqual([]);
    now = T + 2 * 3_600_000;
    await locks.unlock(['docs/x.md']);
    await locks.lock(['docs/y.md'], { ttlMs: null });
    now = T + 4 * 3_600_000;
    const r = await ops.prune(a);
    expect(r.tokens).toEqual(['refs/coordination/tokens/p-src/t-alice']);
    expect(r.agents).toEqual([]);
    expect(r.packed).toBe(true);
    expect(refsOf(authority, 'refs/coordination/tokens/')).toEqual(['refs/coordination/tokens/p-docs/t-alice']);
    // The next grant of the pattern is still above the one before the mark went.
    const [again] = await locks.lock(['src/a.ts']);
    expect(again!.token).toBeGreaterThan(first!.token);
    // bob, not seen for more than agents.forget (30 days): his presence goes, alice (seen now) stays.
    now = T + 31 * 86_400_000;
    await locks.renew([]);
    const later = await ops.prune(a);
    expect(later.agents).toEqual(['bob']);
    expect(refsOf(authority, 'refs/coordination/agents/')).toEqual([]);
    expect(refsOf(authority, 'refs/coordination/journal/')).toEqual(['refs/coordination/journal/alice']);
    // Packed: the refs, and every loose object (old record versions too, reachable or not).
    expect(gitSync(dir, 'for-each-ref', '--format=%(refname)', view).trim()).not.toBe('');
    expect(gitSync(dir, 'count-objects', '-v')).toMatch(/^count: 0$/m);
    expect(gitSync(dir, 'fsck', '--connectivity-only', '--no-dangling')).toBe('');
  } finally {
    a.close();
    b.close();
  }
}

describe('prune', () => {
  it('locally: removes old token marks where no lock stands, forgets agents not seen, packs', async () => {
    const repo = makeRepo({ 'src/a.ts': 'a\n', 'docs/x.md': 'x\n' });
    await scenario(repo, repo, 'refs/coordination/');
  });

  it('through a file:// remote: the same at the remote', async () => {
    const { root, hub, url } = makeHub();
    const a = clone(root, url, 'alice');
    await scenario(a, hub, 'refs/coordination/remotes/origin/');
  });

  for (const remote of [false, true]) {
    it(`expired messages' refs go, direct and @all; what anyone sees is unchanged; the sender sends on (${remote ? 'file:// remote' : 'local'})`, async () => {
      let dir: string;
      let authority: string;
      if (remote) {
        const h = makeHub();
        dir = clone(h.root, h.url, 'alice');
        authority = h.hub;
      } else {
        dir = authority = makeRepo();
      }
      const { Coord, Messages } = await import('../src/index.js');
      const ops = await import('../src/operations/locks.js');
      const T = Date.now();
      let now = T;
      const a = await Coord.open({ cwd: dir, agent: 'alice', env: ENV, now: () => now });
      const b = await Coord.open({ cwd: dir, agent: 'bob', env: ENV, now: () => now });
      try {
        const ma = new Messages(a);
        await ma.send('@all', 'short', { ttlMs: 60_000 });
        await ma.send('bob', 'short too', { ttlMs: 60_000 });
        const kept = await ma.send('bob', 'long', { ttlMs: 3_600_000 });
        const longAll = await ma.send('#ops,@all', 'long for all', { ttlMs: 3_600_000 });
        // The @all messages are on alice's chain; an @all message of the layout before the chains, on a ref of its own.
        expect(refsOf(authority, 'refs/coordination/messages/bcast/')).toEqual(['refs/coordination/messages/bcast/alice']);
        expect(refsOf(authority, 'refs/coordination/messages/all/')).toEqual([]);
        const old = oldLayoutMessage(dir, remote, T, 60_000);
        now = T + 120_000;
        const before = (await new Messages(b).inbox({ mode: 'authority' })).map((m) => m.id);
        expect(before.sort()).toEqual([kept.id, longAll.id].sort());
        // Three gone: the old-layout ref, the direct delivery, and the expired message on the chain.
        expect((await ops.prune(a)).messages).toBe(3);
        expect(refsOf(authority, 'refs/coordination/messages/all/')).toEqual([]);
        expect(refsOf(authority, 'refs/coordination/messages/to/')).toHaveLength(1);
        // The chain is re-rooted: one parentless commit, the unexpired message.
        expect(gitSync(authority, 'rev-list', '--count', 'refs/coordination/messages/bcast/alice').trim()).toBe('1');
        expect((await new Messages(b).inbox({ mode: 'authority' })).map((m) => m.id).sort()).toEqual(before);
        expect(old).toMatch(/^m-/);
        await ma.send('@all', 'next');
        expect(ma.retries).toBeLessThanOrEqual(1);
        expect(gitSync(authority, 'rev-list', '--count', 'refs/coordination/messages/bcast/alice').trim()).toBe('2');
        // Every message expired: the chain goes.
        now = T + 30 * 86_400_000;
        await ops.prune(a);
        expect(refsOf(authority, 'refs/coordination/messages/bcast/')).toEqual([]);
      } finally {
        a.close();
        b.close();
      }
    });
  }

  it('agents.forget: none keeps every agent; a bad value is refused', async () => {
    const repo = makeRepo({ '.git-coord.yml': 'agents:\n  forget: none\n' });
    const { Coord, heartbeat } = await import('../src/index.js');
    const ops = await import('../src/operations/locks.js');
    const T = Date.now();
    const b = await Coord.open({ cwd: repo, agent: 'bob', env: ENV, now: () => T });
    const a = await Coord.open({ cwd: repo, agent: 'alice', env: ENV, now: () => T + 365 * 86_400_000 });
    try {
      await heartbeat(b);
      expect((await ops.prune(a)).agents).toEqual([]);
    } finally {
      a.close();
      b.close();
    }
    write(repo, { '.git-coord.yml': 'agents:\n  forget: soon\n' });
    await expect(Coord.open({ cwd: repo, agent: 'alice', env: ENV })).rejects.toThrow(/agents\.forget/);
  });
});
