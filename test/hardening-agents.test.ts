/**
 * Issue 18's agent-hook items (1, 2, 3, 11, 13) for BOTH agents' hooks, after the agent hooks
 * became one decision for Claude Code and Codex (src/hooks/agent.ts): `hook codex`'s apply_patch,
 * and the shell's evident write targets of either client, judged by the same path rules as a file
 * tool's path. Real git, real processes, the built CLI.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, ENV, coord, gitSync, makeRepo, tmpdir, write } from './helpers.js';

const as = (agent: string) => ({ GIT_COORD_AGENT: agent });

function hook(client: 'claude' | 'codex', cwd: string, event: Record<string, unknown>, agent = 'alice') {
  const r = spawnSync(process.execPath, [CLI, 'hook', client], { cwd, env: { ...process.env, ...ENV, GIT_COORD_AGENT: agent }, input: JSON.stringify(event), encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A Codex apply_patch updating (or adding) `file` (absolute). */
const patchEvent = (cwd: string, file: string, op: 'Update' | 'Add' = 'Update') => ({
  session_id: 's',
  hook_event_name: 'PreToolUse',
  cwd,
  tool_name: 'apply_patch',
  tool_use_id: 'call_p1',
  tool_input: { command: `*** Begin Patch\n*** ${op} File: ${file}\n${op === 'Add' ? '+x' : '@@\n-a\n+b'}\n*** End Patch\n` },
});
const shellEvent = (cwd: string, command: string) => ({ session_id: 's', hook_event_name: 'PreToolUse', cwd, tool_name: 'Bash', tool_use_id: 'call_s1', tool_input: { command } });
const denied = (out: string) => out !== '' && JSON.parse(out).hookSpecificOutput.permissionDecision === 'deny';
const reason = (out: string) => JSON.parse(out).hookSpecificOutput.permissionDecisionReason as string;

describe('item 1 for hook codex and shell writes: a path is judged by the repository that holds it', () => {
  it('item 1: an apply_patch and a shell redirection into a nested worktree or repository are judged there', () => {
    const dir = makeRepo({ 'src/a.ts': 'a\n' });
    gitSync(dir, 'worktree', 'add', '-q', '-b', 'w2', '.worktrees/w2');
    expect(coord(path.join(dir, '.worktrees/w2'), ['lock', 'src/a.ts'], as('bob')).code).toBe(0);
    const nested = path.join(dir, '.worktrees/w2/src/a.ts');
    expect(denied(hook('codex', dir, patchEvent(dir, nested)).stdout)).toBe(true);
    for (const client of ['claude', 'codex'] as const) {
      const r = hook(client, dir, shellEvent(dir, `echo x > ${nested}`));
      expect(r.code).toBe(0);
      expect(denied(r.stdout), client + r.stdout + r.stderr).toBe(true);
    }
    // A second repository inside the work tree: its own locks judge it, not the outer one's.
    const inner = path.join(dir, 'vendor', 'inner');
    fs.mkdirSync(inner, { recursive: true });
    gitSync(inner, 'init', '-q');
    write(inner, { 'lib.ts': 'l\n' });
    gitSync(inner, 'add', '-A');
    gitSync(inner, 'commit', '-q', '-m', 'i');
    expect(coord(inner, ['lock', 'lib.ts'], as('bob')).code).toBe(0);
    expect(coord(dir, ['lock', 'other.ts'], as('bob')).code).toBe(0);
    expect(denied(hook('codex', dir, patchEvent(dir, path.join(inner, 'lib.ts'))).stdout)).toBe(true);
    expect(denied(hook('claude', dir, shellEvent(dir, 'echo x > vendor/inner/lib.ts')).stdout)).toBe(true);
    expect(hook('codex', dir, patchEvent(dir, path.join(inner, 'other.ts'), 'Add')).stdout).toBe('');
    expect(hook('codex', dir, shellEvent(dir, 'echo x > vendor/inner/other.ts')).stdout).toBe('');
  });

  it('item 1: a stray .git in a held directory hides nothing from an apply_patch or a shell write', () => {
    const dir = makeRepo({ 'src/a.ts': 'a\n' });
    expect(coord(dir, ['lock', 'src/'], as('bob')).code).toBe(0);
    fs.writeFileSync(path.join(dir, 'src', '.git'), 'gitdir: /nowhere/at/all\n');
    expect(denied(hook('codex', dir, patchEvent(dir, path.join(dir, 'src/a.ts'))).stdout)).toBe(true);
    expect(denied(hook('codex', dir, shellEvent(dir, 'echo x > src/a.ts')).stdout)).toBe(true);
  });
});

