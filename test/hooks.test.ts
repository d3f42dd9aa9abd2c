import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { coord, gitRun, gitSync, makeRepo, tmpdir, write } from './helpers.js';

const A = { GIT_COORD_AGENT: 'alice' };
const B = { GIT_COORD_AGENT: 'bob' };

function setup(files: Record<string, string> = { 'src/a.ts': 'a\n', 'src/b.ts': 'b\n', 'other.txt': 'o\n' }) {
  const repo = makeRepo(files);
  expect(coord(repo, ['install-hooks']).code).toBe(0);
  return repo;
}

function commit(repo: string, env: NodeJS.ProcessEnv, msg = 'change') {
  return gitRun(repo, ['commit', '-q', '-m', msg], env);
}

describe('install-hooks', () => {
  it('is idempotent, keeps and chains an existing hook, and uninstall restores it', () => {
    const repo = makeRepo();
    const hook = path.join(repo, '.git', 'hooks', 'pre-commit');
    fs.writeFileSync(hook, '#!/bin/sh\necho "user hook ran" >&2\n', { mode: 0o755 });
    expect(coord(repo, ['install-hooks']).code).toBe(0);
    const once = fs.readFileSync(hook, 'utf8');
    expect(coord(repo, ['install-hooks']).code).toBe(0);
    expect(fs.readFileSync(hook, 'utf8')).toBe(once);
    expect(fs.readFileSync(`${hook}.git-coord-orig`, 'utf8')).toMatch(/user hook ran/);
    write(repo, { 'x.txt': 'x' });
    gitSync(repo, 'add', 'x.txt');
    const r = commit(repo, A);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/user hook ran/);
    expect(coord(repo, ['uninstall-hooks']).code).toBe(0);
    expect(fs.readFileSync(hook, 'utf8')).toMatch(/user hook ran/);
    expect(fs.existsSync(`${hook}.git-coord-orig`)).toBe(false);
    expect(fs.existsSync(path.join(repo, '.git', 'hooks', 'pre-merge-commit'))).toBe(false);
  });

  it('a chained hook that fails still stops the commit', () => {
    const repo = makeRepo();
    fs.writeFileSync(path.join(repo, '.git', 'hooks', 'pre-commit'), '#!/bin/sh\nexit 1\n', { mode: 0o755 });
    coord(repo, ['install-hooks']);
    write(repo, { 'x.txt': 'x' });
    gitSync(repo, 'add', 'x.txt');
    expect(commit(repo, A).code).not.toBe(0);
  });

  it('respects core.hooksPath', () => {
    const repo = makeRepo();
    gitSync(repo, 'config', 'core.hooksPath', 'my-hooks');
    coord(repo, ['install-hooks']);
    expect(fs.existsSync(path.join(repo, 'my-hooks', 'pre-commit'))).toBe(true);
    coord(repo, ['lock', 'x.txt'], A);
    write(repo, { 'x.txt': 'x' });
    gitSync(repo, 'add', 'x.txt');
    expect(commit(repo, B).code).not.toBe(0);
  });

  it('adds itself to husky\'s hooks, and removes only its own block', () => {
    const repo = makeRepo();
    fs.mkdirSync(path.join(repo, '.husky', '_'), { recursive: true });
    fs.writeFileSync(path.join(repo, '.husky', 'pre-commit'), 'npm run lint-staged-placeholder || true\n');
    // husky 9's wrapper: run the user's .husky/<hook> with sh -e
    fs.writeFileSync(path.join(repo, '.husky', '_', 'pre-commit'), '#!/bin/sh\nsh -e "$(dirname "$(dirname "$0")")/pre-commit" "$@"\n', { mode: 0o755 });
    gitSync(repo, 'config', 'core.hooksPath', '.husky/_');
    const r = coord(repo, ['install-hooks']);
    expect(r.stdout).toMatch(/husky/);
    coord(repo, ['install-hooks']);
    const text = fs.readFileSync(path.join(repo, '.husky', 'pre-commit'), 'utf8');
    expect(text.match(/>>> git-coord >>>/g)).toHaveLength(1);
    expect(text).toMatch(/lint-staged-placeholder/);
    coord(repo, ['lock', 'x.txt'], A);
    write(repo, { 'x.txt': 'x' });
    gitSync(repo, 'add', 'x.txt');
    expect(commit(repo, B).code).not.toBe(0);
    expect(commit(repo, A).code).toBe(0);
    coord(repo, ['uninstall-hooks']);
    expect(fs.readFileSync(path.join(repo, '.husky', 'pre-commit'), 'utf8')).toBe('npm run lint-staged-placeholder || true\n');
  });
});

