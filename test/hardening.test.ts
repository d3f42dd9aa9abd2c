/**
 * Issue 18's hardening items, one test (or a few) per item, named after it. Each reproduced its
 * defect before the fix. Real git, real processes, the built CLI.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { describe, expect, it } from 'vitest';
import { CLI, ENV, clone, coord, coordAsync, defer, gitRun, gitSync, json, makeHub, makeRepo, refs, tmpdir, write } from './helpers.js';

const as = (agent: string) => ({ GIT_COORD_AGENT: agent });

async function mcp(cwd: string, agent = 'mcp-agent') {
  const client = new Client({ name: 'test', version: '1' });
  await client.connect(new StdioClientTransport({ command: process.execPath, args: [CLI, 'mcp'], cwd, env: { ...ENV, GIT_COORD_AGENT: agent } as Record<string, string>, stderr: 'pipe' }));
  defer(() => client.close());
  return async (name: string, args: Record<string, unknown> = {}) => {
    const r = (await client.callTool({ name, arguments: args })) as { content: { type: string; text: string }[]; isError?: boolean };
    return { text: r.content.map((c) => c.text).join('\n'), isError: Boolean(r.isError) };
  };
}

describe('item 6: text that cannot be stored is refused on every face', () => {
  it('item 6: a NUL in a subject through MCP send and reply is refused, nothing written; fsck stays clean', async () => {
    const dir = makeRepo();
    const call = await mcp(dir, 'alice');
    const before = refs(dir).length;
    const r = await call('send', { to: 'bob', text: 'hi', subject: 'x\u0000y' });
    expect(r.isError, r.text).toBe(true);
    expect(r.text).toMatch(/subject/);
    const ok = await call('send', { to: 'bob', text: 'hi', subject: 'plain' });
    expect(ok.isError, ok.text).toBe(false);
    const id = /m-[0-9a-z]+-[0-9a-f]+/.exec(ok.text)![0];
    const after = refs(dir).length;
    const rep = await call('reply', { id, text: 'again', subject: 'a\u0000b' });
    expect(rep.isError, rep.text).toBe(true);
    expect(refs(dir).length).toBe(after);
    expect(after).toBeGreaterThan(before);
    const body = await call('send', { to: 'bob', text: 'a\u0000b' });
    expect(body.isError, body.text).toBe(true);
    expect(gitRun(dir, ['fsck', '--strict']).code).toBe(0);
  });

  it('item 6: the command line refuses a NUL-free but unstorable subject (a lone surrogate) and control characters with exit 2', () => {
    const dir = makeRepo();
    const r = coord(dir, ['send', 'bob', 'hi', '--subject', 'a\u001bb'], as('alice'));
    expect(r.code, r.stderr).toBe(2);
    expect(refs(dir)).toEqual([]);
  });
});

describe('item 7: control characters never reach commit subjects', () => {
  it('item 7: --subject with a newline is refused (exit 2), as are escapes in a title and a reason', () => {
    const dir = makeRepo();
    expect(coord(dir, ['send', 'bob', 'hi', '--subject', 'one\ntwo'], as('alice')).code).toBe(2);
    expect(coord(dir, ['task', 'add', 'a\u001b[31mred'], as('alice')).code).toBe(2);
    expect(coord(dir, ['lock', 'src/x', '--reason', 'why\nforged: line'], as('alice')).code).toBe(2);
    expect(refs(dir)).toEqual([]);
  });

  it('item 7: a forged record with escapes in its subject does not put them raw into the subject line of an ack commit', () => {
    const dir = makeRepo();
    const r = coord(dir, ['send', 'bob', 'hi', '--subject', 'plain', '--json'], as('alice'));
    expect(r.code, r.stderr).toBe(0);
    const { id } = json(r);
    // Forge the message record: its subject carries an escape sequence and a NUL.
    const ref = refs(dir).find((x) => x.endsWith(`/${id}`))!;
    const oid = gitSync(dir, 'rev-parse', ref).trim();
    const msg = gitSync(dir, 'cat-file', 'commit', oid);
    const record = JSON.parse(msg.split('\n\n').slice(2).join('\n\n'));
    record.subject = 'evil\u001b]0;title\u0007\u0000x';
    const tree = gitSync(dir, 'rev-parse', `${oid}^{tree}`).trim();
    const forged = spawnSync('git', ['commit-tree', tree, '-m', `forged\n\n${JSON.stringify(record)}`], { cwd: dir, encoding: 'utf8', env: { ...process.env, ...ENV } }).stdout.trim();
    gitSync(dir, 'update-ref', ref, forged);
    const ack = coord(dir, ['ack', '--all'], as('bob'));
    expect(ack.code, ack.stderr).toBe(0);
    const subjects = spawnSync('git', ['log', '--format=%s', ...refs(dir)], { cwd: dir, encoding: 'latin1' }).stdout;
    expect(subjects).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
    expect(gitRun(dir, ['fsck', '--strict']).code).toBe(0);
  });
});

describe('item 14: a reply never overflows a subject it did not choose', () => {
  it('item 14: replying to a 1000-character subject succeeds; the reply subject fits the limit', () => {
    const dir = makeRepo();
    const s = 'x'.repeat(1000);
    const r = coord(dir, ['send', 'bob', 'hi', '--subject', s, '--json'], as('alice'));
    expect(r.code, r.stderr).toBe(0);
    const { id } = json(r);
    const rep = coord(dir, ['reply', id, 'ok', '--json'], as('bob'));
    expect(rep.code, rep.stderr).toBe(0);
    const inbox = json(coord(dir, ['inbox', '--json'], as('alice')));
    expect(inbox[0].subject.length).toBeLessThanOrEqual(1000);
    expect(inbox[0].subject.startsWith('Re: ')).toBe(true);
  });
});

describe('item 17: free text is limited on write and cut on display', () => {
  it('item 17: task done --note and task fail --reason past their limits are refused, exit 2, nothing written', () => {
    const dir = makeRepo();
    expect(coord(dir, ['task', 'add', 't', '--id', 't1'], as('alice')).code).toBe(0);
    expect(coord(dir, ['task', 'add', 't', '--id', 't2'], as('alice')).code).toBe(0);
    expect(coord(dir, ['claim', 't1'], as('alice')).code).toBe(0);
    expect(coord(dir, ['claim', 't2'], as('alice')).code).toBe(0);
    const note = coord(dir, ['task', 'done', 't1', '--note', 'n'.repeat(100_000)], as('alice'));
    expect(note.code, note.stderr).toBe(2);
    expect(note.stderr.length).toBeLessThan(2000);
    const fail = coord(dir, ['task', 'fail', 't2', '--reason', 'r'.repeat(100_000)], as('alice'));
    expect(fail.code, fail.stderr).toBe(2);
    expect(fail.stderr.length).toBeLessThan(2000);
    const list = json(coord(dir, ['task', 'list', '--json'], as('alice')));
    expect(list.map((t: any) => t.status)).toEqual(['claimed', 'claimed']);
  });

  it('item 17: a lock reason past its limit is refused', () => {
    const dir = makeRepo();
    const r = coord(dir, ['lock', 'src/x', '--reason', 'r'.repeat(5000)], as('alice'));
    expect(r.code, r.stderr).toBe(2);
    expect(refs(dir)).toEqual([]);
  });
});

describe('item 18: what cannot be stored faithfully is refused', () => {
  it('item 18: invalid UTF-8 in an imported title is refused, not silently replaced', () => {
    const dir = makeRepo();
    const file = path.join(tmpdir('in'), 'tasks.jsonl');
    fs.writeFileSync(file, Buffer.concat([Buffer.from('{"title":"bad '), Buffer.from([0xff, 0xfe]), Buffer.from('"}\n')]));
    const r = coord(dir, ['task', 'import', file], as('alice'));
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/UTF-8/);
    expect(refs(dir)).toEqual([]);
  });

  it('item 18: a body of NUL bytes is refused (task add and send)', () => {
    const dir = makeRepo();
    const body = '\u0000'.repeat(100);
    const file = path.join(tmpdir('in'), 'tasks.jsonl');
    fs.writeFileSync(file, `${JSON.stringify({ title: 'ok', body })}\n`);
    expect(coord(dir, ['task', 'import', file], as('alice')).code).toBe(2);
    const r = spawnSync(process.execPath, [CLI, 'send', 'bob', '-'], { cwd: dir, input: Buffer.from(body), env: { ...process.env, ...ENV, GIT_COORD_AGENT: 'alice' } });
    expect(r.status).toBe(2);
    expect(refs(dir)).toEqual([]);
  });
});

/** The CLI with stdin from `file`, killed after `ms` (a hang guard, not a speed check). */
function withStdinFrom(dir: string, args: string[], file: string, ms = 30_000, agent = 'alice') {
  const fd = fs.openSync(file, 'r');
  try {
    return spawnSync(process.execPath, [CLI, ...args], { cwd: dir, stdio: [fd, 'pipe', 'pipe'], timeout: ms, killSignal: 'SIGKILL', encoding: 'utf8', env: { ...process.env, ...ENV, GIT_COORD_AGENT: agent } });
  } finally {
    fs.closeSync(fd);
  }
}

