/**
 * Attacks on the hardened build, as a hostile user and as a careless one would make them. Each
 * test reproduces one defect found by hand (it failed before its fix), or pins down an attack that
 * held. Real git, temporary repositories, the built CLI.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, ENV, ROOT, clone, coord, coordAsync, gitRun, spawnTracked, gitSync, json, makeHub, makeRepo, refs, tmpdir, write, silentListener } from './helpers.js';
import { journalRef, lockRef } from '../src/store/layout.js';
import { patternFromText } from '../src/patterns/pattern.js';

const A = { GIT_COORD_AGENT: 'alice' };
const B = { GIT_COORD_AGENT: 'bob' };
const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

/** Writes a record commit (empty tree, `body` as the message body) onto `ref`, as any agent with write access could. */
function forge(repo: string, ref: string, body: unknown, parents: string[] = []): string {
  gitSync(repo, 'hash-object', '-w', '-t', 'tree', '/dev/null');
  const args = ['commit-tree', EMPTY_TREE, ...parents.flatMap((p) => ['-p', p]), '-m', 'forged', '-m', JSON.stringify(body)];
  const oid = gitSync(repo, ...args).trim();
  gitSync(repo, 'update-ref', ref, oid);
  return oid;
}

/** Every line a terminal would show: no escape sequence, no line that only the forger wrote. */
function expectNoForgedLines(what: string, text: string): void {
  expect(text, what).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f\u2028\u2029\u202a-\u202e\u2066-\u2069]/);
  for (const line of text.split('\n')) expect(line, what).not.toMatch(/^(git-coord: ok|FORGED)/);
}

describe('records written by a hostile agent cannot forge terminal lines', () => {
  it('times that Date.parse accepts with anything in parentheses are not ISO 8601: the record is skipped, never printed', () => {
    const repo = makeRepo({ 'src/a.ts': 'a\n' });
    expect(coord(repo, ['install-hooks']).code).toBe(0);
    const now = Date.now();
    const forgedTime = '(\x1b[2J\ngit-coord: ok, nothing is locked\n)2099-01-01';
    const record = {
      v: 1,
      type: 'lock',
      pattern: 'src/a.ts',
      agent: 'mallory',
      state: 'granted',
      reason: 'r',
      token: now,
      ttlMs: null,
      acquiredAt: forgedTime,
      expiresAt: forgedTime,
      ticket: { at: now, nonce: 'x' },
      pendingUntil: null,
      event: { action: 'lock', by: 'mallory', at: forgedTime },
    };
    forge(repo, lockRef(patternFromText('src/a.ts')), record);
    write(repo, { 'src/a.ts': 'changed\n' });
    gitSync(repo, 'add', '-A');
    const outputs: [string, { stdout: string; stderr: string }][] = [
      ['locks', coord(repo, ['locks'], A)],
      ['status', coord(repo, ['status'], A)],
      ['check', coord(repo, ['check', 'src/a.ts'], A)],
      ['check --staged', coord(repo, ['check', '--staged'], A)],
      ['lock', coord(repo, ['lock', 'src/'], A)],
      ['pre-commit', gitRun(repo, ['commit', '-q', '-m', 'x'], B)],
    ];
    for (const [what, r] of outputs) expectNoForgedLines(what, r.stdout + r.stderr);
    // Skipped as unreadable (and said so), like any record that is not what git-coord writes.
    expect(coord(repo, ['locks', '--json'], A).stderr).toMatch(/skipping unreadable lock record/);
  });

  it('a journal entry whose action holds a newline is shown escaped by log', () => {
    const repo = makeRepo();
    coord(repo, ['lock', 'a.txt'], A);
    const at = new Date().toISOString();
    forge(repo, journalRef('mallory'), { v: 1, type: 'event', at, agent: 'mallory', action: 'join\nFORGED  bob  unlock everything\x1b[1A', subject: 'x' });
    const r = coord(repo, ['log'], A);
    expect(r.code, r.stderr).toBe(0);
    expectNoForgedLines('log', r.stdout + r.stderr);
    expect(r.stdout).toMatch(/mallory {2}join\\nFORGED/);
  });
});

