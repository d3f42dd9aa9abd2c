/**
 * `git-coord mcp`, driven by the MCP SDK's own client over stdio against real repositories, with
 * other agents acting through the CLI at the same time.
 */
import fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { describe, expect, it } from 'vitest';
import { CLI, ENV, clone, coord, coordAsync, gitSync, json, makeHub, makeRepo, refs, write, defer } from './helpers.js';

/** The whole list of tool definitions stays under this, serialised, with every tool there will be. */
const LIST_LIMIT = 6_000;
/** Planned tools: check, lock, unlock, status; task list/claim/done/fail/release/add/edit/comment; send/reply/inbox/ack. */
const PLANNED_TOOLS = 16;

const B = { GIT_COORD_AGENT: 'bob' };

function repo(): string {
  const dir = makeRepo({ 'src/a.ts': 'a\n', 'README.md': 'r\n' });
  return dir;
}

async function server(cwd: string, env: NodeJS.ProcessEnv = { GIT_COORD_AGENT: 'mcp-agent' }, args: string[] = []) {
  const client = new Client({ name: 'test', version: '1' });
  await client.connect(new StdioClientTransport({ command: process.execPath, args: [CLI, ...args, 'mcp'], cwd, env: { ...ENV, ...env } as Record<string, string>, stderr: 'pipe' }));
  defer(() => client.close());
  const call = async (name: string, args: Record<string, unknown> = {}) => {
    const r = (await client.callTool({ name, arguments: args })) as { content: { type: string; text: string }[]; isError?: boolean };
    return { text: r.content.map((c) => c.text).join('\n'), isError: Boolean(r.isError) };
  };
  return { client, call };
}

describe('mcp: the tool list', () => {
  it(`the tools so far take no more than their share of ${LIST_LIMIT} characters for ${PLANNED_TOOLS} tools; one-line descriptions`, async () => {
    const { client } = await server(repo());
    const list = await client.listTools();
    const names = list.tools.map((t) => t.name);
    expect(names).toEqual(['check', 'lock', 'unlock', 'status', 'send', 'reply', 'inbox', 'ack', 'tasks', 'claim', 'task_done', 'task_fail', 'task_release', 'task_add', 'task_edit', 'task_comment']);
    const size = JSON.stringify(list).length;
    expect(size).toBeLessThan(LIST_LIMIT);
    // Each tool added must keep this true, so that all of them fit.
    expect(size).toBeLessThanOrEqual(names.length * Math.floor(LIST_LIMIT / PLANNED_TOOLS));
    // What a client with deferred tools sees first: the instructions name locks, tasks and messages.
    expect(client.getInstructions()).toMatch(/lock[\s\S]*tasks[\s\S]*claim[\s\S]*inbox/i);
    // Bounds are in the words too (some clients strip minimum/maximum).
    expect(JSON.stringify(list.tools.find((t) => t.name === 'send'))).toContain('0-4');
    const readOnly = ['check', 'status', 'inbox', 'tasks'];
    for (const t of list.tools) {
      // Annotations: Codex runs a tool without asking when it only reads, or destroys nothing and stays inside.
      expect(t.annotations, t.name).toEqual(readOnly.includes(t.name) ? { readOnlyHint: true, openWorldHint: false } : { destructiveHint: false, openWorldHint: false });
      expect(t.description, t.name).toMatch(/^[^\n]{10,110}$/);
      expect(JSON.stringify(t), t.name).not.toContain('$schema');
    }
    // Arguments are named as on the command line.
    const props = (name: string) => Object.keys(list.tools.find((t) => t.name === name)!.inputSchema.properties ?? {});
    expect(props('lock')).toEqual(['patterns', 'reason', 'ttl', 'wait']);
    expect(props('send')).toEqual(['to', 'text', 'subject', 'priority', 'ttl', 'ack', 'thread']);
    expect(props('reply')).toEqual(['id', 'text', 'all', 'subject', 'priority', 'ttl', 'ack']);
    expect(props('inbox')).toEqual(['all', 'from', 'thread', 'channel', 'n', 'wait']);
    expect(props('ack')).toEqual(['ids', 'all']);
    expect(props('claim')).toEqual(['id', 'next', 'label', 'lock', 'ttl']);
    // The rules come from the records' zod rules: the priority range, the task statuses.
    const field = (name: string, arg: string) => (list.tools.find((t) => t.name === name)!.inputSchema.properties as Record<string, unknown>)[arg];
    expect(field('send', 'priority')).toMatchObject({ type: 'integer', minimum: 0, maximum: 4 });
    expect(field('tasks', 'status')).toMatchObject({ enum: ['open', 'claimed', 'done', 'failed'] });
  });
});

