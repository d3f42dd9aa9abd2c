/**
 * Hostile round 5: the remote's lock files (store/remote.ts noteRemoteLock, git/remote.ts
 * pushLeased) and finished tasks read by id (tasks/archive.ts pick). Real clones of a file://
 * hub, real processes; every directory is removed after each test (helpers' cleanup).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { clone, coord, coordAsync, defer, gitSync, makeHub } from './helpers.js';

describe('a deletion meets packed-refs.lock on the remote', () => {
  it('a packed-refs.lock held for a while (a pack-refs or gc --auto there) is a lost round, not a refusal: the unlock goes through once it goes', async () => {
    const { root, hub, url } = makeHub();
    const a = clone(root, url, 'alice');
    expect(coord(a, ['lock', 'src/a.ts']).code).toBe(0);
    const file = path.join(hub, 'packed-refs.lock');
    fs.writeFileSync(file, '');
    defer(() => fs.rmSync(file, { force: true }));
    // Held longer than the remote's git waits for it (1 s), then released, as a live git would.
    const run = coordAsync(a, ['unlock', 'src/a.ts']);
    setTimeout(() => fs.rmSync(file, { force: true }), 2500);
    const r = await run;
    expect(r.stderr).not.toMatch(/refused the update/);
    expect(r.code, r.stderr).toBe(0);
    expect(gitSync(hub, 'for-each-ref', '--format=%(refname)', 'refs/coordination/locks/')).toBe('');
  });

  it('a packed-refs.lock left for good: exit 1 naming it as a ref kept locked (as for a ref\'s own lock file)', () => {
    const { root, hub, url } = makeHub();
    const a = clone(root, url, 'alice');
    expect(coord(a, ['lock', 'src/a.ts']).code).toBe(0);
    const file = path.join(hub, 'packed-refs.lock');
    fs.writeFileSync(file, '');
    defer(() => fs.rmSync(file, { force: true }));
    const r = coord(a, ['unlock', 'src/a.ts']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/remote 'origin' keeps a ref locked: its file '[^']*packed-refs\.lock' has been there at every try/);
  });
});