describe('item 2 for hook codex: an unreadable configuration', () => {
  it('item 2: the held file is denied, the config file is not, the session hooks say why, exit 0 throughout', () => {
    const dir = makeRepo({ 'src/a.ts': 'a\n' });
    expect(coord(dir, ['lock', 'src/a.ts'], as('bob')).code).toBe(0);
    fs.writeFileSync(path.join(dir, '.git-coord.yml'), 'ttl: bogus\n');
    const r = hook('codex', dir, patchEvent(dir, path.join(dir, 'src/a.ts')));
    expect(r.code).toBe(0);
    expect(denied(r.stdout), r.stdout + r.stderr).toBe(true);
    expect(reason(r.stdout)).toMatch(/configuration/);
    expect(denied(hook('codex', dir, shellEvent(dir, 'echo x > src/a.ts')).stdout)).toBe(true);
    expect(hook('codex', dir, patchEvent(dir, path.join(dir, '.git-coord.yml'))).stdout).toBe('');
    expect(hook('codex', dir, shellEvent(dir, "echo 'ttl: 1h' > .git-coord.yml")).stdout).toBe('');
    for (const ev of ['SessionStart', 'UserPromptSubmit', 'SubagentStart']) {
      const s = hook('codex', dir, { session_id: 's', hook_event_name: ev, cwd: dir, prompt: 'hi', source: 'startup', agent_id: ev === 'SubagentStart' ? 'sub1' : undefined });
      expect(s.code).toBe(0);
      expect(JSON.parse(s.stdout).hookSpecificOutput.additionalContext, ev).toMatch(/\.git-coord\.yml/);
    }
  });
});

describe('item 3 for hook codex and shell writes: a write through a symbolic link is judged where it lands', () => {
  it('item 3: a dangling link into a held directory: the apply_patch and the shell redirection are denied; a link to a free file is not', () => {
    const dir = makeRepo({ 'src/auth/old.ts': 'o\n' });
    expect(coord(dir, ['lock', 'src/auth/'], as('bob')).code).toBe(0);
    fs.symlinkSync('src/auth/new.ts', path.join(dir, 'link.ts'));
    expect(denied(hook('codex', dir, patchEvent(dir, path.join(dir, 'link.ts'), 'Add')).stdout)).toBe(true);
    for (const client of ['claude', 'codex'] as const) expect(denied(hook(client, dir, shellEvent(dir, 'echo x > link.ts')).stdout), client).toBe(true);
    fs.symlinkSync('docs/new.md', path.join(dir, 'free.md'));
    expect(hook('codex', dir, patchEvent(dir, path.join(dir, 'free.md'), 'Add')).stdout).toBe('');
    expect(hook('codex', dir, shellEvent(dir, 'echo x > free.md')).stdout).toBe('');
  });
});

describe('item 11 for hook codex: stdin capped, always exit 0', () => {
  it('item 11: hook codex given more than its cap exits 0 with no decision and a note', () => {
    const dir = makeRepo();
    const fd = fs.openSync('/dev/zero', 'r');
    try {
      const r = spawnSync(process.execPath, [CLI, 'hook', 'codex'], { cwd: dir, stdio: [fd, 'pipe', 'pipe'], timeout: 60_000, killSignal: 'SIGKILL', encoding: 'utf8', env: { ...process.env, ...ENV, GIT_COORD_AGENT: 'alice' } });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/too long.*no decision/);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    } finally {
      fs.closeSync(fd);
    }
  });
});

describe('item 13 for hook codex: started in a deleted directory', () => {
  it('item 13: hook codex in a deleted directory denies the held file named by the event', () => {
    const dir = makeRepo({ 'src/a.ts': 'a\n' });
    expect(coord(dir, ['lock', 'src/a.ts'], as('bob')).code).toBe(0);
    const gone = tmpdir('gone');
    const script = `process.chdir(${JSON.stringify(gone)}); require('fs').rmSync(${JSON.stringify(gone)}, { recursive: true }); process.argv = [process.argv[0], ${JSON.stringify(CLI)}, 'hook', 'codex']; import(${JSON.stringify(CLI)});`;
    const r = spawnSync(process.execPath, ['-e', script], { env: { ...process.env, ...ENV, GIT_COORD_AGENT: 'alice' }, input: JSON.stringify(patchEvent(dir, path.join(dir, 'src/a.ts'))), encoding: 'utf8', timeout: 30_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(denied(r.stdout), r.stdout + r.stderr).toBe(true);
  });
});

describe('items 4, 12, 16 for setup codex', () => {
  it('item 12: .codex a regular file: exit 2, nothing written; item 16: a rerun keeps the GIT_COORD_AGENT=<id> prefix', () => {
    const dir = makeRepo();
    fs.writeFileSync(path.join(dir, '.codex'), 'not a directory\n');
    const bad = coord(dir, ['setup', 'codex']);
    expect(bad.code, bad.stderr).toBe(2);
    expect(bad.stderr).not.toMatch(/\n\s+at /);
    expect(fs.readFileSync(path.join(dir, '.codex'), 'utf8')).toBe('not a directory\n');
    fs.unlinkSync(path.join(dir, '.codex'));
    expect(coord(dir, ['setup', 'codex']).code).toBe(0);
    const file = path.join(dir, '.codex', 'hooks.json');
    const h = JSON.parse(fs.readFileSync(file, 'utf8'));
    for (const groups of Object.values(h.hooks) as { hooks: { command: string }[] }[][]) groups[0]!.hooks[0]!.command = `GIT_COORD_AGENT=alice ${groups[0]!.hooks[0]!.command}`;
    write(dir, { '.codex/hooks.json': `${JSON.stringify(h, null, 2)}\n` });
    const r = coord(dir, ['setup', 'codex', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const after = JSON.parse(fs.readFileSync(file, 'utf8'));
    for (const groups of Object.values(after.hooks) as { hooks: { command: string }[] }[][]) expect(groups[0]!.hooks[0]!.command).toMatch(/^GIT_COORD_AGENT=alice .*( hook codex|\/agent-pre-tool-use' codex)$/);
    expect(JSON.parse(r.stdout).files.map((f: { changed: boolean }) => f.changed)).toEqual([false, false]);
  });
});