describe('pre-commit', () => {
  it('refuses each kind of touch: add, modify, delete, both sides of a rename, mode change', () => {
    const repo = setup({ 'src/a.ts': 'a\n', 'src/b.ts': 'b\n', 'src/run.sh': 'echo\n', 'keep/old.txt': 'k\n', 'other.txt': 'o\n' });
    coord(repo, ['lock', 'src/', 'new/', '--reason', 'big refactor'], A);
    const cases: [string, () => void][] = [
      ['add', () => (write(repo, { 'src/new.ts': 'n' }), gitSync(repo, 'add', 'src/new.ts'))],
      ['modify', () => (write(repo, { 'src/a.ts': 'changed' }), gitSync(repo, 'add', 'src/a.ts'))],
      ['delete', () => gitSync(repo, 'rm', '-q', 'src/b.ts')],
      ['rename from', () => gitSync(repo, 'mv', 'src/a.ts', 'free.ts')],
      ['rename to', () => (fs.mkdirSync(path.join(repo, 'new'), { recursive: true }), gitSync(repo, 'mv', 'keep/old.txt', 'new/old.txt'))],
      ['mode', () => gitSync(repo, 'update-index', '--chmod=+x', 'src/run.sh')],
    ];
    for (const [kind, stage] of cases) {
      stage();
      const r = commit(repo, B, kind);
      expect(r.code, kind).not.toBe(0);
      expect(r.stderr, kind).toMatch(/locked by alice as (src|new)\/ \("big refactor"\), until \d{4}-/);
      expect(r.stderr, kind).toMatch(/git-coord lock \S+ --wait/);
      expect(r.stderr, kind).toMatch(/unlock --force/);
      // The holder may commit it.
      gitSync(repo, 'reset', '-q', '--hard');
    }
    // Paths nobody holds go through.
    write(repo, { 'other.txt': 'changed' });
    gitSync(repo, 'add', 'other.txt');
    expect(commit(repo, B).code).toBe(0);
  });

  it('names one line per path, and lets the holder commit', () => {
    const repo = setup();
    coord(repo, ['lock', 'src/*.ts'], A);
    write(repo, { 'src/a.ts': '1', 'src/b.ts': '2' });
    gitSync(repo, 'add', '-A');
    const r = commit(repo, B);
    expect(r.stderr.match(/^ {2}src\/[ab]\.ts: locked by alice/gm)).toHaveLength(2);
    expect(commit(repo, A).code).toBe(0);
  });

  it('a hook with no identity treats the committer as holding nothing', () => {
    const repo = setup();
    coord(repo, ['lock', 'src/a.ts'], A);
    write(repo, { 'src/a.ts': 'x' });
    gitSync(repo, 'add', '-A');
    expect(commit(repo, {}).code).not.toBe(0);
  });

  it('an expired lock does not block', async () => {
    const repo = setup();
    coord(repo, ['lock', 'src/a.ts', '--ttl', '1s'], A);
    await new Promise((r) => setTimeout(r, 1100));
    write(repo, { 'src/a.ts': 'x' });
    gitSync(repo, 'add', '-A');
    expect(commit(repo, B).code).toBe(0);
  });

  it('works from every worktree, with each worktree\'s own identity', () => {
    const repo = setup();
    const wt = path.join(tmpdir('wt'), 'wt');
    gitSync(repo, 'worktree', 'add', '-q', '-b', 'side', wt);
    coord(repo, ['whoami', '--set', 'alice']);
    coord(wt, ['whoami', '--set', 'bob']);
    coord(repo, ['lock', 'src/a.ts']);
    write(wt, { 'src/a.ts': 'from bob' });
    gitSync(wt, 'add', '-A');
    const r = commit(wt, {});
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/locked by alice/);
    write(repo, { 'src/a.ts': 'from alice' });
    gitSync(repo, 'add', '-A');
    expect(commit(repo, {}).code).toBe(0);
  });

  it('a merge is not refused for paths taken unchanged from the other side', () => {
    const repo = setup();
    gitSync(repo, 'checkout', '-q', '-b', 'feature');
    write(repo, { 'src/a.ts': 'alice work\n' });
    gitSync(repo, 'commit', '-q', '-am', 'alice work');
    gitSync(repo, 'checkout', '-q', 'main');
    write(repo, { 'other.txt': 'main work\n' });
    gitSync(repo, 'commit', '-q', '-am', 'main work');
    coord(repo, ['lock', 'src/a.ts'], A);
    // Automatic merge commit (pre-merge-commit hook).
    const m = gitRun(repo, ['merge', '-q', '--no-edit', 'feature'], B);
    expect(m.code, m.stderr).toBe(0);
  });

  it('a conflicted merge is refused only for paths the merger changed', () => {
    const repo = setup();
    gitSync(repo, 'checkout', '-q', '-b', 'feature');
    write(repo, { 'src/a.ts': 'feature a\n', 'src/b.ts': 'feature b\n' });
    gitSync(repo, 'commit', '-q', '-am', 'feature');
    gitSync(repo, 'checkout', '-q', 'main');
    write(repo, { 'src/a.ts': 'main a\n' });
    gitSync(repo, 'commit', '-q', '-am', 'main');
    coord(repo, ['lock', 'src/'], A);
    expect(gitRun(repo, ['merge', '-q', 'feature'], B).code).not.toBe(0); // conflict on src/a.ts
    // Resolve by taking the other side unchanged: passes.
    gitSync(repo, 'checkout', '--theirs', 'src/a.ts');
    gitSync(repo, 'add', 'src/a.ts');
    expect(commit(repo, B, 'merge').code).toBe(0);
    // Now a conflict resolved with new content: refused.
    gitSync(repo, 'checkout', '-q', '-b', 'f2', 'HEAD~1');
    write(repo, { 'src/b.ts': 'f2\n' });
    expect(gitRun(repo, ['commit', '-q', '-am', 'f2'], A).code).toBe(0);
    gitSync(repo, 'checkout', '-q', 'main');
    expect(gitRun(repo, ['merge', '-q', 'f2'], B).code).not.toBe(0);
    write(repo, { 'src/b.ts': 'hand-merged\n' });
    gitSync(repo, 'add', 'src/b.ts');
    const r = commit(repo, B, 'merge 2');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/src\/b\.ts: locked by alice/);
  });

  it('a cherry-pick that conflicts is refused only for paths changed beyond the picked commit', () => {
    const repo = setup();
    gitSync(repo, 'checkout', '-q', '-b', 'feature');
    write(repo, { 'src/a.ts': 'picked\n' });
    gitSync(repo, 'commit', '-q', '-am', 'pick me');
    const pick = gitSync(repo, 'rev-parse', 'HEAD').trim();
    gitSync(repo, 'checkout', '-q', 'main');
    write(repo, { 'src/a.ts': 'main\n' });
    gitSync(repo, 'commit', '-q', '-am', 'main');
    coord(repo, ['lock', 'src/a.ts'], A);
    expect(gitRun(repo, ['cherry-pick', pick], B).code).not.toBe(0);
    gitSync(repo, 'checkout', '--theirs', 'src/a.ts');
    gitSync(repo, 'add', 'src/a.ts');
    expect(commit(repo, B, 'picked').code).toBe(0);
  });

  it('check --staged answers the same question as the hook', () => {
    const repo = setup();
    coord(repo, ['lock', 'src/a.ts'], A);
    write(repo, { 'src/a.ts': 'x' });
    gitSync(repo, 'add', '-A');
    const r = coord(repo, ['check', '--staged', '--json'], B);
    expect(r.code).toBe(3);
    expect(JSON.parse(r.stdout).conflicts[0]).toMatchObject({ path: 'src/a.ts', agent: 'alice' });
    expect(coord(repo, ['check', '--staged'], A).code).toBe(0);
  });
});
