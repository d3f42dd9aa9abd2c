/**
 * The operations (src/operations/), called as every face calls them: typed input, the contract's
 * JSON shapes out, argument rules thrown with `detail.code` (never a face's wording). Real git in
 * temporary repositories.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Coord } from '../src/session/coord.js';
import { CoordError, EXIT } from '../src/errors.js';
import * as locks from '../src/operations/locks.js';
import * as tasks from '../src/operations/tasks.js';
import * as messages from '../src/operations/messages.js';
import * as agents from '../src/operations/agents.js';
import * as session from '../src/operations/session.js';
import * as commits from '../src/operations/commits.js';
import * as hooks from '../src/operations/hooks.js';
import { gitSync, makeRepo, write } from './helpers.js';

const open: Coord[] = [];
afterEach(() => {
  for (const c of open.splice(0)) c.close();
});

async function as(dir: string, agent: string): Promise<Coord> {
  const ctx = await Coord.open({ cwd: dir, agent, writes: true });
  open.push(ctx);
  return ctx;
}

/** The error `run` throws: its exit code and detail. */
async function thrown(run: Promise<unknown>): Promise<{ exit: number; detail: Record<string, unknown>; message: string }> {
  try {
    await run;
  } catch (e) {
    if (!(e instanceof CoordError)) throw e;
    return { exit: e.exitCode, detail: e.detail, message: e.message };
  }
  throw new Error('did not throw');
}

describe('operations: locks', () => {
  it('lock, check, list, unlock: the contract shapes; a conflict is refused with its data', async () => {
    const dir = makeRepo({ 'src/a.ts': 'a\n' });
    const alice = await as(dir, 'alice');
    const bob = await as(dir, 'bob');
    const got = await locks.lock(alice, { patterns: ['src/'], reason: 'refactor', ttlMs: 30 * 60_000 });
    expect(got).toMatchObject({ ok: true, locks: [{ pattern: 'src/', kind: 'dir', agent: 'alice', reason: 'refactor' }] });
    expect(Date.parse(got.locks[0]!.expiresAt!) - Date.parse(got.locks[0]!.acquiredAt)).toBe(30 * 60_000);
    const refused = await thrown(locks.lock(bob, { patterns: ['src/a.ts'] }));
    expect(refused.exit).toBe(EXIT.refused);
    expect(refused.detail.conflicts).toMatchObject([{ path: 'src/a.ts', pattern: 'src/', agent: 'alice', reason: 'refactor' }]);
    expect(await locks.check(bob, { paths: ['src/a.ts'] })).toEqual({
      ok: false,
      conflicts: [{ path: 'src/a.ts', pattern: 'src/', agent: 'alice', reason: 'refactor', expiresAt: got.locks[0]!.expiresAt }],
    });
    expect(await locks.listLocks(bob, { mine: true })).toEqual([]);
    expect(await locks.unlock(alice, { all: true })).toMatchObject({ ok: true, locks: [{ pattern: 'src/' }] });
    expect(await locks.check(bob, { paths: ['src/a.ts'] })).toEqual({ ok: true, conflicts: [] });
  });

  it('argument rules carry their rule in detail.code, in no face\'s words', async () => {
    const dir = makeRepo();
    const ctx = await as(dir, 'alice');
    const cases: [Promise<unknown>, string][] = [
      [locks.unlock(ctx, {}), 'unlock-nothing-named'],
      [locks.unlock(ctx, { patterns: ['a'], all: true }), 'patterns-and-all'],
      [locks.unlock(ctx, { all: true, force: true, reason: 'x' }), 'force-with-all'],
      [locks.unlock(ctx, { patterns: ['a'], force: true }), 'force-needs-reason'],
    ];
    for (const [run, code] of cases) {
      const e = await thrown(run);
      expect(e.exit, code).toBe(EXIT.usage);
      expect(e.detail.code).toBe(code);
      expect(e.message, code).not.toMatch(/--/);
    }
  });

  it('a lock with a wait is refused after it, with the holder; granted at once when free', async () => {
    const dir = makeRepo();
    const alice = await as(dir, 'alice');
    const bob = await as(dir, 'bob');
    await locks.lock(alice, { patterns: ['x'] });
    const e = await thrown(locks.lock(bob, { patterns: ['x'], wait: 1_000 }));
    expect(e.exit).toBe(EXIT.refused);
    expect(e.detail.conflicts).toMatchObject([{ agent: 'alice' }]);
    expect(await locks.lock(bob, { patterns: ['y'], wait: 1_000 })).toMatchObject({ ok: true, locks: [{ pattern: 'y' }] });
    expect((await thrown(locks.lock(bob, { patterns: ['z'], wait: 10 }))).exit).toBe(EXIT.usage);
  });
});

