/**
 * Hostile pass of round 4 (issues 14 and 17): forged archives and chains pushed by hand, the
 * agents' shell edit hook fed crafted lock records, upkeep's edges. Each case is a real process
 * against real git: a hub with the server hook installed, clones pushing raw.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, ENV, clone, coord, gitRun, gitSync, json, makeHub, makeRepo, refs, tmpdir } from './helpers.js';
import { renderAgentHook } from '../src/operations/agent-hook-script.js';

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

describe('hostile round 4: raw pushes that erase finished tasks', () => {
  it("refuses a raw deletion or rewind of an agent's archive of finished tasks", () => {
    const { hub, alice, bob } = setup();
    for (const id of ['a', 'b']) {
      expect(coord(alice, ['task', 'add', id, '--id', id]).code).toBe(0);
      expect(coord(alice, ['claim', id]).code).toBe(0);
      expect(coord(alice, ['task', 'done', id]).code).toBe(0);
    }
    const arch = 'refs/coordination/tasks/archive/alice';
    const before = gitSync(hub, 'rev-parse', arch).trim();
    gitSync(bob, 'fetch', '-q', 'origin', `+${arch}:refs/a/alice`);
    const del = gitRun(bob, ['push', '--no-verify', 'origin', `:${arch}`]);
    const rewind = gitRun(bob, ['push', '--no-verify', 'origin', `+${gitSync(bob, 'rev-parse', 'refs/a/alice~1').trim()}:${arch}`]);
    expect(del.code).not.toBe(0);
    expect(rewind.code).not.toBe(0);
    expect(del.stderr).toMatch(/refusing to delete or rewind/);
    expect(gitSync(hub, 'rev-parse', arch).trim()).toBe(before);
    expect(json(coord(bob, ['task', 'list', '--status', 'done', '--fresh', '--json'])).map((t: any) => t.id).sort()).toEqual(['a', 'b']);
    // What git-coord itself does to an archive still passes: a reopen by another agent, a new finish.
    expect(coord(bob, ['task', 'reopen', 'a']).code).toBe(0);
    expect(coord(bob, ['claim', 'a']).code).toBe(0);
    expect(coord(bob, ['task', 'done', 'a']).code).toBe(0);
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

describe('hostile round 4: a git killed while it held packed-refs.lock', () => {
  it('blocks deletions (unlock, done) no longer than a minute: a stale packed-refs.lock is removed as a stale ref lock is', () => {
    const dir = makeRepo();
    const A = { GIT_COORD_AGENT: 'alice' };
    expect(coord(dir, ['lock', 'a.txt'], A).code).toBe(0);
    const lock = path.join(dir, '.git', 'packed-refs.lock');
    fs.writeFileSync(lock, '');
    const old = new Date(Date.now() - 120_000);
    fs.utimesSync(lock, old, old);
    const r = coord(dir, ['unlock', 'a.txt'], A);
    expect(r.code, r.stderr).toBe(0);
    expect(fs.existsSync(lock)).toBe(false);
  });
});

describe('hostile round 4: a chain dated near the end of time', () => {
  it('a send after a head dated 9999-12-31 is refused, never written as a record nobody can read', () => {
    const dir = makeRepo();
    const A = { GIT_COORD_AGENT: 'alice' };
    expect(coord(dir, ['send', '@all', 'one'], A).code).toBe(0);
    const chain = 'refs/coordination/messages/bcast/alice';
    const rec = JSON.parse(gitSync(dir, 'log', '-1', '--format=%b', chain).trim());
    const forged = { ...rec, id: 'm-zzzzzzzz-000000000000', sentAt: '9999-12-31T23:59:59.999Z', expiresAt: null };
    const empty = gitSync(dir, 'hash-object', '-t', 'tree', '/dev/null').trim();
    gitSync(dir, 'update-ref', chain, gitSync(dir, 'commit-tree', empty, '-p', chain, '-m', 'message', '-m', JSON.stringify(forged)).trim());
    const head = gitSync(dir, 'rev-parse', chain).trim();
    const sent = coord(dir, ['send', '@all', 'two'], A);
    expect(sent.code).toBe(1);
    expect(sent.stderr).toMatch(/cannot send on refs\/coordination\/messages\/bcast\/alice: its newest message is dated 9999-12-31T23:59:59.999Z/);
    expect(gitSync(dir, 'rev-parse', chain).trim()).toBe(head);
    const inbox = coord(dir, ['inbox', '--json'], { GIT_COORD_AGENT: 'bob' });
    expect(inbox.stderr).not.toMatch(/unreadable/);
  });
});

describe("hostile round 4: the agents' shell edit hook and crafted lock records", () => {
  it('never denies where Node would not, nor in other words, whatever the record on the path\'s lock ref', () => {
    const dir = fs.realpathSync(makeRepo({ 'README.md': 'x\n', 'src/a.ts': 'a\n' }));
    const script = path.join(tmpdir('agent-hook'), 'agent-pre-tool-use');
    fs.writeFileSync(script, renderAgentHook({ node: process.execPath, cli: CLI, root: path.resolve(path.dirname(CLI), '..') }), { mode: 0o755 });
    expect(coord(dir, ['lock', '--ttl', '1d', 'src/a.ts'], { GIT_COORD_AGENT: 'other' }).code).toBe(0);
    const ref = gitSync(dir, 'for-each-ref', '--format=%(refname)', 'refs/coordination/locks/p-src/p-a_2ets/').trim();
    const body = JSON.parse(gitSync(dir, 'for-each-ref', '--format=%(contents:body)', ref).trim());
    const input = JSON.stringify({ session_id: 's', hook_event_name: 'PreToolUse', cwd: dir, tool_name: 'Edit', tool_input: { file_path: 'src/a.ts', old_string: 'a', new_string: 'b' } });
    const env = { ...ENV, GIT_COORD_AGENT: 'me' };
    const empty = gitSync(dir, 'hash-object', '-t', 'tree', '/dev/null').trim();
    const forge = (message: string, at = ref, tree = empty) => {
      for (const r of gitSync(dir, 'for-each-ref', '--format=%(refname)', 'refs/coordination/locks/p-src/p-a_2ets/').split('\n').filter(Boolean)) gitSync(dir, 'update-ref', '-d', r);
      gitSync(dir, 'update-ref', at, gitSync(dir, 'commit-tree', tree, '-m', message).trim());
    };
    const blobTree = () => {
      const blob = gitSync(dir, 'hash-object', '-w', '--stdin').trim();
      return spawnSync('git', ['mktree'], { cwd: dir, input: `100644 blob ${blob}\tf\n`, encoding: 'utf8' }).stdout.trim();
    };
    const line = (r: unknown) => `lock\n\n${JSON.stringify(r)}`;
    const cases: [string, () => void][] = [
      ['as written', () => forge(line(body))],
      ['token 0', () => forge(line({ ...body, token: 0 }))],
      ['a one-digit nonce', () => forge(line({ ...body, ticket: { ...body.ticket, nonce: 'a' } }))],
      ['ttlMs 1', () => forge(line({ ...body, ttlMs: 1 }))],
      ['ttlMs null', () => forge(line({ ...body, ttlMs: null }))],
      ['acquired after it expires', () => forge(line({ ...body, acquiredAt: '2999-01-01T00:00:00.000Z' }))],
      ['the holder named in capitals of me', () => forge(line({ ...body, agent: 'ME' }))],
      ['by another agent', () => forge(line({ ...body, event: { ...body.event, by: 'third' } }))],
      ['a ref name that is not the pattern\'s', () => forge(line(body), ref.replace(/l-[0-9a-f]+$/, 'l-0123456789'))],
      ['a commit with a tree', () => forge(line(body), ref, blobTree())],
      ['a subject of two lines', () => forge(`lock\nmore\n\n${JSON.stringify(body)}`)],
      ['the JSON as subject', () => forge(JSON.stringify(body))],
      ['a trailer after the record', () => forge(`${line(body)}\n\nCoord-Agent: other`)],
      ['the record on a tag', () => {
        forge(line(body));
        const tag = spawnSync('git', ['mktag'], { cwd: dir, input: `object ${gitSync(dir, 'rev-parse', ref).trim()}\ntype commit\ntag t\ntagger x <x@y> 0 +0000\n\nt\n`, encoding: 'utf8' }).stdout.trim();
        gitSync(dir, 'update-ref', ref, tag);
      }],
    ];
    for (const [what, make] of cases) {
      make();
      const node = spawnSync(process.execPath, [CLI, 'hook', 'claude'], { cwd: dir, env, input, encoding: 'utf8' });
      const sh = spawnSync('sh', [script, 'claude'], { cwd: dir, env, input, encoding: 'utf8' });
      expect({ what, code: sh.status, stdout: sh.stdout }).toEqual({ what, code: node.status, stdout: node.stdout });
      if (what === 'as written') expect(sh.stdout).toContain('"deny"');
    }
  }, 600_000);
});
