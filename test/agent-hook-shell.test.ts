/**
 * The agent hooks' shell fast path (hooks/agent-pre-tool-use): on every event, its answer is the
 * Node hook's (`git-coord hook claude`, the reference), and it answers the common case (no lock
 * near the path) without Node, with the same ref query as src/store/layout.ts builds.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, ENV, coord, gitSync, makeRepo, tmpdir, write } from './helpers.js';
import { LOCKS, coveringQuery } from '../src/store/layout.js';
import { WRITE_TOOLS } from '../src/hooks/claude.js';
import { renderAgentHook } from '../src/operations/agent-hook-script.js';

const HOLDER = { GIT_COORD_AGENT: 'other' };
const ME = { GIT_COORD_AGENT: 'me' };

/** The script with its placeholders filled, handing over to this build's CLI. */
function hookScript(): string {
  const file = path.join(tmpdir('agent-hook'), 'agent-pre-tool-use');
  fs.writeFileSync(file, renderAgentHook({ node: process.execPath, cli: CLI, root: path.resolve(path.dirname(CLI), '..') }), { mode: 0o755 });
  return file;
}

interface Answer {
  code: number | null;
  stdout: string;
  /** The shell answered alone: no lock near, or nothing to check. */
  alone: boolean;
  /** It handed over to Node. */
  handedOver: boolean;
  /** It denied the edit itself (the plain held case). */
  denied: boolean;
  query: string[];
}

function shell(script: string, cwd: string, input: string, env: NodeJS.ProcessEnv = ME, agent = 'claude'): Answer {
  const r = spawnSync('sh', [script, agent], { cwd, env: { ...ENV, ...env, GIT_COORD_TRACE: '1' }, input, encoding: 'utf8' });
  const lines = r.stderr.split('\n');
  const prefix = 'git-coord: trace: agent-pre-tool-use: ';
  return {
    code: r.status,
    stdout: r.stdout,
    alone: lines.some((l) => l === `${prefix}no lock near the paths` || l === `${prefix}no file to check`),
    handedOver: lines.some((l) => l.startsWith(prefix) && l.endsWith(': checking in git-coord')),
    denied: lines.some((l) => l === `${prefix}another agent holds the path: denied`),
    query: lines.filter((l) => l.startsWith(`${prefix}query `)).map((l) => l.slice(`${prefix}query `.length)),
  };
}

function node(cwd: string, input: string, env: NodeJS.ProcessEnv = ME): { code: number | null; stdout: string } {
  const r = spawnSync(process.execPath, [CLI, 'hook', 'claude'], { cwd, env: { ...ENV, ...env }, input, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout };
}

/** A repository where `other` holds files, a directory, a glob and awkward names. */
function heldRepo(): string {
  const dir = fs.realpathSync(makeRepo({ 'README.md': 'x\n', 'held/a.txt': 'a\n', 'sub/free.txt': 'f\n', 'top.txt': 't\n' }));
  // Glob characters and backslashes escaped: these patterns name the files literally.
  const patterns = ['held/a.txt', 'dir/', 'g/**/*.ts', 'top.txt', 'sp ace/f.txt', "we!rd#$%&()+,;=@\\[\\]^\\{\\}~'/x.txt", 'UPPER/Case.txt', 'a.b/c', 'caf\u00e9/x.txt', 'back\\\\slash/q"uote.txt'];
  const r = coord(dir, ['lock', '--ttl', '1d', ...patterns], HOLDER);
  expect(r.code, r.stderr).toBe(0);
  return dir;
}

const pre = (cwd: string | undefined, tool: string, input: unknown, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ session_id: 's', hook_event_name: 'PreToolUse', ...(cwd === undefined ? {} : { cwd }), tool_name: tool, tool_input: input, ...extra });