describe('paths named by the repository and passed back as patterns', () => {
  it('every message that repeats a pattern shows it escaped (a file name may hold escape sequences and line separators)', () => {
    const repo = makeRepo();
    const evil = 'zz\x1b\\[2J\u2028FORGED\tline';
    const outputs = [
      coord(repo, ['lock', `docs/${evil}`], B),
      coord(repo, ['lock', `docs/${evil}`], A),
      coord(repo, ['unlock', `docs/${evil}`], A),
      coord(repo, ['unlock', `src/${evil}`], A),
      coord(repo, ['renew', `src/${evil}`], A),
      coord(repo, ['lock', `/${evil}`], A),
      coord(repo, ['lock', `.git/${evil}`], A),
      coord(repo, ['locks'], A),
      coord(repo, ['status'], A),
      coord(repo, ['log'], A),
    ];
    expect(outputs.map((r) => r.code)).toEqual([0, 3, 3, 3, 3, 2, 2, 0, 0, 0]);
    for (const r of outputs) expectNoForgedLines(r.stderr, r.stdout + r.stderr);
  });
});

describe('the commands a refusal suggests', () => {
  it('name a pattern that starts with "-" so that it is not read as an option', () => {
    const repo = makeRepo();
    expect(coord(repo, ['install-hooks']).code).toBe(0);
    expect(coord(repo, ['lock', '--', '-rf'], B).code).toBe(0);
    write(repo, { '-rf': 'x\n' });
    gitSync(repo, 'add', '--', '-rf');
    const refused = gitRun(repo, ['commit', '-q', '-m', 'x'], A);
    const suggested = /git-coord unlock --force --reason "<why>" (\S+)/.exec(refused.stderr)?.[1];
    expect(suggested, refused.stderr).toBeDefined();
    const r = coord(repo, ['unlock', '--force', '--reason', 'gone', suggested!], A);
    expect(r.code, r.stderr).toBe(0);
    expect(gitRun(repo, ['commit', '-q', '-m', 'x'], A).code).toBe(0);
  });
});

describe('a committed config cannot forge terminal lines either', () => {
  it('unknown keys and their paths are shown escaped, for every command and the pre-commit hook', () => {
    const repo = makeRepo({ 'src/a.ts': 'a\n' });
    expect(coord(repo, ['install-hooks']).code).toBe(0);
    for (const config of ['"\\e[31mx\\ngit-coord: ok, all good": 1\n', 'hooks:\n  "y\\nFORGED line": 1\n', '"\\u202ettl": 1h\n']) {
      write(repo, { '.git-coord.yml': config, 'src/a.ts': `${config}\n` });
      gitSync(repo, 'add', '-A');
      for (const r of [coord(repo, ['locks'], A), coord(repo, ['lock', 'x'], A), gitRun(repo, ['commit', '-q', '-m', 'x'], A)]) {
        expect(r.code).not.toBe(0);
        expect(r.stderr).toMatch(/invalid \.git-coord\.yml: unknown key/);
        expectNoForgedLines(config, r.stderr);
      }
    }
  });
});