describe('operations: tasks', () => {
  it('add, claim with locks, done; the claim rules carry their code', async () => {
    const dir = makeRepo();
    const lead = await as(dir, 'lead');
    const dev = await as(dir, 'dev');
    const t = await tasks.addTask(lead, { title: 'fix it', id: 'fix', priority: 1, labels: ['web'] });
    expect(t).toMatchObject({ id: 'fix', title: 'fix it', priority: 1, labels: ['web'], status: 'open', ready: true });
    for (const [input, code] of [
      [{ id: 'fix', next: true }, 'claim-id-and-next'],
      [{ next: true, locks: ['a'] }, 'claim-next-with-locks'],
      [{}, 'claim-nothing-named'],
      [{ id: 'fix', labels: ['web'] }, 'claim-labels-without-next'],
    ] as const) {
      expect((await thrown(tasks.claim(dev, input))).detail.code).toBe(code);
    }
    const claimed = await tasks.claim(dev, { id: 'fix', locks: ['src/'], ttlMs: 60_000 });
    expect(claimed).toMatchObject({ status: 'claimed', claimedBy: 'dev', locks: ['src/'] });
    expect((await thrown(tasks.doneTask(lead, { id: 'fix', force: true }))).detail.code).toBe('force-needs-reason');
    expect((await thrown(tasks.failTask(dev, { id: 'fix' }))).detail.code).toBe('fail-needs-reason');
    expect((await thrown(tasks.listTasks(dev, { status: 'nope' }))).detail).toMatchObject({ code: 'bad-status', value: 'nope' });
    expect(await tasks.doneTask(dev, { id: 'fix', note: 'done' })).toMatchObject({ status: 'done', note: 'done' });
    expect(await locks.listLocks(dev)).toEqual([]);
    expect(await tasks.listTasks(dev, { status: 'done' })).toMatchObject([{ id: 'fix' }]);
  });
});

describe('operations: messages', () => {
  it('send, inbox, ack, outbox; an inbox wait with nothing coming is refused; the ack rules carry their code', async () => {
    const dir = makeRepo();
    const alice = await as(dir, 'alice');
    const bob = await as(dir, 'bob');
    const sent = await messages.send(alice, { to: 'bob', text: 'hello', subject: 'hi', priority: 1, ack: true });
    expect(sent).toMatchObject({ from: 'alice', to: ['bob'], body: 'hello', subject: 'hi', priority: 1, ack: true });
    expect(await messages.inbox(bob, { wait: 1_000 })).toMatchObject([{ id: sent.id }]);
    expect((await thrown(messages.inbox(bob, { from: 'carol', wait: 1_000 }))).exit).toBe(EXIT.refused);
    expect((await thrown(messages.inbox(bob, { limit: 1.5 }))).detail).toMatchObject({ code: 'bad-count', field: 'n' });
    expect((await thrown(messages.ack(bob, {}))).detail.code).toBe('ack-nothing-named');
    expect((await thrown(messages.ack(bob, { ids: [sent.id], all: true }))).detail.code).toBe('ack-ids-and-all');
    expect(await messages.ack(bob, { ids: [sent.id] })).toMatchObject({ ok: true, acked: [{ id: sent.id }], already: [] });
    expect(await messages.inbox(bob)).toEqual([]);
    expect((await messages.outbox(alice))[0]!.acks).toEqual({ bob: expect.any(String) });
    const r = await thrown(messages.waitReply(alice, { sent, wait: 1_000 }));
    expect(r).toMatchObject({ exit: EXIT.refused, detail: { message: { id: sent.id } } });
  });
});

