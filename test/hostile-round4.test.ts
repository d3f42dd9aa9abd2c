/**
 * Hostile pass of round 4 (issues 14 and 17): forged archives and chains pushed by hand, the
 * agents' shell edit hook fed crafted lock records, upkeep's edges. Each case is a real process
 * against real git: a hub with the server hook installed, clones pushing raw.
 */
import { describe, expect, it } from 'vitest';
import { clone, coord, gitRun, gitSync, makeHub, refs } from './helpers.js';

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
