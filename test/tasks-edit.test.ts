/**
 * Changing tasks after they are added, through the built CLI with real git: `task edit`,
 * `task comment`, `task undepend`, `task done` of several ids. Each is recorded, answers in
 * --json, refuses bad input with exit 2 and a missing dependency with exit 3, writing nothing.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CLI, ENV, coord, gitSync, json, makeRepo, type Run, state, ok } from './helpers.js';

const A = { GIT_COORD_AGENT: 'alice' };
const B = { GIT_COORD_AGENT: 'bob' };

function queue(dir: string): string[] {
  return gitSync(dir, 'for-each-ref', '--format=%(refname)', 'refs/coordination/tasks/queue/').split('\n').filter(Boolean).map((r) => r.replace(/^refs\/coordination\/tasks\/queue\//, ''));
}

describe('task edit', () => {
  it('changes title, body, priority and labels (anyone may), recorded; a priority change renames the queue ref in the same swap', () => {
    const dir = makeRepo();
    ok(coord(dir, ['task', 'add', 'Frist', '--id', 'a', '--label', 'old', '--label', 'keep'], A));
    ok(coord(dir, ['task', 'add', 'Other', '--id', 'b', '--priority', '1'], A));
    expect(queue(dir).map((q) => q.split('-')[0])).toEqual(['1', '2']);
    const t = json(ok(coord(dir, ['task', 'edit', 'a', '--title', 'First', '--body', 'details', '--priority', '0', '--label', 'new', '--unlabel', 'old', '--json'], B)));
    expect(t).toMatchObject({ id: 'a', title: 'First', body: 'details', priority: 0, labels: ['keep', 'new'], status: 'open', ready: true, comments: [], parent: null });
    // One queue ref per open task, named by its new priority, pointing at the new record.
    const q = queue(dir);
    expect(q).toHaveLength(2);
    expect(q[0]).toMatch(/^0-\d{13}-a$/);
    expect(gitSync(dir, 'rev-parse', `refs/coordination/tasks/queue/${q[0]}`)).toBe(gitSync(dir, 'rev-parse', 'refs/coordination/tasks/open/a'));
    expect(json(ok(coord(dir, ['claim', '--next', '--json'], A))).id).toBe('a');
    const log = json<{ agent: string; action: string; subject: string; reason?: string }[]>(coord(dir, ['log', '--json']));
    expect(log.find((e) => e.action === 'edit')).toMatchObject({ agent: 'bob', subject: 'a', reason: 'title, body, priority, labels' });
    // Editing a claimed task keeps its claim; the text says what changed.
    expect(ok(coord(dir, ['task', 'edit', 'a', '--priority', '3'], B)).stdout).toBe('edited a\n');
    expect(json(coord(dir, ['task', 'show', 'a', '--json']))).toMatchObject({ status: 'claimed', claimedBy: 'alice', priority: 3 });
    expect(queue(dir).find((x) => x.endsWith('-a'))).toMatch(/^3-/);
    // Nothing different: nothing written.
    const before = state(dir);
    ok(coord(dir, ['task', 'edit', 'a', '--priority', '3', '--label', 'keep'], B));
    expect(state(dir)).toBe(before);
  });

  it('nothing given, or invalid input: exit 2, nothing written; an unknown task: exit 2', () => {
    const dir = makeRepo();
    ok(coord(dir, ['task', 'add', 'x', '--id', 'x'], A));
    const before = state(dir);
    for (const args of [
      ['task', 'edit', 'x'],
      ['task', 'edit', 'x', '--title', '  '],
      ['task', 'edit', 'x', '--title', 'y'.repeat(501)],
      ['task', 'edit', 'x', '--priority', '5'],
      ['task', 'edit', 'x', '--priority', 'high'],
      ['task', 'edit', 'x', '--label', 'a b'],
      ['task', 'edit', 'x', '--label', 'l', '--unlabel', 'l'],
      ['task', 'edit', 'x', '--body', 'b'.repeat(64 * 1024 + 1)],
      ['task', 'edit', 'no-such', '--title', 't'],
      ['task', 'edit', 'bad id', '--title', 't'],
    ]) {
      const r = coord(dir, args, A);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).not.toMatch(/at .*\.js/);
    }
    expect(coord(dir, ['task', 'edit', 'x', '--json'], A).stdout).toMatch(/"code": 2/);
    expect(state(dir)).toBe(before);
  });
});

describe('task comment', () => {
  it('adds {agent, at, text}; show lists them oldest first; stdin with -; capped in size and number', () => {
    const dir = makeRepo();
    ok(coord(dir, ['task', 'add', 'x', '--id', 'x'], A));
    ok(coord(dir, ['claim', 'x'], A));
    ok(coord(dir, ['task', 'comment', 'x', 'the bug is in parse()'], B));
    const viaStdin = spawnSync(process.execPath, [CLI, 'task', 'comment', 'x', '-', '--json'], { cwd: dir, env: { ...ENV, ...A }, input: 'line one\n\u001b[31mred\n', encoding: 'utf8' });
    expect(viaStdin.status, viaStdin.stderr).toBe(0);
    const t = JSON.parse(viaStdin.stdout);
    expect(t.comments).toEqual([
      { agent: 'bob', at: expect.stringMatching(/Z$/), text: 'the bug is in parse()' },
      { agent: 'alice', at: expect.stringMatching(/Z$/), text: 'line one\n\u001b[31mred\n' },
    ]);
    // A comment leaves the claim alone (and the record's last event: still alice's claim).
    expect(t).toMatchObject({ status: 'claimed', claimedBy: 'alice' });
    const shown = ok(coord(dir, ['task', 'show', 'x'])).stdout;
    expect(shown).toMatch(/comments \(2\):\n\s+\S+ bob:\n\s+\| the bug is in parse\(\)\n\s+\S+ alice:\n\s+\| line one\n\s+\| \\x1b\[31mred/);
    expect(shown).not.toContain('\u001b');
    expect(json(coord(dir, ['log', '--json']))[0]).toMatchObject({ agent: 'alice', action: 'comment', subject: 'x', reason: 'line one' });
    // Bad input: exit 2, nothing written.
    const before = state(dir);
    for (const text of ['', '   ', 'x'.repeat(2049)]) expect(coord(dir, ['task', 'comment', 'x', text], A).code).toBe(2);
    const nul = spawnSync(process.execPath, [CLI, 'task', 'comment', 'x', '-'], { cwd: dir, env: { ...ENV, ...A }, input: 'nul\u0000' });
    expect(nul.status).toBe(2);
    expect(coord(dir, ['task', 'comment', 'nope', 'hi'], A).code).toBe(2);
    expect(coord(dir, ['task', 'comment', 'x'], A).code).toBe(2);
    const big = spawnSync(process.execPath, [CLI, 'task', 'comment', 'x', '-'], { cwd: dir, env: { ...ENV, ...A }, input: 'y'.repeat(5000), encoding: 'utf8' });
    expect(big.status).toBe(2);
    const notUtf8 = spawnSync(process.execPath, [CLI, 'task', 'comment', 'x', '-'], { cwd: dir, env: { ...ENV, ...A }, input: Buffer.from([0x66, 0xff, 0x66]) });
    expect(notUtf8.status).toBe(2);
    expect(state(dir)).toBe(before);
    // The record keeps the newest 20; the older ones are counted (and stay in the ref's history).
    for (let i = 0; i < 20; i++) ok(coord(dir, ['task', 'comment', 'x', `note ${i}`], B));
    const full = json(coord(dir, ['task', 'show', 'x', '--json']));
    expect(full.comments).toHaveLength(20);
    expect(full.comments[0].text).toBe('note 0');
    expect(full.commentsDropped).toBe(2);
    expect(ok(coord(dir, ['task', 'show', 'x'])).stdout).toMatch(/comments \(20; 2 older in the task's history\)/);
    expect(gitSync(dir, 'log', '--format=%s', 'refs/coordination/tasks/open/x')).toMatch(/comment x/);
  });
});

describe('task undepend', () => {
  it('removes dependencies; one that is not there: exit 3, nothing changed', () => {
    const dir = makeRepo();
    for (const id of ['a', 'b', 'c']) ok(coord(dir, ['task', 'add', id, '--id', id], A));
    ok(coord(dir, ['task', 'depend', 'c', 'a', 'b'], A));
    expect(json(coord(dir, ['task', 'show', 'c', '--json']))).toMatchObject({ ready: false, blockedBy: ['a', 'b'] });
    const before = state(dir);
    const r = coord(dir, ['task', 'undepend', 'c', 'a', 'x'], A);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/c does not depend on x: nothing changed/);
    expect(coord(dir, ['task', 'undepend', 'c', 'bad id'], A).code).toBe(2);
    expect(coord(dir, ['task', 'undepend', 'nope', 'a'], A).code).toBe(2);
    expect(coord(dir, ['task', 'undepend', 'c'], A).code).toBe(2);
    expect(state(dir)).toBe(before);
    expect(json(ok(coord(dir, ['task', 'undepend', 'c', 'a', '--json'], B)))).toMatchObject({ dependsOn: ['b'], blockedBy: ['b'], ready: false });
    expect(ok(coord(dir, ['task', 'undepend', 'c', 'b'], B)).stdout).toBe('c depends on nothing\n');
    expect(json(coord(dir, ['task', 'show', 'c', '--json']))).toMatchObject({ dependsOn: [], ready: true });
    expect(json(coord(dir, ['log', '--json']))[0]).toMatchObject({ agent: 'bob', action: 'undepend', subject: 'c', reason: 'on b' });
  });
});

describe('task done of several', () => {
  it('finishes them all in one step and prints what became ready; one refusal: nothing done', () => {
    const dir = makeRepo();
    for (const id of ['a', 'b', 'c']) ok(coord(dir, ['task', 'add', `task ${id}`, '--id', id], A));
    ok(coord(dir, ['task', 'add', 'needs a and b', '--id', 'ab', '--depends-on', 'a', '--depends-on', 'b'], A));
    ok(coord(dir, ['task', 'add', 'needs c', '--id', 'nc', '--depends-on', 'c', '--priority', '0'], A));
    ok(coord(dir, ['task', 'add', 'needs a and x', '--id', 'ax', '--depends-on', 'a', '--depends-on', 'ab'], A));
    for (const id of ['a', 'b', 'c']) ok(coord(dir, ['claim', id], A));
    // c is bob's: alice cannot finish it, so nothing is finished.
    ok(coord(dir, ['task', 'release', 'c'], A));
    ok(coord(dir, ['claim', 'c'], B));
    const before = state(dir);
    const refused = coord(dir, ['task', 'done', 'a', 'b', 'c'], A);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/cannot finish c: claimed by bob/);
    expect(state(dir)).toBe(before);
    expect(coord(dir, ['task', 'done', 'a', 'nope'], A).code).toBe(2);
    expect(coord(dir, ['task', 'done', 'a', 'bad id'], A).code).toBe(2);
    expect(state(dir)).toBe(before);
    // Text: the tasks done, then those that became ready (ids and titles), most urgent first.
    expect(ok(coord(dir, ['task', 'done', 'a', 'b'], A)).stdout).toBe('done a, b\nnow ready:\n  ab  needs a and b\n');
    expect(json(coord(dir, ['task', 'list', '--status', 'done', '--json'])).map((t: any) => t.id).sort()).toEqual(['a', 'b']);
    // One id with --json: the task as before, with becameReady.
    const one = json(ok(coord(dir, ['task', 'done', 'c', '--json'], B)));
    expect(one).toMatchObject({ id: 'c', status: 'done', becameReady: [{ id: 'nc', ready: true }] });
    // Several with --json: {done, becameReady}.
    for (const id of ['ab', 'nc']) ok(coord(dir, ['claim', id], A));
    const many = json(ok(coord(dir, ['task', 'done', 'ab', 'nc', '--note', 'both', '--json'], A)));
    expect(many.done.map((t: any) => [t.id, t.status, t.note])).toEqual([['ab', 'done', 'both'], ['nc', 'done', 'both']]);
    expect(many.becameReady.map((t: any) => t.id)).toEqual(['ax']);
    const log = json<{ action: string; subject: string }[]>(coord(dir, ['log', '--json']));
    expect(log.filter((e) => e.action === 'done').map((e) => e.subject).sort()).toEqual(['a', 'ab', 'b', 'c', 'nc']);
  });

  it('--force --reason finishes other agents\' tasks together, releasing the locks claimed with them', () => {
    const dir = makeRepo({ 'src/a.ts': 'a\n', 'src/b.ts': 'b\n' });
    ok(coord(dir, ['task', 'add', 'one', '--id', 'one'], A));
    ok(coord(dir, ['task', 'add', 'two', '--id', 'two'], A));
    ok(coord(dir, ['claim', 'one', '--lock', 'src/a.ts'], A));
    ok(coord(dir, ['claim', 'two', '--lock', 'src/b.ts'], A));
    expect(coord(dir, ['task', 'done', 'one', 'two', '--force'], B).code).toBe(2);
    ok(coord(dir, ['task', 'done', 'one', 'two', '--force', '--reason', 'alice is gone'], B));
    expect(json(coord(dir, ['locks', '--json']))).toEqual([]);
    const log = json<{ action: string; subject: string; other?: string; reason?: string }[]>(coord(dir, ['log', '--json']));
    expect(log.filter((e) => e.action === 'done')).toEqual(expect.arrayContaining([expect.objectContaining({ subject: 'one', other: 'alice', reason: 'alice is gone' })]));
  });
});

describe('the MCP task tools', () => {
  it('task_add (with a parent), task_edit, task_comment call the same operations; claim answers with the task in full; task_done says what became ready', async () => {
    const { Client } = await import('@modelcontextprotocol/client');
    const { StdioClientTransport } = await import('@modelcontextprotocol/client/stdio');
    const { CLI: cli, ENV: env, defer } = await import('./helpers.js');
    const dir = makeRepo();
    const client = new Client({ name: 'test', version: '1' });
    await client.connect(new StdioClientTransport({ command: process.execPath, args: [cli, 'mcp'], cwd: dir, env: { ...env, GIT_COORD_AGENT: 'mcp-agent' } as Record<string, string>, stderr: 'pipe' }));
    defer(() => client.close());
    const call = async (name: string, args: Record<string, unknown> = {}) => {
      const r = (await client.callTool({ name, arguments: args })) as { content: { type: string; text: string }[]; isError?: boolean };
      return { text: r.content.map((c) => c.text).join('\n'), isError: Boolean(r.isError) };
    };
    ok(coord(dir, ['task', 'add', 'Epic', '--id', 'epic'], A));
    const child = await call('task_add', { title: 'Part one', body: 'do it', parent: 'epic' });
    expect(child.isError, child.text).toBe(false);
    const id = child.text.trim();
    expect(id).toMatch(/^t-/);
    const after = await call('task_add', { title: 'After', dependsOn: [id] });
    expect(json(coord(dir, ['task', 'show', id, '--json']))).toMatchObject({ parent: 'epic', priority: 2, body: 'do it', createdBy: 'mcp-agent' });
    expect((await call('task_edit', { id, title: 'Part 1', priority: 1 })).text).toBe(`edited ${id}`);
    expect((await call('task_edit', { id }))).toMatchObject({ isError: true, text: expect.stringMatching(/^bad arguments: task_edit: give title, body or priority/) });
    expect((await call('task_comment', { id, text: 'found the cause' })).text).toBe(`commented on ${id}`);
    expect((await call('task_add', { title: 'x', parent: 'nobody' })).isError).toBe(true);
    expect(json(coord(dir, ['task', 'show', id, '--json']))).toMatchObject({ title: 'Part 1', priority: 1, comments: [{ agent: 'mcp-agent', text: 'found the cause' }] });
    const claimed = await call('claim', { next: true });
    expect(claimed.text).toMatch(new RegExp(`^claimed ${id} until \\S+\ntitle: Part 1\nparent: epic\nbody: do it\ncomment by mcp-agent at \\S+: found the cause$`));
    const done = await call('task_done', { id });
    expect(done.text).toBe(`done ${id}\nnow ready: ${after.text.trim()}  p2  After  (ready)`);
    // A parent with a child still open: refused, neutral, and the answer says what to do next.
    const kid = (await call('task_add', { title: 'Part two', parent: 'epic' })).text.trim();
    ok(coord(dir, ['claim', 'epic'], { GIT_COORD_AGENT: 'mcp-agent' }));
    expect(await call('task_done', { id: 'epic' })).toMatchObject({ isError: true, text: `cannot finish: epic has children not done or failed: ${kid}\nNext: finish or fail those children first (task_done, task_fail), then the parent` });
    // A title with a control character, a comment past its cap: bad arguments, nothing written.
    expect(await call('task_edit', { id: kid, title: 'a\u001bb' })).toMatchObject({ isError: true, text: expect.stringMatching(/^bad arguments: bad title: it holds a control character/) });
    expect(await call('task_comment', { id: kid, text: 'y'.repeat(2049) })).toMatchObject({ isError: true, text: expect.stringMatching(/^bad arguments: bad comment: too long/) });
    expect(json(coord(dir, ['task', 'show', kid, '--json']))).toMatchObject({ title: 'Part two', comments: [] });
  }, 60_000);
});
