/**
 * Hostile raw pushes to the server hook's lock-ref audit, found by the hostile pass of issue 18.
 * The audit lets a held lock go only with a journal entry recording it; the journals themselves
 * can be deleted or rewound by a raw push, so the record can be erased right after (a break, then
 * the breaker's journal deleted: the held path freed with no record left), and any agent's history
 * can be dropped. templates/pre-receive.in now refuses both: git-coord only ever appends to a
 * journal (each entry's first parent is the one before), so a journal is never deleted or rewound.
 */
import { describe, expect, it } from 'vitest';
import { clone, coord, gitRun, gitSync, makeHub, refs } from './helpers.js';

function setup() {
  const { root, hub, url } = makeHub();
  expect(coord(hub, ['install-hooks']).code).toBe(0);
  return { hub, alice: clone(root, url, 'alice', true), bob: clone(root, url, 'bob', true) };
}

describe('hostile: journals under the server hook', () => {
  it("refuses a raw deletion or rewind of an agent's journal (the record a break rests on)", () => {
    const { hub, alice, bob } = setup();
    expect(coord(alice, ['lock', 'src/a.ts', '--reason', 'mine']).code).toBe(0);
    expect(coord(alice, ['lock', 'src/b.ts']).code).toBe(0);
    expect(coord(bob, ['unlock', 'src/a.ts', '--force', '--reason', 'x']).code).toBe(0);
    const journals = refs(hub, 'refs/coordination/journal/');
    expect(journals).toEqual(expect.arrayContaining(['refs/coordination/journal/alice', 'refs/coordination/journal/bob']));
    gitSync(bob, 'fetch', '-q', 'origin', '+refs/coordination/journal/*:refs/j/*');
    const del = gitRun(bob, ['push', '--no-verify', 'origin', ':refs/coordination/journal/bob']);
    const rewind = gitRun(bob, ['push', '--no-verify', 'origin', `+${gitSync(bob, 'rev-parse', 'refs/j/alice~1').trim()}:refs/coordination/journal/alice`]);
    expect(del.code).not.toBe(0);
    expect(rewind.code).not.toBe(0);
    expect(refs(hub, 'refs/coordination/journal/')).toEqual(journals);
  });
});