describe('mcp: start-up of other commands', () => {
  it('only `git-coord mcp` loads the SDK and zod\'s classic API; other commands never do', () => {
    const dir = repo();
    const loaded = (args: string[]) => {
      const r = spawnSync(process.execPath, [CLI, ...args], { cwd: dir, env: { ...ENV, NODE_DEBUG: 'module', GIT_COORD_AGENT: 'alice' }, encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      return [...r.stderr.matchAll(/^MODULE \d+: (?:load|looking for) "([^"]+)"/gm)].map((m) => m[1]!);
    };
    for (const args of [['lock', 'a.txt'], ['status'], ['prime'], ['send', 'bob', 'hi'], ['inbox']]) {
      expect(loaded(args).filter((m) => /@modelcontextprotocol|zod\/v4/.test(m)), args.join(' ')).toEqual([]);
    }
    // And the server does load it (from node_modules, on demand: at the first request its front does not answer).
    const input = `${JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' })}\n`;
    const r = spawnSync(process.execPath, [CLI, 'mcp'], { cwd: dir, env: { ...ENV, NODE_DEBUG: 'module', GIT_COORD_AGENT: 'alice' }, input, encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).toMatch(/@modelcontextprotocol\/server/);
  });
});

describe('mcp: locks and the board', () => {
  it('locks, shows the board, checks and unlocks, as the agent named in the environment; the CLI sees the same state', async () => {
    const dir = repo();
    const { call } = await server(dir);
    const locked = await call('lock', { patterns: ['src/'], reason: 'refactor', ttl: '30m' });
    expect(locked).toMatchObject({ isError: false });
    expect(locked.text).toMatch(/^locked src\/ {2}mcp-agent {2}until .* "refactor"$/);
    const list = json(coord(dir, ['locks', '--json']));
    expect(list).toMatchObject([{ pattern: 'src/', agent: 'mcp-agent', reason: 'refactor' }]);
    expect(Date.parse(list[0].expiresAt) - Date.parse(list[0].acquiredAt)).toBe(30 * 60_000);
    coord(dir, ['lock', 'README.md', '--reason', 'docs'], B);
    const board = await call('status');
    expect(board.text).toMatch(/you are mcp-agent/);
    expect(board.text).toMatch(/bob: 1 lock[^\n]*\n {2}README\.md/);
    expect(await call('check', { paths: ['src/a.ts'] })).toEqual({ isError: false, text: 'ok: nothing you named is held by another agent' });
    const held = await call('check', { paths: ['README.md', 'src/a.ts'] });
    expect(held.isError).toBe(true);
    expect(held.text).toMatch(/^README\.md: locked by bob as README\.md \("docs"\), until 20/);
    expect(held.text).toMatch(/\nNext: .*lock \{"patterns":\["README\.md"\],"wait":"10m"\}/);
    expect(await call('unlock', { all: true })).toEqual({ isError: false, text: 'unlocked src/' });
    expect(json(coord(dir, ['locks', '--json']))).toMatchObject([{ agent: 'bob' }]);
  });

  it('a refusal is a tool error naming holder, reason, expiry and the next step; nothing is written', async () => {
    const dir = repo();
    coord(dir, ['lock', 'src/', '--reason', 'auth rewrite'], B);
    const before = refs(dir);
    const { call } = await server(dir);
    const r = await call('lock', { patterns: ['src/a.ts', 'other.txt'] });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(/^cannot lock: held by another agent\n {2}src\/a\.ts: locked by bob as src\/ \(auth rewrite\), until 20/);
    expect(r.text).toMatch(/\nNext: work on something else, or wait for it: lock \{"patterns":\["src\/a\.ts"\],"wait":"10m"\}; if bob is gone for good, break it \(recorded\): unlock \{"patterns":\["src\/"\],"force":true,"reason":"<why>"\}$/);
    expect(refs(dir)).toEqual(before);
    const notMine = await call('unlock', { patterns: ['src/'] });
    expect(notMine.isError).toBe(true);
    expect(notMine.text).toMatch(/not held by you[^]*held by bob/);
    // The refusal's own next step works: break it, with a reason, recorded.
    expect(await call('unlock', { patterns: ['src/'], force: true, reason: 'bob left' })).toMatchObject({ isError: false });
    expect(json(coord(dir, ['log', '--json']))[0]).toMatchObject({ agent: 'mcp-agent', action: 'break', subject: 'src/', reason: 'bob left', other: 'bob' });
  });

  it('bad arguments are errors, never crashes: the server answers every later call', async () => {
    const dir = repo();
    const { client, call } = await server(dir);
    const bad: [string, Record<string, unknown>][] = [
      ['lock', {}],
      ['lock', { patterns: 'src/' }],
      ['lock', { patterns: [] }],
      ['lock', { patterns: [42] }],
      ['lock', { patterns: ['../outside'] }],
      ['lock', { patterns: ['.git/config'] }],
      ['lock', { patterns: ['a\nb'] }],
      ['lock', { patterns: ['a'], ttl: 'soon' }],
      ['lock', { patterns: ['a'], wait: 'forever' }],
      ['unlock', {}],
      ['unlock', { patterns: ['a'], force: true }],
      ['check', { paths: null }],
      ['status', { extra: { deeply: ['nested'] } }],
    ];
    for (const [name, args] of bad) {
      const r = await call(name, args);
      if (name === 'status') expect(r.isError, JSON.stringify(args)).toBe(false);
      else {
        expect(r.isError, `${name} ${JSON.stringify(args)}`).toBe(true);
        expect(r.text, `${name} ${JSON.stringify(args)}`).not.toMatch(/\n\s+at /);
      }
    }
    await expect(client.callTool({ name: 'no-such-tool', arguments: {} })).rejects.toThrow(/no-such-tool/);
    expect(refs(dir)).toEqual([]);
    expect(await call('lock', { patterns: ['src/a.ts'] })).toMatchObject({ isError: false });
  });

  it('with no identity, a change is an error saying how to set one', async () => {
    const dir = repo();
    const { call } = await server(dir, {});
    const r = await call('lock', { patterns: ['src/a.ts'] });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(/^bad arguments: no agent id: .*whoami --set/);
    // The worktree's identity, set while the server runs, is used on the next call.
    coord(dir, ['whoami', '--set', 'wt-agent']);
    expect((await call('lock', { patterns: ['src/a.ts'] })).text).toMatch(/wt-agent/);
  });

  it('--agent on the server command line names the agent', async () => {
    const dir = repo();
    const { call } = await server(dir, {}, ['--agent', 'flagged']);
    expect((await call('lock', { patterns: ['x'] })).text).toMatch(/ flagged /);
  });
});

describe('mcp: one long-lived session', () => {
  it('re-reads the config when it changes: a new default lease applies to the next lock; an invalid file is an error until fixed', async () => {
    const dir = repo();
    const { call } = await server(dir);
    await call('lock', { patterns: ['one'] });
    write(dir, { '.git-coord.yml': 'ttl: 5m\n' });
    await call('lock', { patterns: ['two'] });
    const two = json(coord(dir, ['locks', '--json'])).find((l: { pattern: string }) => l.pattern === 'two');
    expect(Date.parse(two.expiresAt) - Date.parse(two.acquiredAt)).toBe(5 * 60_000);
    write(dir, { '.git-coord.yml': 'ttl: [\n' });
    const bad = await call('lock', { patterns: ['three'] });
    expect(bad).toMatchObject({ isError: true });
    expect(bad.text).toMatch(/invalid \.git-coord\.yml/);
    write(dir, { '.git-coord.yml': 'ttl: 2h\n' });
    expect(await call('lock', { patterns: ['three'] })).toMatchObject({ isError: false });
  });

  it('lock with wait: granted once the CLI agent releases, while other calls are still answered', async () => {
    const dir = repo();
    coord(dir, ['lock', 'src/'], B);
    const { call } = await server(dir);
    const waiting = call('lock', { patterns: ['src/a.ts'], wait: '30s' });
    // The session is not held by the waiting call.
    expect((await call('status')).text).toMatch(/bob: 1 lock/);
    expect(await call('lock', { patterns: ['README.md'] })).toMatchObject({ isError: false });
    expect(coord(dir, ['unlock', 'src/'], B).code).toBe(0);
    expect(await waiting).toMatchObject({ isError: false, text: expect.stringMatching(/^locked src\/a\.ts/) });
  });

  it('lock with wait on a held path is one waiting request: at most 2 updates under refs/coordination/ (its pending write and its withdrawal), as `lock --wait`', async () => {
    const dir = repo();
    coord(dir, ['lock', 'src/'], B);
    // git's reference-transaction hook sees every ref update this repository commits: count them.
    const count = path.join(dir, '.git', 'coordination-updates');
    const hook = path.join(dir, '.git', 'hooks', 'reference-transaction');
    fs.mkdirSync(path.dirname(hook), { recursive: true });
    fs.writeFileSync(hook, `#!/bin/sh\n[ "$1" = committed ] || { cat >/dev/null; exit 0; }\ngrep ' refs/coordination/' >> '${count}' || true\n`, { mode: 0o755 });
    const updates = () => (fs.existsSync(count) ? fs.readFileSync(count, 'utf8').split('\n').filter(Boolean) : []);
    const { call } = await server(dir);
    const r = await call('lock', { patterns: ['src/a.ts'], wait: '4s' });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(/locked by bob/);
    const viaTool = updates();
    expect(viaTool.length, viaTool.join('\n')).toBeGreaterThan(0);
    expect(viaTool.length, viaTool.join('\n')).toBeLessThanOrEqual(2);
    fs.rmSync(count);
    expect(coord(dir, ['lock', 'src/a.ts', '--wait', '4s'], { GIT_COORD_AGENT: 'carol' }).code).toBe(3);
    expect(updates().length).toBeLessThanOrEqual(2);
  });

  it('lock with a short wait still held: refused after the wait', async () => {
    const dir = repo();
    coord(dir, ['lock', 'src/'], B);
    const { call } = await server(dir);
    const r = await call('lock', { patterns: ['src/a.ts'], wait: '1s' });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(/locked by bob/);
  });

  it('races a CLI agent for the same paths: exactly one of them holds each, every round', async () => {
    const dir = repo();
    const { call } = await server(dir);
    for (let round = 0; round < 6; round++) {
      const pattern = round % 2 ? `race/${round}/` : `race/${round}.txt`;
      const [viaMcp, viaCli] = await Promise.all([call('lock', { patterns: [pattern] }), coordAsync(dir, ['lock', pattern], B)]);
      expect([viaMcp.isError, viaCli.code !== 0].filter((lost) => !lost), `round ${round}`).toHaveLength(1);
      const held = json(coord(dir, ['locks', '--json'])).filter((l: { pattern: string }) => l.pattern === pattern);
      expect(held).toHaveLength(1);
      expect(held[0].agent).toBe(viaMcp.isError ? 'bob' : 'mcp-agent');
    }
  });
});

describe('mcp: messages', () => {
  const inboxOf = (dir: string, env = B) => json(coord(dir, ['inbox', '--json'], env));

  it('sends to a CLI agent, reads its reply, acknowledges it; the CLI sees the same messages', async () => {
    const dir = repo();
    const { call } = await server(dir);
    const sent = await call('send', { to: 'bob', text: 'may I take src/?', subject: 'src', priority: 1, ack: true });
    expect(sent).toMatchObject({ isError: false, text: expect.stringMatching(/^m-[a-z0-9]+-[0-9a-f]+$/) });
    const got = inboxOf(dir);
    expect(got).toMatchObject([{ id: sent.text, from: 'mcp-agent', to: ['bob'], subject: 'src', body: 'may I take src/?', priority: 1, ack: true }]);
    // `-` is the text itself here: the server's stdin carries the protocol, never a message.
    const dash = await call('send', { to: 'bob', text: '-', thread: sent.text });
    expect(dash.isError).toBe(false);
    expect(inboxOf(dir).find((m: { id: string }) => m.id === dash.text)).toMatchObject({ body: '-', thread: sent.text });

    const reply = json(coord(dir, ['reply', sent.text, 'yes, take it\n\x1b[31mfake line', '--json'], B));
    const inbox = await call('inbox', {});
    expect(inbox.isError).toBe(false);
    expect(inbox.text).toContain(`${reply.id}  p2  from bob to mcp-agent`);
    expect(inbox.text).toContain(`thread ${sent.text}, reply to ${sent.text}`);
    // Another agent's text cannot forge lines of the answer.
    expect(inbox.text).toContain('  | yes, take it\n  | \\x1b[31mfake line');
    expect(inbox.text).not.toContain('\x1b');
    expect(await call('reply', { id: reply.id, text: 'thanks', all: true })).toMatchObject({ isError: false });
    expect(inboxOf(dir).map((m: { body: string }) => m.body)).toEqual(['may I take src/?', '-', 'thanks']);

    expect(await call('ack', { ids: [reply.id] })).toEqual({ isError: false, text: `acknowledged ${reply.id}` });
    expect(await call('ack', { ids: [reply.id] })).toEqual({ isError: false, text: `already acknowledged ${reply.id}` });
    expect(await call('inbox', {})).toEqual({ isError: false, text: 'no messages' });
    expect((await call('inbox', { all: true })).text).toContain(`${reply.id}  p2  from bob to mcp-agent`);
    // bob's acknowledgement of the first message reaches the MCP agent's outbox.
    coord(dir, ['ack', sent.text], B);
    expect(json(coord(dir, ['outbox', '--json'], { GIT_COORD_AGENT: 'mcp-agent' })).find((m: { id: string }) => m.id === sent.text).acks).toEqual({ bob: expect.any(String) });
  });

  it('inbox with wait: answers when a concurrent CLI process sends, while other calls are still answered', async () => {
    const dir = repo();
    const { call } = await server(dir);
    const waiting = call('inbox', { wait: '30s' });
    // The session is not held by the waiting call.
    expect(await call('send', { to: 'bob', text: 'meanwhile' })).toMatchObject({ isError: false });
    expect((await call('status')).text).toMatch(/you are mcp-agent/);
    const sent = await coordAsync(dir, ['send', 'mcp-agent', 'ping from the CLI', '--priority', '0'], B);
    expect(sent.code, sent.stderr).toBe(0);
    const r = await waiting;
    expect(r.isError).toBe(false);
    expect(r.text).toContain(`${sent.stdout.trim()}  p0  from bob to mcp-agent`);
    expect(r.text).toContain('  | ping from the CLI');
    // A message already there answers at once; none within the wait is refused, as `inbox --wait` is.
    expect((await call('inbox', { wait: '30s', from: 'bob' })).text).toContain('ping from the CLI');
    expect(await call('inbox', { wait: '1s', from: 'carol' })).toEqual({ isError: true, text: 'no message arrived within 1s' });
  });

  it('refusals and bad arguments are errors, never crashes; nothing is written', async () => {
    const dir = repo();
    const { client, call } = await server(dir);
    const bad: [string, Record<string, unknown>, RegExp][] = [
      ['send', { to: 'bob' }, /text/],
      ['send', { to: 'bob', text: '' }, /^bad arguments: .*empty/],
      ['send', { to: 'not an id!', text: 'x' }, /^bad arguments: /],
      ['send', { to: 'bob', text: 'x', priority: 7 }, /priority/],
      ['send', { to: 'bob', text: 'x', ttl: 'soon' }, /^bad arguments: .*ttl/],
      ['send', { to: 'bob', text: 'x'.repeat(65 * 1024) }, /^bad arguments: /],
      ['send', { to: 'bob', text: 'x', thread: '../x' }, /^bad arguments: /],
      ['reply', { id: 'm-nope-000000000000', text: 'x' }, /^cannot reply: no message m-nope-000000000000/],
      ['reply', { id: '--all', text: 'x' }, /^bad arguments: /],
      ['inbox', { wait: 'forever' }, /^bad arguments: .*wait/],
      ['inbox', { n: 0 }, /n/],
      // The tool names its own argument (`n`), as the command line names its flag (`-n`).
      ['inbox', { n: 1.5 }, /^bad arguments: bad n: 1\.5/],
      ['inbox', { from: '../x' }, /^bad arguments: /],
      ['inbox', { channel: 'a b' }, /^bad arguments: /],
      ['ack', {}, /^bad arguments: give the ids/],
      ['ack', { ids: ['m-x'], all: true }, /^bad arguments: /],
      ['ack', { ids: ['m-nope-000000000000'] }, /^cannot acknowledge: not addressed to you/],
      ['ack', { ids: ['--all'] }, /^bad arguments: /],
    ];
    for (const [name, args, text] of bad) {
      const r = await call(name, args);
      expect(r.isError, `${name} ${JSON.stringify(args).slice(0, 80)}`).toBe(true);
      expect(r.text, `${name} ${JSON.stringify(args).slice(0, 80)}`).toMatch(text);
      expect(r.text).not.toMatch(/\n\s+at /);
    }
    expect(refs(dir)).toEqual([]);
    // No identity: a send says how to set one.
    const anon = await server(dir, {});
    expect((await anon.call('send', { to: 'bob', text: 'x' })).text).toMatch(/^bad arguments: no agent id: .*whoami --set/);
    expect(await call('send', { to: 'bob', text: 'still here' })).toMatchObject({ isError: false });
    await expect(client.listTools()).resolves.toBeTruthy();
  });
});

describe('mcp: a remote decides', () => {
  it('locks through the remote, as the CLI does; an agent in another clone is refused', async () => {
    const { root, hub, url } = makeHub('remote: origin\n', { 'src/a.ts': 'a\n' });
    const seed = path.join(root, 'mine');
    gitSync(root, 'clone', '-q', url, seed);
    const other = path.join(root, 'other');
    gitSync(root, 'clone', '-q', `file://${hub}`, other);
    const { call } = await server(seed);
    expect(await call('lock', { patterns: ['src/'], reason: 'remote' })).toMatchObject({ isError: false });
    expect(gitSync(hub, 'for-each-ref', '--format=%(refname)', 'refs/coordination/locks/')).toMatch(/refs\/coordination\/locks\//);
    const refused = coord(other, ['lock', 'src/a.ts'], B);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/mcp-agent/);
    coord(other, ['lock', 'docs/', '--reason', 'docs'], B);
    const r = await call('lock', { patterns: ['docs/x.md'] });
    expect(r).toMatchObject({ isError: true });
    expect(r.text).toMatch(/locked by bob as docs\/ \(docs\)/);
  });

  it('inbox with wait asks the remote: a message sent from another clone arrives; sends go through the remote', async () => {
    const { root, url, hub } = makeHub();
    const mine = clone(root, url, 'mcp-agent');
    const other = clone(root, url, 'bob');
    const { call } = await server(mine, {});
    const waiting = call('inbox', { wait: '30s' });
    expect((await call('send', { to: 'bob', text: 'hello from mcp' })).isError).toBe(false);
    expect(gitSync(hub, 'for-each-ref', '--format=%(refname)', 'refs/coordination/messages/to/bob/')).toMatch(/messages\/to\/bob\/m-/);
    const sent = coord(other, ['send', 'mcp-agent', 'hello from the other clone'], {});
    expect(sent.code, sent.stderr).toBe(0);
    const r = await waiting;
    expect(r.isError, r.text).toBe(false);
    expect(r.text).toContain(`${sent.stdout.trim()}  p2  from bob to mcp-agent`);
    expect(json(coord(other, ['inbox', '--json', '--fresh'], {}))).toMatchObject([{ from: 'mcp-agent', body: 'hello from mcp' }]);
  });
});

describe('mcp: tasks', () => {
  function board(dir: string, n: number): string[] {
    const ids = Array.from({ length: n }, (_, i) => `t${i}`);
    for (const id of ids) expect(coord(dir, ['task', 'add', `task ${id}`, '--id', id, '--label', 'web'], { GIT_COORD_AGENT: 'lead' }).code).toBe(0);
    return ids;
  }

  it('claim next from MCP while a CLI agent claims next at the same time: each gets a task of its own, every round', async () => {
    const dir = repo();
    const ids = board(dir, 8);
    const { call } = await server(dir);
    const got: string[] = [];
    for (let round = 0; round < 4; round++) {
      const [viaMcp, viaCli] = await Promise.all([call('claim', { next: true, label: ['web'] }), coordAsync(dir, ['claim', '--next'], B)]);
      expect(viaMcp, `round ${round}`).toMatchObject({ isError: false });
      expect(viaCli.code, viaCli.stderr).toBe(0);
      // claim over MCP answers with the task: its id and its title.
      expect(viaMcp.text).toMatch(/^claimed t\d+ until .*\ntitle: /);
      got.push(/^claimed (\S+)/.exec(viaMcp.text)![1]!, viaCli.stdout.trim());
    }
    expect(new Set(got).size).toBe(8);
    expect([...got].sort()).toEqual(ids);
    const tasks = json(coord(dir, ['task', 'list', '--json']));
    expect(tasks.filter((t: { claimedBy: string }) => t.claimedBy === 'mcp-agent')).toHaveLength(4);
    // Nothing is left: a refusal, as a tool error.
    const none = await call('claim', { next: true });
    expect(none).toMatchObject({ isError: true, text: expect.stringMatching(/^nothing to claim/) });
  });

  it('lists, claims with locks, finishes: the CLI sees the same board; the locks go with the task', async () => {
    const dir = repo();
    board(dir, 3);
    coord(dir, ['task', 'add', 'urgent', '--id', 'u1', '--priority', '0'], { GIT_COORD_AGENT: 'lead' });
    const { call } = await server(dir);
    const ready = await call('tasks', { ready: true });
    expect(ready.isError).toBe(false);
    expect(ready.text.split('\n')[0]).toMatch(/^u1 /);
    // Refused over a lock another agent holds: the answer says the task was not claimed either.
    coord(dir, ['lock', 'src/a.ts'], { GIT_COORD_AGENT: 'bob' });
    const refused = await call('claim', { id: 'u1', lock: ['src/'] });
    expect(refused).toMatchObject({ isError: true, text: expect.stringMatching(/^task u1 stays unclaimed: cannot lock[^]*locked by bob as src\/a\.ts/) });
    expect(json(coord(dir, ['task', 'show', 'u1', '--json']))).toMatchObject({ status: 'open' });
    coord(dir, ['unlock', 'src/a.ts'], { GIT_COORD_AGENT: 'bob' });
    expect(await call('claim', { id: 'u1', lock: ['src/'], ttl: '30m' })).toMatchObject({ isError: false, text: expect.stringMatching(/^claimed u1 until .*, with src\/\ntitle: urgent$/) });
    expect(json(coord(dir, ['locks', '--json']))).toMatchObject([{ pattern: 'src/', agent: 'mcp-agent' }]);
    const mine = await call('tasks', { mine: true });
    expect(mine.text).toMatch(/^u1 /);
    expect(mine.text.split('\n')).toHaveLength(1);
    expect((await call('tasks', { label: ['web'], status: 'open' })).text.split('\n')).toHaveLength(3);
    expect(await call('task_done', { id: 'u1', note: 'fixed it' })).toEqual({ isError: false, text: 'done u1' });
    expect(json(coord(dir, ['task', 'show', 'u1', '--json']))).toMatchObject({ status: 'done', note: 'fixed it' });
    expect(json(coord(dir, ['locks', '--json']))).toEqual([]);
    expect(await call('claim', { id: 't0' })).toMatchObject({ isError: false });
    expect(await call('task_release', { id: 't0' })).toEqual({ isError: false, text: 'released t0' });
    expect(await call('claim', { id: 't1' })).toMatchObject({ isError: false });
    expect(await call('task_fail', { id: 't1', reason: 'cannot reproduce' })).toEqual({ isError: false, text: 'failed t1' });
    expect(json(coord(dir, ['task', 'show', 't1', '--json']))).toMatchObject({ status: 'failed', reason: 'cannot reproduce' });
  });

  it("another agent's claim: claiming or finishing it is a tool error naming the claimer; nothing is written", async () => {
    const dir = repo();
    board(dir, 1);
    expect(coord(dir, ['claim', 't0'], B).code).toBe(0);
    const before = refs(dir);
    const { call } = await server(dir);
    for (const [name, args] of [['claim', { id: 't0' }], ['task_done', { id: 't0' }], ['task_release', { id: 't0' }], ['task_fail', { id: 't0', reason: 'x' }]] as const) {
      const r = await call(name, args);
      expect(r.isError, name).toBe(true);
      expect(r.text, name).toMatch(/t0: claimed by bob until 20/);
    }
    expect(refs(dir)).toEqual(before);
  });

  it('bad arguments are errors, never crashes: the server answers every later call', async () => {
    const dir = repo();
    board(dir, 1);
    const { call } = await server(dir);
    const bad: [string, Record<string, unknown>][] = [
      ['claim', {}],
      ['claim', { id: 't0', next: true }],
      ['claim', { id: 42 }],
      ['claim', { id: '../x' }],
      ['claim', { id: 'nope' }],
      ['claim', { next: true, lock: ['src/'] }],
      ['claim', { id: 't0', ttl: 'soon' }],
      ['claim', { id: 't0', lock: ['../outside'] }],
      ['claim', { id: 't0', label: ['web'] }],
      ['tasks', { status: 'sleeping' }],
      ['tasks', { label: 'web' }],
      ['task_done', {}],
      ['task_done', { id: 't0' }],
      ['task_fail', { id: 't0' }],
      ['task_fail', { id: 't0', reason: '   ' }],
      ['task_release', { id: ['t0'] }],
    ];
    const before = refs(dir);
    for (const [name, args] of bad) {
      const r = await call(name, args);
      expect(r.isError, `${name} ${JSON.stringify(args)}`).toBe(true);
      expect(r.text, `${name} ${JSON.stringify(args)}`).not.toMatch(/\n\s+at |unexpected error/);
    }
    expect(refs(dir)).toEqual(before);
    expect(await call('claim', { id: 't0' })).toMatchObject({ isError: false });
  });
});
