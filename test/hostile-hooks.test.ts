/**
 * Hostile inputs to the agent hooks (`hook claude`, `hook codex`) found by the hostile pass of
 * issue 18: each case here reproduced a slip before its fix.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CLI, ENV, coord, makeRepo } from './helpers.js';

function heldRepo(): string {
  const dir = fs.realpathSync(makeRepo({ 'held/f.txt': 'x\n', 'src/a.ts': 'a\n', 'other/o.txt': 'o\n' }));
  const r = coord(dir, ['lock', '--ttl', '1d', 'held/', 'src/a.ts'], { GIT_COORD_AGENT: 'alice' });
  expect(r.code, r.stderr).toBe(0);
  return dir;
}

function pre(client: 'claude' | 'codex', dir: string, tool: string, input: Record<string, unknown>): string {
  const ev = { hook_event_name: 'PreToolUse', session_id: 's', cwd: dir, tool_name: tool, tool_input: input, tool_use_id: 't1' };
  const r = spawnSync(process.execPath, [CLI, 'hook', client], { cwd: dir, env: { ...ENV, GIT_COORD_AGENT: 'bob' }, input: JSON.stringify(ev), encoding: 'utf8' });
  expect(r.status).toBe(0);
  return r.stdout ? (JSON.parse(r.stdout).hookSpecificOutput?.permissionDecision ?? '') : '';
}

describe("hostile: shell words in ANSI-C quotes ($'…') are decoded as bash decodes them", () => {
  it('denies a held target spelled with \\x, octal, \\u and \\U escapes', () => {
    const dir = heldRepo();
    for (const cmd of [
      "rm $'\\x68eld/f.txt'",
      "rm $'\\150eld/f.txt'",
      "rm $'\\u0068eld/f.txt'",
      "rm $'\\U00000068eld/f.txt'",
      "echo y > $'src/\\x61.ts'",
      "rm $'\\x68'eld/f.txt",
    ]) {
      for (const client of ['claude', 'codex'] as const) expect(pre(client, dir, 'Bash', { command: cmd }), `${client}: ${cmd}`).toBe('deny');
    }
  });
});

describe('hostile: a dangling symbolic link into a held directory (issue 18, item 3)', () => {
  it('denies a Write, an apply_patch and a shell redirection through it', () => {
    const dir = heldRepo();
    fs.symlinkSync('held/new.txt', `${dir}/dangling.ts`);
    fs.symlinkSync('../held/deeper/n.txt', `${dir}/other/d2`);
    fs.symlinkSync('d2', `${dir}/other/d1`); // a chain of two
    for (const p of ['dangling.ts', 'other/d1']) {
      expect(pre('claude', dir, 'Write', { file_path: `${dir}/${p}`, content: 'x' }), `Write ${p}`).toBe('deny');
      expect(pre('codex', dir, 'apply_patch', { command: `*** Begin Patch\n*** Add File: ${p}\n+y\n*** End Patch` }), `patch ${p}`).toBe('deny');
      expect(pre('codex', dir, 'Bash', { command: `echo y > ${p}` }), `shell ${p}`).toBe('deny');
    }
    // A link loop is no write into a held path, and no hang.
    fs.symlinkSync('loop2', `${dir}/loop1`);
    fs.symlinkSync('loop1', `${dir}/loop2`);
    expect(pre('claude', dir, 'Write', { file_path: `${dir}/loop1`, content: 'x' })).toBe('');
  });
});

// Open (issue 18 items 1, 2 and 13, also on the Codex face): left to the helper fixing issue 18 in
// src/hooks/agent.ts and agent-judge.ts, for both agents (they failed before issue 18's fixes landed there).
describe('hostile: open on the Codex face too (issue 18)', () => {
  it('item 2: an invalid .git-coord.yml does not let a held path through apply_patch or a shell write', () => {
    const dir = heldRepo();
    fs.writeFileSync(`${dir}/.git-coord.yml`, 'ttl: bogus\n');
    expect(pre('codex', dir, 'apply_patch', { command: '*** Begin Patch\n*** Update File: src/a.ts\n@@\n-a\n+b\n*** End Patch' })).toBe('deny');
    expect(pre('codex', dir, 'Bash', { command: 'rm held/f.txt' })).toBe('deny');
  });
  it('item 1: a held path in a worktree nested in the work tree, through apply_patch and the shell', () => {
    const dir = heldRepo();
    spawnSync('git', ['worktree', 'add', '-q', '.worktrees/w2'], { cwd: dir });
    expect(pre('codex', dir, 'apply_patch', { command: '*** Begin Patch\n*** Update File: .worktrees/w2/src/a.ts\n@@\n-a\n+b\n*** End Patch' })).toBe('deny');
    expect(pre('codex', dir, 'Bash', { command: 'rm .worktrees/w2/src/a.ts' })).toBe('deny');
  });
});