describe('operations: agents and session', () => {
  it('whoami, heartbeat, status, log', async () => {
    const dir = makeRepo();
    const ctx = await as(dir, 'alice');
    expect(await agents.whoami(ctx)).toEqual({ agent: 'alice' });
    expect(await agents.heartbeat(ctx, { role: 'reviewer' })).toMatchObject({ ok: true, id: 'alice', role: 'reviewer' });
    await locks.lock(ctx, { patterns: ['docs/'] });
    const board = await agents.status(ctx);
    expect(board).toMatchObject({ agent: 'alice', agents: [{ id: 'alice', role: 'reviewer', locks: [{ pattern: 'docs/' }] }] });
    expect((await session.log(ctx, { n: 5 }))[0]).toMatchObject({ agent: 'alice', action: 'lock', subject: 'docs/' });
    expect((await thrown(session.log(ctx, { n: 0 }))).detail.code).toBe('bad-count');
    expect(await session.sync(ctx)).toMatchObject({ ok: true, remote: null, locks: 1 });
  });
});

describe('operations: commits', () => {
  it('judges commits by their paths and trailers against the locks; staged changes too', async () => {
    const dir = makeRepo({ 'src/a.ts': 'a\n', 'docs/x.md': 'x\n' });
    const alice = await as(dir, 'alice');
    const bob = await as(dir, 'bob');
    await locks.lock(alice, { patterns: ['src/'], reason: 'mine' });
    const judged = await commits.judgeCommits(bob, [
      { oid: '1'.repeat(40), subject: 'by alice', agent: 'alice', paths: ['src/a.ts'] },
      { oid: '2'.repeat(40), subject: 'by bob', agent: 'bob', paths: ['src/a.ts', 'docs/x.md'] },
      { oid: '3'.repeat(40), subject: 'no trailer', agent: null, paths: ['docs/x.md'] },
      { oid: '4'.repeat(40), subject: 'bad trailer', agent: 'not valid!', paths: ['src/b.ts'] },
    ]);
    expect(judged.map((v) => [v.subject, v.author, v.conflict.path, v.conflict.agent])).toEqual([
      ['by bob', 'bob', 'src/a.ts', 'alice'],
      ['bad trailer', null, 'src/b.ts', 'alice'],
    ]);
    write(dir, { 'src/a.ts': 'changed\n' });
    gitSync(dir, 'add', 'src/a.ts');
    expect(await commits.stagedConflicts(bob)).toMatchObject([{ path: 'src/a.ts', agent: 'alice', reason: 'mine' }]);
    expect(await locks.check(bob, { staged: true })).toMatchObject({ ok: false, conflicts: [{ path: 'src/a.ts', agent: 'alice' }] });
    expect(await commits.stagedConflicts(alice)).toEqual([]);
  });
});

describe('operations: hooks', () => {
  it('installs the hooks that call the given runtime, and removes them', async () => {
    const dir = makeRepo();
    const ctx = await as(dir, 'alice');
    const rt = { node: "/opt/it's node", cli: '/x/cli.js', root: path.resolve(__dirname, '..') };
    const r = await hooks.installHooks(ctx, rt);
    expect(r).toMatchObject({ husky: false, server: false, installed: ['pre-commit', 'pre-merge-commit', 'prepare-commit-msg', 'pre-push'], chained: [] });
    const script = fs.readFileSync(path.join(r.dir, 'pre-commit'), 'utf8');
    // The one shell-quoting rule: a quote in a path does not end the string.
    expect(script).toContain(`/opt/it'\\''s node`);
    expect(await hooks.uninstallHooks(ctx)).toMatchObject({ removed: ['pre-commit', 'pre-merge-commit', 'prepare-commit-msg', 'pre-push'] });
  });
});
