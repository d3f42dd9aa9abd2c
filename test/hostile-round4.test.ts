/**
 * Hostile pass of round 4 (issues 14 and 17): forged archives and chains pushed by hand, the
 * agents' shell edit hook fed crafted lock records, upkeep's edges. Each case is a real process
 * against real git: a hub with the server hook installed, clones pushing raw.
 */
import { describe, expect, it } from 'vitest';
import { clone, coord, gitRun, gitSync, json, makeHub, refs } from './helpers.js';

function setup() {
  const { root, hub, url } = makeHub();
  expect(coord(hub, ['install-hooks']).code).toBe(0);
  return { hub, alice: clone(root, url, 'alice', true), bob: clone(root, url, 'bob', true) };
}

describe('hostile round 4: archives under the server hook', () => {
  it('refuses an archive ref pointed at a commit the hub already has that is no archive (a branch commit)', () => {
    const { hub, alice } = setup();
    const main = gitSync(alice, 'rev-parse', 'HEAD').trim();
    // The branch commit is on the hub already: it brings no new commit, so only its own tree says what it is.
    const r = gitRun(alice, ['push', '--no-verify', 'origin', `${main}:refs/coordination/tasks/archive/alice`]);
    expect(r.code, r.stderr).not.toBe(0);
    expect(refs(hub, 'refs/coordination/tasks/archive/')).toEqual([]);
  });
});

describe('hostile round 4: broadcast chains', () => {
  it("a ref pointed by hand at another sender's chain (or built on it) hides none of that sender's messages", () => {
    const { alice, bob } = setup();
    const as = (agent: string) => ({ GIT_COORD_AGENT: agent });
    expect(coord(bob, ['heartbeat'], as('bob')).code).toBe(0);
    expect(coord(alice, ['send', '@all', 'one'], as('alice')).code).toBe(0);
    expect(coord(alice, ['send', '@all', 'two'], as('alice')).code).toBe(0);
    const ids = () => json(coord(bob, ['inbox', '--fresh', '--json'], as('bob'))).map((m: any) => m.body).sort();
    expect(ids()).toEqual(['one', 'two']);
    const chain = 'refs/coordination/remotes/origin/messages/bcast/alice';
    gitSync(bob, 'fetch', '-q', 'origin', `+refs/coordination/messages/bcast/alice:${chain}`);
    const empty = gitSync(bob, 'hash-object', '-t', 'tree', '/dev/null').trim();
    // A name that sorts after the victim's, pointed at its head; then a commit of its own on the victim's older message.
    for (const target of [gitSync(bob, 'rev-parse', chain).trim(), gitSync(bob, 'commit-tree', empty, '-p', `${chain}~1`, '-m', 'x').trim()]) {
      const push = gitRun(bob, ['push', '--no-verify', '-f', 'origin', `${target}:refs/coordination/messages/bcast/zzz`]);
      expect(push.code, push.stderr).toBe(0);
      expect(ids()).toEqual(['one', 'two']);
    }
    // The reader acknowledges both and moves on; the forged ref changes nothing.
    const listed = json(coord(bob, ['inbox', '--fresh', '--json'], as('bob'))).map((m: any) => m.id);
    expect(coord(bob, ['ack', ...listed], as('bob')).code).toBe(0);
    expect(json(coord(bob, ['inbox', '--fresh', '--json'], as('bob')))).toEqual([]);
    expect(coord(alice, ['send', '@all', 'three'], as('alice')).code).toBe(0);
    expect(ids()).toEqual(['three']);
  });
});