describe('attacks that held: config and command line', () => {
  it('YAML bombs, merge keys, several documents, tags and untrimmed durations are invalid config: exit 2 at once, no stack', () => {
    const repo = makeRepo();
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x]', ...'bcdefg'.split('').map((k, i) => `${k}: &${k} [${Array(9).fill(`*${'abcdefg'[i]}`).join(', ')}]`)].join('\n');
    for (const config of [bomb, '<<: {ttl: 5m}', 'ttl: 1h\n---\nttl: 2h', 'ttl: !!binary aGVsbG8=', 'ttl: " 1h"', 'ttl: 0s', 'timeout: -5s']) {
      write(repo, { '.git-coord.yml': `${config}\n` });
      const r = coord(repo, ['locks'], A);
      expect(r.code, config).toBe(2);
      expect(r.stderr, config).toMatch(/^git-coord: (invalid \.git-coord\.yml|bad \w+ in config)/);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('odd command lines get the contract\'s exit codes', () => {
    const repo = makeRepo();
    const cases: [string[], number][] = [
      [['log', '-n', '-1'], 2],
      [['log', '-n', '1e3'], 2],
      [['--agent=', 'locks'], 2],
      [['-C'], 2],
      [['lock', 'a', '--ttl'], 2],
      [['lock', '--wait', '--', 'x'], 0],
      [['lock', '--', '--'], 0],
      [['lock', 'y', '--agent', 'bob', '--agent', 'carol'], 0],
      [['unlock', '--all', 'x'], 2],
      [['locks', 'extra'], 2],
    ];
    for (const [args, code] of cases) {
      const r = coord(repo, args, A);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(code);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    expect(json(coord(repo, ['locks', '--json'])).map((l: any) => [l.pattern, l.agent])).toEqual([
      ['--', 'alice'],
      ['x', 'alice'],
      ['y', 'carol'],
    ]);
  });
});

describe('finding the repository from odd places', () => {
  it('-C through a symbolic link to a subdirectory: hooks, identity and scratch files land in the repository, nothing beside the link', () => {
    const repo = makeRepo({ 'src/deep/a.ts': 'a\n' });
    // git answers the common dir relative to the link's real place ("../../.git"): resolved
    // against the link's own path, that is box/.git.
    const box = tmpdir('box');
    const link = path.join(box, 'k', 'lnk');
    fs.mkdirSync(path.dirname(link));
    fs.symlinkSync(path.join(repo, 'src', 'deep'), link);
    const installed = coord(box, ['-C', link, 'install-hooks', '--json']);
    expect(installed.code, installed.stderr).toBe(0);
    expect(json(installed).dir).toBe(path.join(fs.realpathSync(repo), '.git', 'hooks'));
    expect(fs.existsSync(path.join(repo, '.git', 'hooks', 'pre-commit'))).toBe(true);
    expect(coord(box, ['-C', link, 'whoami', '--set', 'alice']).code).toBe(0);
    const locked = coord(box, ['-C', link, 'lock', 'a.ts', '--json']);
    expect(locked.code, locked.stderr).toBe(0);
    expect(json(locked).locks[0].pattern).toBe('src/deep/a.ts');
    expect(fs.readdirSync(box)).toEqual(['k']);
    // The hooks work: bob is refused the path alice locked through the link.
    write(repo, { 'src/deep/a.ts': 'b\n' });
    gitSync(repo, 'add', '-A');
    expect(gitRun(repo, ['commit', '-q', '-m', 'x'], B).stderr).toMatch(/src\/deep\/a\.ts: locked by alice/);
  });

  it('an absolute path through a symbolic link to the repository is inside it, as git takes it', () => {
    const repo = makeRepo({ 'src/a.ts': 'a\n' });
    const box = tmpdir('box');
    const link = path.join(box, 'repo');
    fs.symlinkSync(repo, link);
    expect(gitRun(link, ['ls-files', '--error-unmatch', '--', path.join(link, 'src', 'a.ts')]).code).toBe(0);
    for (const cwd of [link, repo]) {
      const r = coord(cwd, ['lock', path.join(link, 'src', 'a.ts'), `${link}/src/../src/b/`, '--json'], A);
      expect(r.code, r.stderr).toBe(0);
      expect(json(r).locks.map((l: any) => l.pattern)).toEqual(['src/a.ts', 'src/b/']);
      expect(coord(cwd, ['check', path.join(link, 'src', 'a.ts')], B).code).toBe(3);
      expect(coord(cwd, ['unlock', '--all'], A).code).toBe(0);
    }
    // Still outside: a path beside the repository, even through the link's directory.
    expect(coord(link, ['lock', path.join(box, 'other')], A).code).toBe(2);
  });

  it('a pattern beyond a symbolic link of the work tree is refused by lock and check, as git refuses such a pathspec', () => {
    const repo = makeRepo({ 'src/a.ts': 'a\n' });
    fs.symlinkSync('src', path.join(repo, 'link'));
    expect(gitRun(repo, ['add', 'link/a.ts']).stderr).toMatch(/beyond a symbolic link/);
    expect(coord(repo, ['lock', 'src/a.ts'], A).code).toBe(0);
    for (const pattern of ['link/a.ts', 'link/', 'link/*.ts']) {
      for (const args of [['lock', pattern], ['check', pattern]]) {
        const r = coord(repo, args, B);
        expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
        expect(r.stderr).toMatch(/beyond a symbolic link \(link\)/);
      }
    }
    // The link itself is a file to git: it may be locked, and a glob without a literal directory is fine.
    expect(coord(repo, ['lock', 'link', '*/b.ts'], B).code).toBe(0);
    expect(refs(repo, 'refs/coordination/locks/')).toHaveLength(3);
  });

  it("check --staged from a subdirectory sees every staged path, whatever the user's diff config", () => {
    const repo = makeRepo({ 'src/a.ts': 'a\n', 'docs/d.md': 'd\n' });
    const first = gitSync(repo, 'rev-parse', 'HEAD').trim();
    // A submodule (a gitlink entry) at vendor/lib, then a new commit of it staged.
    gitSync(repo, 'update-index', '--add', '--cacheinfo', `160000,${first},vendor/lib`);
    gitSync(repo, 'commit', '-q', '-m', 'submodule');
    expect(coord(repo, ['lock', 'src/a.ts', 'vendor/lib'], A).code).toBe(0);
    write(repo, { 'src/a.ts': 'b\n' });
    gitSync(repo, 'add', 'src/a.ts');
    gitSync(repo, 'update-index', '--cacheinfo', `160000,${gitSync(repo, 'rev-parse', 'HEAD').trim()},vendor/lib`);
    gitSync(repo, 'config', 'diff.relative', 'true');
    gitSync(repo, 'config', 'diff.ignoreSubmodules', 'all');
    const r = coord(path.join(repo, 'docs'), ['check', '--staged', '--json'], B);
    expect(r.code, r.stderr).toBe(3);
    expect(json(r).conflicts.map((c: any) => c.path)).toEqual(['src/a.ts', 'vendor/lib']);
  });

  it('-C naming a file is bad usage (exit 2), not an unexpected error', () => {
    const repo = makeRepo();
    for (const args of [['-C', 'README.md', 'locks'], ['-C', 'README.md', 'lock', 'x'], ['-C', 'README.md', 'install-hooks']]) {
      const r = coord(repo, args, A);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/cannot change to '.*README\.md': not a directory/);
    }
  });

  it('inside the git directory of a repository with a work tree: exit 2, nothing installed or recorded', () => {
    const repo = makeRepo();
    for (const dir of ['.git', '.git/refs']) {
      const hooks = coord(repo, ['-C', dir, 'install-hooks'], A);
      expect(hooks.code, hooks.stderr).toBe(2);
      expect(hooks.stderr).toMatch(/work tree/);
      expect(fs.readdirSync(path.join(repo, '.git', 'hooks')).filter((h) => !h.endsWith('.sample'))).toEqual([]);
      expect(coord(repo, ['-C', dir, 'lock', 'x'], A).code).toBe(2);
    }
    expect(refs(repo)).toEqual([]);
  });
});

/** Processes still talking to 127.0.0.1:`port` (Linux: read from /proc), polled for a moment since a kill takes effect asynchronously. */
async function leftOver(port: number): Promise<string[]> {
  let found: string[] = [];
  for (let i = 0; i < 30; i++) {
    found = [];
    for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
      try {
        const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
        if (cmd.includes(`127.0.0.1:${port}/`)) found.push(`${pid}: ${cmd}`);
      } catch {
        // gone meanwhile
      }
    }
    if (found.length === 0) return found;
    await new Promise((r) => setTimeout(r, 100));
  }
  return found;
}

describe.runIf(process.platform === 'linux')('a remote over HTTP that accepts connections and never answers', () => {
  it("a timed-out operation ends git's transport helper too: none is left behind holding the connection", async () => {
    const { port } = await silentListener();
    const { root, url } = makeHub('remote: hang\ntimeout: 1s\nhooks:\n  refresh: always\n  timeout: 1s\n');
    const a = clone(root, url, 'alice', true);
    gitSync(a, 'remote', 'add', 'hang', `http://127.0.0.1:${port}/hub.git`);
    for (const args of [['lock', 'src/a.ts'], ['sync'], ['locks', '--fresh']]) {
      const r = await coordAsync(a, args);
      expect(r.stderr, args.join(' ')).toMatch(/remote 'hang'.*timed out after 1000 ms/);
      expect(await leftOver(port), args.join(' ')).toEqual([]);
    }
    write(a, { 'docs/x.md': 'change\n' });
    gitSync(a, 'add', '-A');
    const commit = gitRun(a, ['commit', '-q', '-m', 'offline']);
    expect(commit.code, commit.stderr).toBe(0);
    const push = gitRun(a, ['push', '-q', 'origin', 'main']);
    expect(push.code, push.stderr).toBe(0);
    expect(push.stderr).toMatch(/remote 'hang'.*timed out/);
    expect(await leftOver(port), 'hooks').toEqual([]);
  }, 60_000);
});

describe('the server hook and raw pushes to refs/coordination/', () => {
  it('commits smuggled through any other namespace are judged before they land', () => {
    const { root, hub, url } = makeHub();
    expect(coord(hub, ['install-hooks']).code).toBe(0);
    const a = clone(root, url, 'alice', true);
    const b = clone(root, url, 'bob', true);
    expect(coord(a, ['lock', 'src/a.ts', '--reason', 'mine']).code).toBe(0);
    write(b, { 'src/a.ts': 'bob\n' });
    gitSync(b, 'commit', '-q', '--no-verify', '-am', 'smuggled');
    for (const dst of ['refs/tags/t', 'refs/pull/1/head', 'refs/Coordination/locks/x']) {
      const r = gitRun(b, ['push', '--no-verify', 'origin', `HEAD:${dst}`]);
      expect(r.code, dst).not.toBe(0);
      expect(r.stderr, dst).toMatch(/push refused by the server/);
    }
    const landed = gitSync(hub, 'for-each-ref', '--format=%(refname)').split('\n').filter((r) => r && !r.startsWith('refs/coordination/'));
    expect(landed).toEqual(['refs/heads/main']);
  });

  it('a symbolic ref under refs/coordination/ is replaced, never written through: a branch it points at stays', () => {
    const repo = makeRepo();
    const main = gitSync(repo, 'rev-parse', 'main').trim();
    gitSync(repo, 'symbolic-ref', lockRef(patternFromText('a.txt')), 'refs/heads/main');
    gitSync(repo, 'symbolic-ref', journalRef('alice'), 'refs/heads/main');
    for (const args of [['lock', 'a.txt'], ['unlock', 'a.txt'], ['lock', 'a.txt'], ['prune']]) {
      const r = coord(repo, args, A);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      expect(gitSync(repo, 'rev-parse', 'main').trim(), args.join(' ')).toBe(main);
    }
    expect(gitRun(repo, ['status', '--porcelain']).stdout).toBe('');
  });

  it('a lock ref or token mark naming a blob is replaced, never used as a parent: the repository stays sound', () => {
    const repo = makeRepo();
    expect(coord(repo, ['lock', 'docs/a.md'], A).code).toBe(0);
    expect(coord(repo, ['unlock', 'docs/a.md'], A).code).toBe(0);
    const blob = gitSync(repo, 'hash-object', '-w', '--stdin').trim();
    const [mark] = refs(repo, 'refs/coordination/tokens/');
    gitSync(repo, 'update-ref', mark!, blob);
    gitSync(repo, 'update-ref', lockRef(patternFromText('a.txt')), blob);
    expect(coord(repo, ['lock', 'a.txt', 'docs/a.md'], B).code).toBe(0);
    expect(coord(repo, ['unlock', 'docs/a.md'], B).code).toBe(0);
    const pruned = coord(repo, ['lock', 'b.txt'], A);
    expect(pruned.code, pruned.stderr).toBe(0);
    const fsck = gitRun(repo, ['fsck', '--no-progress', '--no-dangling']);
    expect(fsck.code, fsck.stderr + fsck.stdout).toBe(0);
    expect(fsck.stderr + fsck.stdout).toBe('');
  });

  // The server refuses a push that deletes (or rewrites) another agent's held lock ref without the
  // journal entry git-coord writes for an unlock, a break or an expiry in the same push
  // (operations/lock-audit.ts); test/server-hook.test.ts has the rest.
  it("a raw push that deletes another agent's lock ref, unrecorded, is refused", () => {
    const { root, hub, url } = makeHub();
    expect(coord(hub, ['install-hooks']).code).toBe(0);
    const a = clone(root, url, 'alice', true);
    const b = clone(root, url, 'bob', true);
    expect(coord(a, ['lock', 'src/a.ts', '--reason', 'mine']).code).toBe(0);
    const [ref] = refs(hub, 'refs/coordination/locks/');
    const del = gitRun(b, ['push', '--no-verify', 'origin', `:${ref}`]);
    expect(del.code).not.toBe(0);
    expect(refs(hub, 'refs/coordination/locks/')).toEqual([ref]);
    write(b, { 'src/a.ts': 'bob\n' });
    gitSync(b, 'commit', '-q', '--no-verify', '-am', 'after the raw delete');
    const push = gitRun(b, ['push', '--no-verify', 'origin', 'HEAD:main']);
    expect(del.code !== 0 || push.code !== 0).toBe(true);
  });
});

describe('install-hooks from an odd place', () => {
  it("a package installed under a path holding a single quote (or a `$&`) writes hooks that still run", () => {
    const pkg = path.join(tmpdir("o'brien"), "it's $& here");
    for (const dir of ['dist', 'hooks', 'templates']) fs.cpSync(path.join(ROOT, dir), path.join(pkg, dir), { recursive: true });
    const cli = path.join(pkg, 'dist', 'cli.js');
    const repo = makeRepo();
    const run = (args: string[], env: NodeJS.ProcessEnv = {}) => spawnSync(process.execPath, [cli, ...args], { cwd: repo, env: { ...ENV, ...env }, encoding: 'utf8' });
    expect(run(['install-hooks']).status).toBe(0);
    expect(run(['lock', 'a.txt'], B).status).toBe(0);
    write(repo, { 'a.txt': 'x\n' });
    gitSync(repo, 'add', '-A');
    const refused = gitRun(repo, ['commit', '-q', '-m', 'x'], A);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/a\.txt: locked by bob/);
    const own = gitRun(repo, ['commit', '-q', '-m', 'x'], B);
    expect(own.code, own.stderr).toBe(0);
    expect(gitSync(repo, 'log', '-1', '--format=%(trailers:key=Coord-Agent,valueonly)').trim()).toBe('bob');
  });
});

