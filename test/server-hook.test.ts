/**
 * The server hook and lock refs: no raw push frees a held path unrecorded, while every change
 * git-coord itself makes through the remote (lock, renew, unlock, a forced break, an expiry
 * takeover, prune) still passes; the common case stays in the shell.
 */
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { clone, coord, gitRun, gitSync, makeHub, refs, write } from './helpers.js';

const LOCKS = 'refs/coordination/locks/';

/** A hub with the server hook, and clones for alice and bob (hooks installed). */
function setup() {
  const { root, hub, url } = makeHub();
  expect(coord(hub, ['install-hooks']).code).toBe(0);
  return { root, hub, alice: clone(root, url, 'alice', true), bob: clone(root, url, 'bob', true) };
}

describe('the server hook and lock refs', () => {
  it("refuses a raw deletion or rewrite of another agent's held lock ref, and the lock stays", () => {
    const { hub, alice, bob } = setup();
    expect(coord(alice, ['lock', 'src/a.ts', '--reason', 'mine']).code).toBe(0);
    const [ref] = refs(hub, LOCKS);
    const held = gitSync(hub, 'rev-parse', ref!).trim();
    const del = gitRun(bob, ['push', '--no-verify', 'origin', `:${ref}`]);
    expect(del.code).not.toBe(0);
    expect(del.stderr).toContain("push refused by the server: it frees locks another agent holds, without git-coord's record of it");
    expect(del.stderr).toMatch(/src\/a\.ts: locked by alice, until \S+; deleted with no unlock, break or expiry in the same push/);
    expect(gitSync(hub, 'rev-parse', ref!).trim()).toBe(held);
    // A record of bob's own over it (a record, so the shell's first check takes it): refused too.
    gitSync(bob, 'fetch', '-q', 'origin', `+${ref}:refs/held`);
    const body = JSON.parse(gitSync(bob, 'log', '-1', '--format=%b', 'refs/held'));
    const forged = { ...body, expiresAt: '2000-01-01T00:00:00.000Z' };
    const empty = gitSync(bob, 'hash-object', '-t', 'tree', '-w', '/dev/null').trim();
    const rec = gitSync(bob, 'commit-tree', '-p', 'refs/held', '-m', `renew ${body.pattern}`, '-m', JSON.stringify(forged), empty).trim();
    const rewrite = gitRun(bob, ['push', '--no-verify', 'origin', `+${rec}:${ref}`]);
    expect(rewrite.code).not.toBe(0);
    expect(rewrite.stderr).toMatch(/src\/a\.ts: locked by alice, until \S+; rewritten with no unlock/);
    expect(gitSync(hub, 'rev-parse', ref!).trim()).toBe(held);
    // The held path stays held: bob's commit of it is refused by the server.
    write(bob, { 'src/a.ts': 'bob\n' });
    gitSync(bob, 'commit', '-q', '--no-verify', '-am', 'after the refused delete');
    expect(gitRun(bob, ['push', '--no-verify', 'origin', 'HEAD:main']).code).not.toBe(0);
  });

  it('passes every change git-coord records: lock, renew, unlock, a forced break, an expiry takeover, prune', async () => {
    const { hub, alice, bob } = setup();
    const ok = (dir: string, args: string[]) => {
      const r = coord(dir, args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    };
    ok(alice, ['lock', 'src/a.ts', '--reason', 'one']);
    ok(alice, ['lock', 'src/a.ts', '--reason', 'renewed']);
    ok(alice, ['renew', 'src/a.ts', '--ttl', '1h']);
    ok(alice, ['unlock', 'src/a.ts']);
    expect(refs(hub, LOCKS)).toEqual([]);
    ok(alice, ['lock', 'src/', '--reason', 'two']);
    ok(bob, ['unlock', '--force', '--reason', 'alice is gone', 'src/']);
    expect(refs(hub, LOCKS)).toEqual([]);
    // An expired lock taken over, and one pruned.
    ok(alice, ['lock', 'src/b.ts', '--ttl', '1s']);
    ok(alice, ['lock', 'docs/x.md', '--ttl', '1s']);
    await sleep(1500);
    ok(bob, ['lock', 'src/b.ts']);
    ok(bob, ['prune']);
    // A claim's locks, released when the task is done (recorded with the task's change).
    ok(alice, ['task', 'add', 'edit docs', '--id', 't1']);
    ok(alice, ['claim', 't1', '--lock', 'docs/']);
    ok(alice, ['task', 'done', 't1']);
    const log = coord(bob, ['log', '--fresh', '--json']);
    const actions = JSON.parse(log.stdout).map((e: any) => `${e.agent} ${e.action} ${e.subject}`);
    expect(actions).toEqual(expect.arrayContaining(['alice unlock src/a.ts', 'bob break src/', 'bob takeover src/b.ts', 'bob expire docs/x.md', 'alice unlock docs/']));
    expect(refs(hub, LOCKS)).toHaveLength(1);
  });

  it('takes a hand-made release only when its journal entry matches: a break by another agent, not an "unlock" by one', () => {
    const { hub, alice, bob } = setup();
    expect(coord(alice, ['lock', 'src/a.ts', '--reason', 'mine']).code).toBe(0);
    const [ref] = refs(hub, LOCKS);
    gitSync(bob, 'fetch', '-q', 'origin', `+${ref}:refs/held`);
    const held = JSON.parse(gitSync(bob, 'log', '-1', '--format=%b', 'refs/held'));
    const empty = gitSync(bob, 'hash-object', '-t', 'tree', '-w', '/dev/null').trim();
    const record = (parents: string[], subject: string, body: unknown) =>
      gitSync(bob, 'commit-tree', ...parents.flatMap((p) => ['-p', p]), '-m', subject, '-m', JSON.stringify(body), empty).trim();
    const at = new Date().toISOString();
    const join = record([], 'join bob', { v: 1, type: 'event', at, agent: 'bob', action: 'join', subject: 'bob' });
    const release = (action: string) => {
      const final = record(['refs/held'], `${action} src/a.ts`, { ...held, state: 'released', pendingUntil: null, event: { action, by: 'bob', at, reason: 'gone' } });
      const entry = record([join, final], `${action} src/a.ts`, { v: 1, type: 'event', at, agent: 'bob', action, subject: 'src/a.ts', reason: 'gone', other: 'alice' });
      return gitRun(bob, ['push', '--atomic', '--no-verify', 'origin', `:${ref}`, `+${entry}:refs/coordination/journal/bob`]);
    };
    const lie = release('unlock');
    expect(lie.code).not.toBe(0);
    expect(lie.stderr).toMatch(/src\/a\.ts: locked by alice, until \S+; deleted with no unlock, break or expiry in the same push/);
    expect(refs(hub, LOCKS)).toEqual([ref]);
    const brk = release('break');
    expect(brk.code, brk.stderr).toBe(0);
    expect(refs(hub, LOCKS)).toEqual([]);
    const log = JSON.parse(coord(alice, ['log', '--fresh', '--json']).stdout).map((e: any) => `${e.agent} ${e.action} ${e.subject}`);
    expect(log).toContain('bob break src/a.ts');
  });

  it('keeps the common case in the shell: a lock is granted with Node gone from the server, a release of a held lock then fails closed', () => {
    const { hub, alice } = setup();
    const hook = path.join(hub, 'hooks', 'pre-receive');
    const text = fs.readFileSync(hook, 'utf8');
    fs.writeFileSync(hook, text.replace(/^node=.*$/m, "node='/nonexistent/node'"));
    expect(coord(alice, ['lock', 'src/a.ts']).code).toBe(0);
    expect(refs(hub, LOCKS)).toHaveLength(1);
    const r = coord(alice, ['unlock', 'src/a.ts']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('is gone on the server');
    expect(refs(hub, LOCKS)).toHaveLength(1);
  });
});