describe('agent-pre-tool-use, the shell fast path of `hook claude`', () => {
  it('is generated from its source with the TypeScript values (test/shell-parity.test.ts holds each equal); an install fills node and cli', () => {
    const text = fs.readFileSync(hookScript(), 'utf8');
    expect(text).not.toMatch(/@[A-Z_]+@/);
    expect(text).toContain(`GC_LOCKS=${LOCKS}`);
    expect(text).toContain(`GC_WRITE_TOOLS='${WRITE_TOOLS.join(' ')}'`);
  });

  it('answers as the Node hook does on plain and awkward paths, alone when no lock is near, with the same query', () => {
    const dir = heldRepo();
    const script = hookScript();
    fs.mkdirSync(path.join(dir, 'deep', 'er'), { recursive: true });
    // near: a lock ref lies near the path (its directory holds locks), so Node decides.
    const cases: { path: string; cwd?: string; held: boolean; near?: boolean }[] = [
      { path: `${dir}/free.txt`, held: false },
      { path: 'free.txt', held: false },
      { path: 'sub/free.txt', held: false },
      { path: 'free.txt', cwd: `${dir}/sub`, held: false },
      { path: '../held/a.txt', cwd: `${dir}/sub`, held: true },
      { path: `${dir}/held/a.txt`, held: true },
      { path: 'held/a.txt', held: true },
      { path: 'held/b.txt', held: false, near: true },
      { path: 'dir/new/deep/f.txt', held: true },
      { path: 'dirx/f.txt', held: false },
      { path: 'g/x/y/z.ts', held: true },
      { path: 'g/x/y/z.js', held: false, near: true },
      { path: 'top.txt', held: true },
      { path: 'top.txt.bak', held: false },
      { path: 'sp ace/f.txt', held: true },
      { path: 'sp ace/g.txt', held: false, near: true },
      { path: "we!rd#$%&()+,;=@[]^{}~'/x.txt", held: true },
      { path: 'UPPER/Case.txt', held: true },
      { path: 'upper/case.txt', held: false },
      { path: 'a.b/c', held: true },
      { path: 'a_2eb/c', held: false },
      { path: 'back\\slash/q"uote.txt', held: true },
      { path: 'caf\u00e9/x.txt', held: true },
      { path: 'caf\u00e9/y.txt', held: false },
      { path: 'deep/er/new.txt', held: false },
      { path: `${'long'.repeat(60)}/x.txt`, held: false },
      { path: 'no/such/dir/at/all.txt', held: false },
    ];
    for (const c of cases) {
      const cwd = c.cwd ?? dir;
      const input = pre(cwd, 'Edit', { file_path: c.path, old_string: 'a', new_string: 'b' });
      const ref = node(cwd, input);
      const sh = shell(script, cwd, input);
      expect({ path: c.path, code: sh.code, stdout: sh.stdout }).toEqual({ path: c.path, code: ref.code, stdout: ref.stdout });
      expect(ref.stdout.includes('"deny"'), c.path).toBe(c.held);
      if (c.near) expect(sh.handedOver, c.path).toBe(true);
      // A held path: denied here in the plain case (another agent's lock on exactly that file,
      // a path of plain characters), else by Node.
      if (c.held) expect(sh.denied || sh.handedOver, c.path).toBe(true);
      if (c.held && ['held/a.txt', `${dir}/held/a.txt`, 'top.txt', 'UPPER/Case.txt', 'a.b/c'].includes(c.path)) expect(sh.denied, c.path).toBe(true);
      if (c.held && ['dir/new/deep/f.txt', 'g/x/y/z.ts', 'sp ace/f.txt'].includes(c.path)) expect(sh.handedOver, c.path).toBe(true);
      // Plain ASCII paths without odd segments are answered alone, with the Node query.
      const plain = /^[\x20-\x7e]*$/.test(c.path) && !c.path.includes('..') && !c.path.includes('long');
      if (!c.held && !c.near && plain) {
        expect(sh.alone, c.path).toBe(true);
        const rel = path.relative(dir, path.resolve(cwd, c.path)).split(path.sep).join('/');
        expect(sh.query, c.path).toEqual(coveringQuery([rel]));
      }
    }
  }, 600_000);

  it('answers as the Node hook does on awkward events: odd JSON, odd fields, odd tools, odd places', () => {
    const dir = heldRepo();
    const script = hookScript();
    fs.symlinkSync(path.join(dir, 'held', 'a.txt'), path.join(dir, 'link.txt'));
    fs.symlinkSync(path.join(dir, 'held'), path.join(dir, 'lnk'));
    const other = fs.realpathSync(makeRepo());
    coord(other, ['lock', 'o.txt'], HOLDER);
    const nested = path.join(dir, 'nested');
    fs.mkdirSync(nested);
    gitSync(nested, 'init', '-q', '-b', 'main');
    coord(nested, ['lock', 'n.txt'], HOLDER);
    const held = `${dir}/held/a.txt`;
    const events: [string, string, string?][] = [
      ['not JSON', 'edit held/a.txt'],
      ['empty input', ''],
      ['a JSON array', `[${pre(dir, 'Edit', { file_path: held })}]`],
      ['null', 'null'],
      ['a string', '"PreToolUse"'],
      ['a BOM first', `\ufeff${pre(dir, 'Edit', { file_path: held })}`],
      ['pretty-printed, CRLF', JSON.stringify(JSON.parse(pre(dir, 'Edit', { file_path: held })), null, 2).replace(/\n/g, '\r\n')],
      ['trailing garbage', `${pre(dir, 'Edit', { file_path: 'free.txt' })} x`],
      ['two objects', `${pre(dir, 'Edit', { file_path: 'free.txt' })}${pre(dir, 'Edit', { file_path: 'free.txt' })}`],
      ['a lone surrogate escape', pre(dir, 'Edit', { file_path: 'free.txt', old_string: 'x' }).replace('"x"', '"\\ud800"')],
      ['an invalid escape', pre(dir, 'Edit', { file_path: 'free.txt', old_string: 'x' }).replace('"x"', '"\\q"')],
      ['a raw tab in a string', pre(dir, 'Edit', { file_path: 'free.txt', old_string: 'x' }).replace('"x"', '"\t"')],
      ['a big Write with quotes and backslashes', pre(dir, 'Write', { file_path: 'free.txt', content: 'say "hi" \\ \\" \n'.repeat(5000) })],
      ['a big Write of a held file', pre(dir, 'Write', { file_path: held, content: 'x"\\'.repeat(20000) })],
      ['over the size cap', pre(dir, 'Write', { file_path: held, content: 'x'.repeat(300_000) })],
      ['numbers, literals, nesting', pre(dir, 'MultiEdit', { file_path: held, edits: [{ a: 1, b: [true, false, null, -1.5e3, { c: [[]] }] }] }, { n: 0, t: {} })],
      ['NotebookEdit', pre(dir, 'NotebookEdit', { notebook_path: held, new_source: 'x' })],
      ['NotebookEdit of a free notebook', pre(dir, 'NotebookEdit', { notebook_path: 'n.ipynb' })],
      ['file_path not a string, notebook_path held', pre(dir, 'Edit', { file_path: 7, notebook_path: held })],
      ['file_path empty', pre(dir, 'Edit', { file_path: '', notebook_path: held })],
      ['no path at all', pre(dir, 'Write', { content: 'x' })],
      ['Read of a held file', pre(dir, 'Read', { file_path: held })],
      ['Bash', pre(dir, 'Bash', { command: `echo > ${held}` })],
      ['tool_name not a string', pre(dir, 'Edit', { file_path: held }).replace('"tool_name":"Edit"', '"tool_name":["Edit"]')],
      ['tool_input null', pre(dir, 'Edit', null)],
      ['tool_input a string', pre(dir, 'Edit', held)],
      ['tool_input an array', pre(dir, 'Edit', [held])],
      ['tool_input twice, the last empty', pre(dir, 'Edit', { file_path: held }).replace(/}$/, ',"tool_input":{}}')],
      ['tool_input twice, the last held', pre(dir, 'Edit', { file_path: 'free.txt' }).replace(/}$/, `,"tool_input":{"file_path":${JSON.stringify(held)}}}`)],
      ['file_path twice, the last held', pre(dir, 'Edit', { file_path: 'free.txt' }).replace('"free.txt"', `"free.txt","file_path":${JSON.stringify(held)}`)],
      ['file_path twice, the last free', pre(dir, 'Edit', { file_path: held }).replace(`${JSON.stringify(held)}`, `${JSON.stringify(held)},"file_path":"free.txt"`)],
      ['a \\u escape in the path', pre(dir, 'Edit', { file_path: 'held/a.txt' }).replace('held/a.txt', 'held/a\\u002etxt')],
      ['an escaped slash in the path', pre(dir, 'Edit', { file_path: 'held/a.txt' }).replace('held/a.txt', 'held\\/a.txt')],
      ['an escaped key', pre(dir, 'Edit', { file_path: 'held/a.txt' }).replace('"file_path"', '"file\\u005fpath"')],
      ['an escaped event name', pre(dir, 'Edit', { file_path: 'held/a.txt' }).replace('"PreToolUse"', '"PreTool\\u0055se"')],
      ['a newline in the path', pre(dir, 'Edit', { file_path: 'held/a.txt\nfree.txt' })],
      ['a NUL escape in the path', pre(dir, 'Edit', { file_path: 'held/a.txt\u0000' })],
      ['./ first', pre(dir, 'Edit', { file_path: './held/a.txt' })],
      ['a .. inside', pre(dir, 'Edit', { file_path: 'sub/../held/a.txt' })],
      ['a double slash', pre(dir, 'Edit', { file_path: 'held//a.txt' })],
      ['a trailing slash', pre(dir, 'Edit', { file_path: 'held/a.txt/' })],
      ['a directory', pre(dir, 'Write', { file_path: 'held' })],
      ['a symlink to a held file', pre(dir, 'Edit', { file_path: 'link.txt' })],
      ['a path through a symlinked directory', pre(dir, 'Edit', { file_path: 'lnk/a.txt' })],
      ['cwd relative (the process cwd counts)', pre('sub', 'Edit', { file_path: 'held/a.txt' })],
      ['no cwd', pre(undefined, 'Edit', { file_path: 'held/a.txt' })],
      ['cwd that does not exist', pre(`${dir}/no/such`, 'Edit', { file_path: '../../held/a.txt' })],
      ['cwd with a trailing slash', pre(`${dir}/`, 'Edit', { file_path: 'held/a.txt' })],
      ['a file outside any repository', pre(dir, 'Edit', { file_path: '/nonexistent-dir/x.txt' })],
      ['a file in another repository', pre(dir, 'Edit', { file_path: `${other}/o.txt` })],
      ['a file in a nested repository', pre(dir, 'Edit', { file_path: 'nested/n.txt' })],
      ['a file in .git', pre(dir, 'Edit', { file_path: '.git/config' })],
      ['the repository top', pre(dir, 'Edit', { file_path: dir })],
      ['SessionStart', JSON.stringify({ session_id: 's', hook_event_name: 'SessionStart', cwd: dir, source: 'startup' })],
      ['no event name', JSON.stringify({ cwd: dir, tool_name: 'Edit', tool_input: { file_path: held } })],
    ];
    for (const [what, input] of events) {
      const ref = node(dir, input);
      const sh = shell(script, dir, input);
      expect({ what, code: sh.code, stdout: sh.stdout }).toEqual({ what, code: ref.code, stdout: ref.stdout });
    }
    // The holder itself, and a config file: handed over, and the same answer.
    const own = pre(dir, 'Edit', { file_path: held });
    expect(shell(script, dir, own, HOLDER).stdout).toBe(node(dir, own, HOLDER).stdout);
    write(dir, { '.git-coord.yml': 'ttl: 2h\n' });
    const free = pre(dir, 'Edit', { file_path: 'free.txt' });
    const withConfig = shell(script, dir, free);
    expect(withConfig.handedOver).toBe(true);
    expect(withConfig.stdout).toBe(node(dir, free).stdout);
  }, 600_000); // about 110 node starts: minutes on a machine loaded by parallel suites

  it('denies the plain held case itself, as Node words it, and leaves every other held case to Node', () => {
    const dir = fs.realpathSync(makeRepo({ 'README.md': 'x\n', 'src/a.ts': 'a\n', 'src/b.ts': 'b\n' }));
    const script = hookScript();
    const lock = (agent: string, args: string[]) => expect(coord(dir, ['lock', ...args], { GIT_COORD_AGENT: agent }).code).toBe(0);
    // Siblings in the same directory (their refs lie beside the path's own) do not stop it.
    lock('other', ['--ttl', '1d', 'src/a.ts', 'src/b.ts', 'src/c.ts', 'src/a.tsx']);
    lock('other', ['--ttl', '1d', '--reason', 'refactoring', 'docs/why.md']);
    lock('me', ['--ttl', '1d', 'mine.txt']);
    lock('other', ['--ttl', '1d', 'lib/x.ts', 'lib/']);
    lock('other', ['--ttl', '1d', 'deep/er/f.txt', 'deep/er/f.txt/inner']);
    const edit = (file: string, extra: Record<string, unknown> = {}) => pre(dir, 'Edit', { file_path: file, old_string: 'a', new_string: 'b' }, extra);
    const cases: [string, NodeJS.ProcessEnv, 'denied' | 'node'][] = [
      [edit('src/a.ts'), ME, 'denied'],
      [edit(`${dir}/src/b.ts`), ME, 'denied'],
      [pre(dir, 'Write', { file_path: 'src/c.ts', content: 'x' }), ME, 'denied'],
      [pre(dir, 'NotebookEdit', { notebook_path: 'src/a.tsx' }), ME, 'denied'],
      [edit('docs/why.md'), ME, 'node'], // a reason: Node words it
      [edit('mine.txt'), ME, 'node'], // my own lock
      [edit('src/a.ts'), HOLDER, 'node'], // the holder itself
      [edit('src/a.ts'), {}, 'node'], // no agent id in the environment
      [edit('src/a.ts'), { GIT_COORD_AGENT: 'bad id' }, 'node'],
      [edit('lib/x.ts'), ME, 'node'], // a directory lock covers it too
      [edit('deep/er/f.txt'), ME, 'node'], // a lock below the file's own ref
    ];
    for (const [input, env, who] of cases) {
      const ref = node(dir, input, env);
      const sh = shell(script, dir, input, env);
      expect({ input, stdout: sh.stdout, code: sh.code }).toEqual({ input, stdout: ref.stdout, code: ref.code });
      expect({ input, who: sh.denied ? 'denied' : sh.handedOver ? 'node' : 'alone' }).toEqual({ input, who });
    }
    expect(node(dir, edit('src/a.ts')).stdout).toContain('"deny"');
    // git-coord on PATH: the denial names it so, as Node's does.
    const bin = tmpdir('bin');
    fs.writeFileSync(path.join(bin, 'git-coord'), '#!/bin/sh\n', { mode: 0o755 });
    const onPath = { ...ME, PATH: `${bin}:${process.env.PATH}` };
    const viaPath = shell(script, dir, edit('src/a.ts'), onPath);
    expect(viaPath.denied).toBe(true);
    expect(viaPath.stdout).toBe(node(dir, edit('src/a.ts'), onPath).stdout);
    expect(viaPath.stdout).toContain('git-coord send other');
    // A record of another shape (a field added by hand), an expired lock, a day past the 28th: Node decides.
    const ref = gitSync(dir, 'for-each-ref', '--format=%(refname)', 'refs/coordination/locks/p-src/p-a_2ets/').trim();
    const body = JSON.parse(gitSync(dir, 'for-each-ref', '--format=%(contents:body)', ref).trim());
    const forge = (record: unknown) => {
      const tree = gitSync(dir, 'hash-object', '-t', 'tree', '/dev/null').trim();
      const commit = gitSync(dir, 'commit-tree', tree, '-m', `forged\n\n${JSON.stringify(record)}`).trim();
      gitSync(dir, 'update-ref', ref, commit);
    };
    for (const record of [
      { ...body, extra: 1 },
      { ...body, expiresAt: '2001-01-01T00:00:00.000Z' },
      { ...body, expiresAt: `${Number(body.expiresAt.slice(0, 4)) + 1}-03-29T00:00:00.000Z` },
      { ...body, state: 'pending' },
    ]) {
      forge(record);
      const input = edit('src/a.ts');
      const sh = shell(script, dir, input);
      expect({ record, handedOver: sh.handedOver, stdout: sh.stdout }).toEqual({ record, handedOver: true, stdout: node(dir, input).stdout });
    }
    forge(body);
    expect(shell(script, dir, edit('src/a.ts')).denied).toBe(true);
  }, 600_000);

  it('reads Codex apply_patch paths (Add, Update, Delete, Move to), answering alone only when no lock is near', () => {
    const dir = heldRepo();
    const script = hookScript();
    const patch = (lines: string[]) => pre(dir, 'apply_patch', { command: ['*** Begin Patch', ...lines, '*** End Patch'].join('\n') });
    const free = shell(script, dir, patch(['*** Update File: src/a.ts', '@@', '-"x"', '+y \\ z', '*** Add File: docs/new.md', '+hi', '*** Delete File: old.txt', '*** Update File: sub/free.txt', '*** Move to: sub/moved.txt']), ME, 'codex');
    expect(free).toMatchObject({ code: 0, stdout: '', alone: true, handedOver: false });
    expect(free.query).toEqual(coveringQuery(['src/a.ts', 'docs/new.md', 'old.txt', 'sub/free.txt', 'sub/moved.txt']));
    // A line of content that looks like a header is content.
    const content = shell(script, dir, patch(['*** Update File: src/a.ts', '+*** Update File: held/a.txt']), ME, 'codex');
    expect(content).toMatchObject({ code: 0, stdout: '', alone: true, query: coveringQuery(['src/a.ts']) });
    for (const lines of [
      ['*** Update File: held/a.txt'],
      ['*** Update File: sub/free.txt', '*** Move to: held/a.txt'],
      ['*** Add File: dir/x.txt'],
      ['*** Delete File: top.txt'],
      ['*** Update File: g/a/b.ts'],
    ]) {
      expect(shell(script, dir, patch(lines), ME, 'codex').handedOver, lines.join(' ')).toBe(true);
    }
    // Odd patches, other tools and events: Node decides.
    for (const input of [
      patch([]),
      patch(['*** Update File:  src/a.ts']),
      patch(['*** Update File: ../outside.txt']),
      pre(dir, 'Bash', { command: 'apply_patch <<EOF' }),
      pre(dir, 'apply_patch', 'raw text'),
      JSON.stringify({ hook_event_name: 'SessionStart', cwd: dir }),
    ]) {
      expect(shell(script, dir, input, ME, 'codex').handedOver, input).toBe(true);
    }
  });
});