describe('file names that look like globs', () => {
  it('a pattern naming an existing path literally is that path, as git matches a pathspec (a Next.js route such as app/[id]/page.tsx)', () => {
    const repo = makeRepo({ 'app/[id]/page.tsx': 'p\n', 'app/i/page.tsx': 'i\n', 'lib/{a,b}.ts': 'x\n' });
    expect(coord(repo, ['install-hooks']).code).toBe(0);
    const locked = coord(repo, ['lock', 'app/[id]/page.tsx', 'lib/{a,b}.ts', '--json'], A);
    expect(locked.code, locked.stderr).toBe(0);
    expect(json(locked).locks.map((l: any) => [l.pattern, l.kind])).toEqual([
      ['app/\\[id\\]/page.tsx', 'file'],
      ['lib/\\{a\\,b\\}.ts', 'file'],
    ]);
    // The hook and check agree: the real file is held, the paths the glob would have matched are not.
    write(repo, { 'app/[id]/page.tsx': 'bob\n', 'app/i/page.tsx': 'bob\n', 'lib/{a,b}.ts': 'bob\n' });
    gitSync(repo, 'add', '-A');
    const commit = gitRun(repo, ['commit', '-q', '-m', 'x'], B);
    expect(commit.code).not.toBe(0);
    expect(commit.stderr).toMatch(/app\/\[id\]\/page\.tsx: locked by alice/);
    expect(commit.stderr).not.toMatch(/app\/i\/page\.tsx/);
    const check = coord(repo, ['check', 'app/[id]/page.tsx', 'app/i/page.tsx', 'lib/{a,b}.ts', '--json'], B);
    expect(json(check).conflicts.map((c: any) => c.pattern)).toEqual(['app/\\[id\\]/page.tsx', 'lib/\\{a\\,b\\}.ts']);
    // A glob that names no such path stays a glob; the holder unlocks with the same words.
    expect(json(coord(repo, ['lock', 'app/[ab]/x.ts', '--json'], A)).locks[0].kind).toBe('glob');
    expect(coord(repo, ['unlock', 'app/[id]/page.tsx', 'lib/{a,b}.ts', 'app/[ab]/x.ts'], A).code).toBe(0);
  });
});

