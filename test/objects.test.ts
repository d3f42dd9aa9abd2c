/**
 * Record objects written by git-coord itself (loose objects, as git writes them) and by git where
 * the repository asks for more than the default: either way `git fsck --strict` finds nothing to
 * say, in every kind of repository.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import zlib from 'node:zlib';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { directWrites, zlibStored } from '../src/git/objects.js';
import { discover } from '../src/git/repo.js';
import { ENV, coord, gitRun, gitSync, tmpdir } from './helpers.js';

function scratch(): string {
  const d = tmpdir('objects');
  return d;
}

const A = { GIT_COORD_AGENT: 'alice' };

/** Locks, unlocks and reads the history in `dir`; then fsck --strict must be silent. */
function exercise(dir: string, gitDirOf: string = dir): void {
  for (const args of [['lock', 'src/', 'c/**/*.ts'], ['unlock', '--all']]) {
    const r = coord(dir, args, A);
    expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
  }
  const log = coord(dir, ['log', '--json'], A);
  expect(log.code, log.stderr).toBe(0);
  expect(JSON.parse(log.stdout).length).toBeGreaterThanOrEqual(5);
  const fsck = gitRun(gitDirOf, ['fsck', '--strict', '--no-dangling', '--no-progress']);
  // (A bare repository without commits gets a notice about its unborn HEAD, nothing else.)
  expect((fsck.stderr + fsck.stdout).replace(/^notice: HEAD points to an unborn branch.*\n/m, '')).toBe('');
  expect(fsck.code).toBe(0);
  // Every record is a commit git reads back byte for byte: its id is the hash of what it holds.
  const journal = gitSync(gitDirOf, 'rev-parse', 'refs/coordination/journal/alice').trim();
  const body = gitRun(gitDirOf, ['cat-file', 'commit', journal]).stdout;
  const again = spawnSync('git', ['hash-object', '-t', 'commit', '--stdin'], { cwd: gitDirOf, env: ENV, input: body, encoding: 'utf8' });
  expect(again.stdout.trim()).toBe(journal);
}

describe('record objects', () => {
  it('are in zlib format, stored uncompressed, in blocks of at most 64 KiB', () => {
    for (const n of [0, 1, 300, 65534, 65535, 65536, 200_000]) {
      const data = Buffer.from(Array.from({ length: n }, (_, i) => (i * 7919) % 251));
      expect(zlib.inflateSync(zlibStored(data)).equals(data), `${n} bytes`).toBe(true);
    }
  });

  it('are written without git where the repository allows it, and fsck --strict is clean', () => {
    const root = scratch();
    const repo = path.join(root, 'repo');
    gitSync(root, 'init', '-q', '-b', 'main', repo);
    gitSync(repo, 'commit', '-q', '--allow-empty', '-m', 'init');
    expect(directWrites(discover(repo, ENV)!, ENV)).toBe(true);
    exercise(repo);
    // git's own temporary-file prefix is all a killed writer could leave; nothing is left here.
    const leftovers = gitSync(repo, 'count-objects', '-v');
    expect(leftovers).toMatch(/garbage: 0/);
  });

  it('in a sha256 repository, a linked worktree and a bare repository', () => {
    const root = scratch();
    const sha = path.join(root, 'sha256');
    gitSync(root, 'init', '-q', '-b', 'main', '--object-format=sha256', sha);
    gitSync(sha, 'commit', '-q', '--allow-empty', '-m', 'init');
    exercise(sha);
    expect(gitSync(sha, 'rev-parse', 'refs/coordination/journal/alice').trim()).toHaveLength(64);

    const repo = path.join(root, 'repo');
    gitSync(root, 'init', '-q', '-b', 'main', repo);
    gitSync(repo, 'commit', '-q', '--allow-empty', '-m', 'init');
    const wt = path.join(root, 'wt');
    gitSync(repo, 'worktree', 'add', '-q', wt);
    fs.mkdirSync(path.join(wt, 'deep'));
    exercise(path.join(wt, 'deep'), repo);

    const bare = path.join(root, 'bare.git');
    gitSync(root, 'init', '-q', '--bare', '-b', 'main', bare);
    exercise(bare);
  });

  it('go through git when the config asks for shared permissions, and when objects live elsewhere', () => {
    const root = scratch();
    const repo = path.join(root, 'shared');
    gitSync(root, 'init', '-q', '-b', 'main', '--shared=group', repo);
    gitSync(repo, 'commit', '-q', '--allow-empty', '-m', 'init');
    expect(directWrites(discover(repo, ENV)!, ENV)).toBe(false);
    exercise(repo);
    const journal = gitSync(repo, 'rev-parse', 'refs/coordination/journal/alice').trim();
    // git's shared-repository permissions: the directory group-writable and set-group-id.
    expect(fs.statSync(path.join(repo, '.git', 'objects', journal.slice(0, 2))).mode & 0o2070).toBe(0o2070);

    const plain = discover(repo, ENV)!;
    for (const env of [{ GIT_OBJECT_DIRECTORY: path.join(root, 'objects') }, { GIT_QUARANTINE_PATH: path.join(root, 'incoming') }]) {
      expect(directWrites({ ...plain, plain: true }, { ...ENV, ...env })).toBe(false);
    }
  });
});