describe('item 11: every input is read with a cap', () => {
  it('item 11: send bob - </dev/zero is refused with exit 2, nothing written', () => {
    const dir = makeRepo();
    const r = withStdinFrom(dir, ['send', 'bob', '-'], '/dev/zero');
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/too long/);
    expect(refs(dir)).toEqual([]);
  });

  it('item 11: task import /dev/zero and task import - </dev/zero are refused with exit 2', () => {
    const dir = makeRepo();
    const a = withStdinFrom(dir, ['task', 'import', '/dev/zero'], '/dev/null');
    expect(a.status, a.stderr).toBe(2);
    const b = withStdinFrom(dir, ['task', 'import', '-'], '/dev/zero');
    expect(b.status, b.stderr).toBe(2);
    expect(b.stderr).toMatch(/too long/);
    expect(refs(dir)).toEqual([]);
  });

  it('item 11: hook claude given more than its cap on stdin exits 0 with no decision and a note', () => {
    const dir = makeRepo();
    const r = withStdinFrom(dir, ['hook', 'claude'], '/dev/zero', 60_000);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/too long.*no decision/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('items 4, 12, 16: setup claude writes only its own files, safely', () => {
  const setup = (dir: string) => coord(dir, ['setup', 'claude']);
  const outside = () => tmpdir('elsewhere');

  it('item 4: .mcp.json linked out of the work tree (existing or dangling) is refused, exit 2, nothing written', () => {
    const dir = makeRepo();
    const away = outside();
    fs.writeFileSync(path.join(away, 'x.json'), '{}\n');
    fs.symlinkSync(path.join(away, 'x.json'), path.join(dir, '.mcp.json'));
    let r = setup(dir);
    expect(r.code, r.stderr).toBe(2);
    expect(fs.readFileSync(path.join(away, 'x.json'), 'utf8')).toBe('{}\n');
    expect(fs.existsSync(path.join(dir, '.claude'))).toBe(false);
    fs.unlinkSync(path.join(dir, '.mcp.json'));
    fs.symlinkSync(path.join(away, 'new.json'), path.join(dir, '.mcp.json'));
    r = setup(dir);
    expect(r.code, r.stderr).toBe(2);
    expect(fs.existsSync(path.join(away, 'new.json'))).toBe(false);
    expect(fs.existsSync(path.join(dir, '.claude'))).toBe(false);
  });

  it('item 4: .claude linked to a directory outside is refused; a link to a regular file inside the work tree is followed', () => {
    const dir = makeRepo();
    const away = outside();
    fs.symlinkSync(away, path.join(dir, '.claude'));
    const r = setup(dir);
    expect(r.code, r.stderr).toBe(2);
    expect(fs.readdirSync(away)).toEqual([]);
    expect(fs.existsSync(path.join(dir, '.mcp.json'))).toBe(false);
    fs.unlinkSync(path.join(dir, '.claude'));
    write(dir, { 'conf/mcp.json': '{"mcpServers":{}}\n' });
    fs.symlinkSync('conf/mcp.json', path.join(dir, '.mcp.json'));
    const ok = setup(dir);
    expect(ok.code, ok.stderr).toBe(0);
    expect(fs.lstatSync(path.join(dir, '.mcp.json')).isSymbolicLink()).toBe(true);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'conf/mcp.json'), 'utf8')).mcpServers['git-coord']).toBeTruthy();
  });

  it('item 12: .mcp.json a FIFO, a directory, or .claude a regular file: exit 2, neither file written, no hang', () => {
    const dir = makeRepo();
    spawnSync('mkfifo', [path.join(dir, '.mcp.json')]);
    const fifo = spawnSync(process.execPath, [CLI, 'setup', 'claude'], { cwd: dir, timeout: 30_000, killSignal: 'SIGKILL', encoding: 'utf8', env: { ...process.env, ...ENV } });
    expect(fifo.status, fifo.stderr).toBe(2);
    expect(fs.existsSync(path.join(dir, '.claude'))).toBe(false);
    fs.unlinkSync(path.join(dir, '.mcp.json'));
    fs.mkdirSync(path.join(dir, '.mcp.json'));
    const d = setup(dir);
    expect(d.code, d.stderr).toBe(2);
    expect(fs.existsSync(path.join(dir, '.claude'))).toBe(false);
    fs.rmdirSync(path.join(dir, '.mcp.json'));
    fs.writeFileSync(path.join(dir, '.claude'), 'not a directory\n');
    const f = setup(dir);
    expect(f.code, f.stderr).toBe(2);
    expect(fs.existsSync(path.join(dir, '.mcp.json'))).toBe(false);
    expect(f.stderr).not.toMatch(/\n\s+at /);
  });

  // PreToolUse's first group is the shell fast path for the file tools (sh '<git dir>/git-coord/agent-pre-tool-use' claude).
  it('item 16: a rerun of setup claude keeps the GIT_COORD_AGENT=<id> prefix before the hook commands', () => {
    const dir = makeRepo();
    expect(setup(dir).code).toBe(0);
    const file = path.join(dir, '.claude', 'settings.json');
    const s = JSON.parse(fs.readFileSync(file, 'utf8'));
    for (const ev of ['PreToolUse', 'SessionStart', 'UserPromptSubmit']) s.hooks[ev][0].hooks[0].command = `GIT_COORD_AGENT=alice ${s.hooks[ev][0].hooks[0].command}`;
    fs.writeFileSync(file, JSON.stringify(s, null, 2) + '\n');
    const r = coord(dir, ['setup', 'claude', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const after = JSON.parse(fs.readFileSync(file, 'utf8'));
    for (const ev of ['PreToolUse', 'SessionStart', 'UserPromptSubmit']) expect(after.hooks[ev][0].hooks[0].command).toMatch(/^GIT_COORD_AGENT=alice .*(hook claude|agent-pre-tool-use' claude)$/);
    expect(json(r).files.map((f: { changed: boolean }) => f.changed)).toEqual([false, false]);
  });
});

/** Replaces the record at `ref` with `edit(record)`, as a forger would (a new commit, same tree). */
function forge(dir: string, ref: string, edit: (rec: any) => unknown): void {
  const oid = gitSync(dir, 'rev-parse', ref).trim();
  const msg = gitSync(dir, 'cat-file', 'commit', oid);
  const record = JSON.parse(msg.split('\n\n').slice(2).join('\n\n'));
  const next = edit(record);
  const tree = gitSync(dir, 'rev-parse', `${oid}^{tree}`).trim();
  const text = typeof next === 'string' ? next : JSON.stringify(next);
  const forged = spawnSync('git', ['commit-tree', tree], { cwd: dir, input: `forged\n\n${text}`, encoding: 'utf8', maxBuffer: 64 << 20, env: { ...process.env, ...ENV } }).stdout.trim();
  gitSync(dir, 'update-ref', ref, forged);
}

describe('item 8: records are validated where read', () => {
  it('item 8: a claim with a forged lease of 2^53-1 ms does not make renew fail: reported and skipped', () => {
    const dir = makeRepo();
    expect(coord(dir, ['task', 'add', 't', '--id', 't1'], as('alice')).code).toBe(0);
    expect(coord(dir, ['task', 'add', 'u', '--id', 't2'], as('alice')).code).toBe(0);
    expect(coord(dir, ['claim', 't1'], as('alice')).code).toBe(0);
    expect(coord(dir, ['claim', 't2'], as('alice')).code).toBe(0);
    const ref = refs(dir).find((r) => /tasks\/claimed\/t1$/.test(r) || (r.includes('/tasks/') && r.endsWith('/t1')))!;
    forge(dir, ref, (rec) => ({ ...rec, claimTtlMs: 2 ** 53 - 1 }));
    const r = coord(dir, ['renew', '--json'], as('alice'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/t1/);
    expect(json(r).tasks.map((t: any) => t.id)).toEqual(['t2']);
  });
});

describe('item 9: a write onto an unreadable record is refused at once', () => {
  it('item 9: task add --id X where tasks/open/X holds an unreadable record: exit 2 naming the record, no 50 rounds', () => {
    const dir = makeRepo();
    expect(coord(dir, ['task', 'add', 't', '--id', 'x1'], as('alice')).code).toBe(0);
    const ref = refs(dir).find((r) => r.includes('/tasks/') && r.endsWith('/x1') && !r.includes('queue'))!;
    forge(dir, ref, () => 'not json at all');
    const r = coord(dir, ['task', 'add', 'again', '--id', 'x1'], as('alice'));
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(ref);
    expect(r.stderr.match(/skipping unreadable/g)?.length ?? 0).toBeLessThanOrEqual(1);
  });

  it('item 9: a symbolic ref where the task record belongs: exit 2 at once', () => {
    const dir = makeRepo();
    expect(coord(dir, ['task', 'add', 't', '--id', 'y1'], as('alice')).code).toBe(0);
    const ref = refs(dir).find((r) => r.includes('/tasks/') && r.endsWith('/y1') && !r.includes('queue'))!;
    const target = ref.replace(/y1$/, 'y2');
    gitSync(dir, 'symbolic-ref', target, ref);
    const r = coord(dir, ['task', 'add', 'again', '--id', 'y2'], as('alice'));
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(target);
  });
});

describe('item 15: presence is last-writer-wins within one agent', () => {
  it('item 15: one agent heartbeating from many processes at once: every heartbeat exits 0', async () => {
    const dir = makeRepo();
    expect(coord(dir, ['heartbeat'], as('alice')).code).toBe(0);
    for (let round = 0; round < 2; round++) {
      const runs = await Promise.all(Array.from({ length: 16 }, (_, i) => coordAsync(dir, ['heartbeat', '--role', `r${i}`], as('alice'))));
      for (const r of runs) expect(r.code, r.stderr).toBe(0);
    }
    const agents = json(coord(dir, ['agents', '--json'], as('alice')));
    expect(agents.map((a: any) => a.id)).toContain('alice');
  });
});

describe('item 20: small output faults', () => {
  it('item 20: prime says "1 agent holds 2 locks"', () => {
    const dir = makeRepo({ 'src/a.ts': 'a\n', 'src/b.ts': 'b\n' });
    expect(coord(dir, ['lock', 'src/a.ts', 'src/b.ts'], as('bob')).code).toBe(0);
    const r = coord(dir, ['prime'], as('alice'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('1 agent holds 2 locks');
  });

  it('item 20: task list --ready --fresh and inbox --fresh in a clone do not say the view was never synced', () => {
    const { root, url } = makeHub();
    const a = clone(root, url, 'alice');
    const b = clone(root, url, 'bob');
    expect(coord(a, ['task', 'add', 't'], as('alice')).code).toBe(0);
    expect(coord(a, ['send', 'bob', 'hi'], as('alice')).code).toBe(0);
    const list = coord(b, ['task', 'list', '--ready', '--fresh'], as('bob'));
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout + list.stderr).not.toMatch(/never synced/);
    const inbox = coord(b, ['inbox', '--fresh'], as('bob'));
    expect(inbox.code, inbox.stderr).toBe(0);
    expect(inbox.stdout + inbox.stderr).toMatch(/hi/);
    expect(inbox.stdout + inbox.stderr).not.toMatch(/never synced/);
  });
});

/** Runs `hook claude` in `cwd` with an event. */
function claudeHook(cwd: string, event: Record<string, unknown>, agent = 'alice') {
  const r = spawnSync(process.execPath, [CLI, 'hook', 'claude'], { cwd, env: { ...process.env, ...ENV, GIT_COORD_AGENT: agent }, input: JSON.stringify(event), encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const writeEvent = (cwd: string, file: string, tool = 'Write') => ({
  session_id: 's',
  hook_event_name: 'PreToolUse',
  cwd,
  tool_name: tool,
  tool_input: tool === 'Write' ? { file_path: file, content: 'x\n' } : { file_path: file, old_string: 'a', new_string: 'b' },
});
const denied = (out: string) => out !== '' && JSON.parse(out).hookSpecificOutput.permissionDecision === 'deny';

describe('item 1: a path is judged by the repository that holds it', () => {
  it('item 1: a held file in a worktree nested inside the work tree is denied', () => {
    const dir = makeRepo({ 'src/a.ts': 'a\n' });
    gitSync(dir, 'worktree', 'add', '-q', '-b', 'w2', '.worktrees/w2');
    expect(coord(path.join(dir, '.worktrees/w2'), ['lock', 'src/a.ts'], as('bob')).code).toBe(0);
    const r = claudeHook(dir, writeEvent(dir, path.join(dir, '.worktrees/w2/src/a.ts'), 'Edit'));
    expect(r.code, r.stderr).toBe(0);
    expect(denied(r.stdout), r.stdout + r.stderr).toBe(true);
  });

  it('item 1: a held file of a second repository inside the work tree (vendor/inner) is judged by that repository', () => {
    const dir = makeRepo({ 'src/a.ts': 'a\n' });
    const inner = path.join(dir, 'vendor', 'inner');
    fs.mkdirSync(inner, { recursive: true });
    gitSync(inner, 'init', '-q');
    write(inner, { 'lib.ts': 'l\n' });
    gitSync(inner, 'add', '-A');
    gitSync(inner, 'commit', '-q', '-m', 'i');
    expect(coord(inner, ['lock', 'lib.ts'], as('bob')).code).toBe(0);
    const r = claudeHook(dir, writeEvent(dir, path.join(inner, 'lib.ts'), 'Edit'));
    expect(denied(r.stdout), r.stdout + r.stderr).toBe(true);
    // The outer repository's lock on the same relative path does not apply to the inner file.
    expect(coord(dir, ['lock', 'other.ts'], as('bob')).code).toBe(0);
    expect(claudeHook(dir, writeEvent(dir, path.join(inner, 'other.ts'))).stdout).toBe('');
  });
});

describe('item 2: a guard that cannot read its configuration says so and lets no held path through', () => {
  it.each([['ttl: bogus\n'], ['remote: [unclosed\n']])('item 2: with .git-coord.yml %j the held file is denied, the config file itself is not, and the session hooks say why', (config) => {
    const dir = makeRepo({ 'src/a.ts': 'a\n' });
    expect(coord(dir, ['lock', 'src/a.ts'], as('bob')).code).toBe(0);
    fs.writeFileSync(path.join(dir, '.git-coord.yml'), config);
    const r = claudeHook(dir, writeEvent(dir, path.join(dir, 'src/a.ts'), 'Edit'));
    expect(r.code).toBe(0);
    expect(denied(r.stdout), r.stdout + r.stderr).toBe(true);
    expect(JSON.parse(r.stdout).hookSpecificOutput.permissionDecisionReason).toMatch(/configuration/);
    expect(claudeHook(dir, writeEvent(dir, path.join(dir, '.git-coord.yml'))).stdout).toBe('');
    for (const ev of ['SessionStart', 'UserPromptSubmit']) {
      const s = claudeHook(dir, { session_id: 's', hook_event_name: ev, cwd: dir, prompt: 'hi', source: 'startup' });
      expect(s.code).toBe(0);
      expect(JSON.parse(s.stdout).hookSpecificOutput.additionalContext).toMatch(/\.git-coord\.yml/);
    }
  });
});

describe('item 3: a write through a symbolic link is judged where it lands', () => {
  it('item 3: a dangling link into a held directory: the Write is denied', () => {
    const dir = makeRepo({ 'src/auth/old.ts': 'o\n' });
    expect(coord(dir, ['lock', 'src/auth/'], as('bob')).code).toBe(0);
    fs.symlinkSync('src/auth/new.ts', path.join(dir, 'link.ts'));
    const r = claudeHook(dir, writeEvent(dir, path.join(dir, 'link.ts')));
    expect(denied(r.stdout), r.stdout + r.stderr).toBe(true);
    // A link to a free file is not denied.
    fs.symlinkSync('docs/new.md', path.join(dir, 'free.md'));
    expect(claudeHook(dir, writeEvent(dir, path.join(dir, 'free.md'))).stdout).toBe('');
  });
});

describe('item 13: a hook started in a deleted directory judges by the event cwd', () => {
  it('item 13: hook claude in a deleted directory denies the held file named by the event', () => {
    const dir = makeRepo({ 'src/a.ts': 'a\n' });
    expect(coord(dir, ['lock', 'src/a.ts'], as('bob')).code).toBe(0);
    const gone = tmpdir('gone');
    const script = `process.chdir(${JSON.stringify(gone)}); require('fs').rmSync(${JSON.stringify(gone)}, { recursive: true }); process.argv = [process.argv[0], ${JSON.stringify(CLI)}, 'hook', 'claude']; import(${JSON.stringify(CLI)});`;
    const r = spawnSync(process.execPath, ['-e', script], { env: { ...process.env, ...ENV, GIT_COORD_AGENT: 'alice' }, input: JSON.stringify(writeEvent(dir, path.join(dir, 'src/a.ts'), 'Edit')), encoding: 'utf8', timeout: 30_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(denied(r.stdout), r.stdout + r.stderr).toBe(true);
  });
});

/** Processes whose working directory is inside `dir` (from /proc). */
function processesIn(dir: string): string[] {
  const real = fs.realpathSync(dir);
  const out: string[] = [];
  for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cwd = fs.readlinkSync(`/proc/${pid}/cwd`);
      if (cwd === real || cwd.startsWith(real + '/')) out.push(`${pid}: ${fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ')}`);
    } catch {
      // gone, or not ours
    }
  }
  return out;
}

describe('item 10: the MCP server exits when its stdin closes, even mid-call', () => {
  it('item 10: stdin closed right after a write call: the server exits and leaves no git process', async () => {
    const dir = makeRepo({ 'src/a.ts': 'a\n' });
    for (let round = 0; round < 4; round++) {
      const child = spawn(process.execPath, [CLI, 'mcp'], { cwd: dir, env: { ...process.env, ...ENV, GIT_COORD_AGENT: `agent${round}` }, stdio: ['pipe', 'pipe', 'pipe'] });
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      const send = (m: unknown) => child.stdin!.write(`${JSON.stringify(m)}\n`);
      send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } });
      send({ jsonrpc: '2.0', method: 'notifications/initialized' });
      send({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'lock', arguments: { patterns: [`src/r${round}/`] } } });
      send({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'send', arguments: { to: 'bob', text: `hi ${round}` } } });
      // Close stdin mid-call, after a pause that varies (0 to 300 ms).
      await new Promise((r) => setTimeout(r, round * 100));
      child.stdin!.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      const code = await exited;
      clearTimeout(timer);
      expect(code, `round ${round}`).toBe(0);
      // Give the kernel a moment to reap children, then nothing may remain in the repository.
      await new Promise((r) => setTimeout(r, 300));
      expect(processesIn(dir), `round ${round}`).toEqual([]);
    }
    expect(gitRun(dir, ['fsck']).code).toBe(0);
  });
});

describe('item 17: cut on display', () => {
  it('item 17: a forged 1 MB title is cut in task list and task show; a long cycle error names a few ids', () => {
    const dir = makeRepo();
    expect(coord(dir, ['task', 'add', 't', '--id', 'big'], as('alice')).code).toBe(0);
    for (const ref of refs(dir).filter((r) => r.endsWith('/big'))) forge(dir, ref, (rec) => ({ ...rec, title: 'T'.repeat(1_000_000), note: 'N'.repeat(100_000) }));
    const list = coord(dir, ['task', 'list'], as('alice'));
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout.length).toBeLessThan(2_000);
    const show = coord(dir, ['task', 'show', 'big'], as('alice'));
    expect(show.stdout.length).toBeLessThan(5_000);
    const n = 3000;
    const lines = Array.from({ length: n }, (_, i) => JSON.stringify({ id: `c${i}`, title: 'chain', dependsOn: [`c${(i + 1) % n}`] })).join('\n');
    const file = path.join(tmpdir('in'), 'chain.jsonl');
    fs.writeFileSync(file, lines);
    const r = coord(dir, ['task', 'import', file], as('alice'));
    expect(r.code, r.stderr.slice(0, 300)).toBe(2);
    expect(r.stderr).toMatch(/cycle/);
    expect(r.stderr.length).toBeLessThan(2_000);
  });
});

describe('item 19: a big import through a remote is refused in terms of tasks', () => {
  it('item 19: 10,000 tasks through a remote: exit 2 saying to split the file, nothing written', () => {
    const { root, hub, url } = makeHub();
    const a = clone(root, url, 'alice');
    const lines = Array.from({ length: 10_000 }, (_, i) => JSON.stringify({ id: `task-number-${i}`, title: `t${i}` })).join('\n');
    const file = path.join(tmpdir('in'), 'many.jsonl');
    fs.writeFileSync(file, lines);
    const r = coord(a, ['task', 'import', file], as('alice'));
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/tasks/);
    expect(r.stderr).not.toMatch(/patterns/);
    expect(gitSync(hub, 'for-each-ref', 'refs/coordination/tasks/').trim()).toBe('');
  });
});

describe('item 11 (MCP): a message past the transport cap ends the server', () => {
  it('item 11: 12 MB without a newline on the MCP server stdin: it stops (no hang), says why, leaves no process', async () => {
    const dir = makeRepo();
    const child = spawn(process.execPath, [CLI, 'mcp'], { cwd: dir, env: { ...process.env, ...ENV, GIT_COORD_AGENT: 'a' }, stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.stdin!.on('error', () => {});
    child.stdin!.write('a'.repeat(12 * 1024 * 1024));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const code = await exited;
    clearTimeout(timer);
    expect(code, stderr).not.toBeNull();
    expect(stderr).toMatch(/maximum size/);
    expect(processesIn(dir)).toEqual([]);
  });
});

describe('item 1 (class): a stray .git does not hide a held file', () => {
  it.each([['an empty .git file'], ['an empty .git directory'], ['a .git file naming nothing']])('item 1: %s inside a held directory: the write is still denied', (kind) => {
    const dir = makeRepo({ 'src/a.ts': 'a\n' });
    expect(coord(dir, ['lock', 'src/'], as('bob')).code).toBe(0);
    const stray = path.join(dir, 'src', '.git');
    if (kind === 'an empty .git directory') fs.mkdirSync(stray);
    else fs.writeFileSync(stray, kind === 'an empty .git file' ? '' : 'gitdir: /nowhere/at/all\n');
    const r = claudeHook(dir, writeEvent(dir, path.join(dir, 'src/a.ts'), 'Edit'));
    expect(denied(r.stdout), r.stdout + r.stderr).toBe(true);
  });
});