describe('racing for one file under eight spellings', () => {
  it('8 agents at once, each with another pattern covering src/a.ts: never two holders (2 rounds)', async () => {
    const repo = makeRepo({ 'src/a.ts': 'a\n' });
    const spellings = ['src/a.ts', 'src/\\a.ts', 'src/[a].ts', 'src/{a,zz}.ts', './src//a.ts', '**/a.ts', 's*/a.ts', 'src/'];
    for (let round = 0; round < 2; round++) {
      const runs = await Promise.all(spellings.map((p, i) => coordAsync(repo, ['lock', p, '--json'], { GIT_COORD_AGENT: `agent${i}` })));
      expect(runs.map((r) => r.code).sort().join(''), runs.map((r) => r.stderr).join('\n')).toMatch(/^0?3+$/);
      const held = json(coord(repo, ['locks', '--json']));
      expect(held.length).toBeLessThanOrEqual(1);
      for (const l of held) expect(coord(repo, ['unlock', '--all'], { GIT_COORD_AGENT: l.agent }).code).toBe(0);
    }
  });
});

describe('lock, unlock and prune killed at any moment', () => {
  it('SIGKILL at staggered moments (12 kills): state readable, fsck clean, no lease beyond its ttl, the same agent locks again at once', async () => {
    const repo = makeRepo();
    const ops = [['lock', 'src/', 'src/a.ts', '--ttl', '1h'], ['unlock', '--all'], ['lock', 'src/*.ts', 'docs/', '--ttl', '1h'], ['prune'], ['lock', 'docs/a.md', '--ttl', '1s']];
    for (let i = 0; i < 12; i++) {
      const child = spawnTracked(process.execPath, [CLI, ...ops[i % ops.length]!, '--agent', 'alice'], { cwd: repo, env: ENV });
      // Listen at once: a command may finish before the kill, and its 'close' must not be missed.
      const closed = new Promise((r) => child.on('close', r));
      await new Promise((r) => setTimeout(r, 30 + ((i * 37) % 200)));
      child.kill('SIGKILL');
      await closed;
      if (i % 6 !== 5) continue;
      const list = coord(repo, ['locks', '--json']);
      expect(list.code, list.stderr).toBe(0);
      expect(list.stderr).not.toMatch(/unreadable/);
      for (const l of json(list)) expect(Date.parse(l.expiresAt)).toBeLessThanOrEqual(Date.now() + 3_600_000);
      const again = coord(repo, ['lock', 'src/a.ts', '--agent', 'alice', '--json']);
      expect(again.code, again.stderr).toBe(0);
      expect(coord(repo, ['unlock', '--all', '--agent', 'alice']).code).toBe(0);
    }
    const fsck = gitRun(repo, ['fsck', '--no-progress', '--no-dangling']);
    expect(fsck.code, fsck.stdout + fsck.stderr).toBe(0);
  });
});
