/**
 * The pre-commit hook's common case runs in shell and git alone: it builds the same ref query as
 * git-coord (coveringQuery) and starts Node only when a lock ref lies near a staged path, or for
 * anything unusual. Its query must be byte for byte the one Node builds.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { coveringQuery } from '../src/store/layout.js';
import { coord, gitRun, gitSync, tmpdir } from './helpers.js';

function hookedRepo(): string {
  const dir = tmpdir('hookshell');
  gitSync(dir, 'init', '-q', '-b', 'main');
  gitSync(dir, 'commit', '-q', '--allow-empty', '-m', 'init');
  expect(coord(dir, ['install-hooks']).code).toBe(0);
  return dir;
}

function stage(dir: string, files: string[]): void {
  for (const f of files) {
    fs.mkdirSync(path.join(dir, path.dirname(f)), { recursive: true });
    fs.writeFileSync(path.join(dir, f), `${f}\n`);
  }
  gitSync(dir, 'add', '-A');
}

/** Commits with the hooks traced: the shell's query, what it decided, and whether Node ran. */
function commit(dir: string, env: NodeJS.ProcessEnv = {}) {
  const r = gitRun(dir, ['commit', '-q', '-m', 'c'], { GIT_COORD_TRACE: '1', GIT_COORD_AGENT: 'me', ...env });
  const lines = r.stderr.split('\n');
  return {
    code: r.code,
    stderr: r.stderr,
    query: lines.filter((l) => l.startsWith('git-coord: trace: pre-commit: query ')).map((l) => l.slice('git-coord: trace: pre-commit: query '.length)),
    quick: lines.includes('git-coord: trace: pre-commit: no lock near the staged paths'),
    // Node's own trace of the git it runs.
    node: lines.some((l) => /^trace: [\d.]+ ms {2}git /.test(l)),
  };
}

/** Awkward but plain names: every printable ASCII character a file name can hold, except `"` and `\`. */
function awkwardPaths(n: number): string[] {
  const chars = ' !#$%&\'()*+,-.0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_`abcdefghijklmnopqrstuvwxyz{|}~';
  let seed = 7;
  const rnd = (k: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % k;
  };
  const seg = () => {
    let s = '';
    const len = 1 + rnd(12);
    for (let i = 0; i < len; i++) s += chars[rnd(chars.length)];
    return s === '.' || s === '..' || s.toLowerCase() === '.git' ? `${s}x` : s;
  };
  const out = new Set<string>([
    'top.txt',
    'README',
    'a/b/c/d/e/f.ts',
    '-leading-dash',
    '.github/workflows/ci.yml',
    'trailing space /x ',
    'UPPER/Case/File.TS',
    `${'A'.repeat(66)}bc/at-the-limit.txt`, // escapes to exactly 200 bytes
    'under_score/x_y.z',
    'glob*chars?/[x]{y}.txt',
  ]);
  while (out.size < n) {
    const depth = rnd(4);
    const segs = Array.from({ length: depth + 1 }, seg);
    out.add(segs.join('/'));
  }
  // A path whose directory is also a file elsewhere cannot exist: keep the first of each.
  const files = [...out].sort();
  return files.filter((f) => !files.some((g) => f.startsWith(`${g}/`)));
}

describe('pre-commit in shell', () => {
  it('builds the same query as git-coord for awkward paths, and starts no Node when nothing is near', () => {
    const repo = hookedRepo();
    const files = awkwardPaths(400);
    stage(repo, files);
    const staged = gitSync(repo, 'diff', '--cached', '--name-only', '-z').split('\0').filter(Boolean);
    expect(staged.length).toBe(files.length);
    const c = commit(repo);
    expect(c.code, c.stderr).toBe(0);
    expect(c.quick).toBe(true);
    expect(c.node).toBe(false);
    expect(c.query.length).toBe(new Set(c.query).size);
    expect([...c.query].sort()).toEqual([...coveringQuery(staged)].sort());
  });

  it('starts Node when a lock lies near, and the commit is refused for a held awkward path', () => {
    const repo = hookedRepo();
    const held = 'My Dir/A+B (copy).txt';
    stage(repo, [held, 'My Dir/other.txt']);
    gitSync(repo, 'commit', '-q', '--no-verify', '-m', 'files');
    expect(coord(repo, ['lock', held], { GIT_COORD_AGENT: 'other' }).code).toBe(0);
    fs.writeFileSync(path.join(repo, 'My Dir', 'other.txt'), 'changed\n');
    gitSync(repo, 'add', '-A');
    let c = commit(repo);
    // A lock in the same directory: Node checks, and finds nothing covering other.txt.
    expect(c.code, c.stderr).toBe(0);
    expect(c.node).toBe(true);
    fs.writeFileSync(path.join(repo, held), 'changed\n');
    gitSync(repo, 'add', '-A');
    c = commit(repo);
    expect(c.code).toBe(1);
    expect(c.stderr).toContain(`${held}: locked by other`);
  });

  it('reads the index git commits: `commit <path>` and `commit -a` (a temporary GIT_INDEX_FILE)', () => {
    const repo = hookedRepo();
    stage(repo, ['held/a.txt', 'free/b.txt']);
    gitSync(repo, 'commit', '-q', '--no-verify', '-m', 'files');
    expect(coord(repo, ['lock', 'held/'], { GIT_COORD_AGENT: 'other' }).code).toBe(0);
    fs.writeFileSync(path.join(repo, 'held', 'a.txt'), 'changed\n');
    fs.writeFileSync(path.join(repo, 'free', 'b.txt'), 'changed\n');
    // Nothing staged in the real index; git builds a temporary one for these commits.
    for (const args of [['commit', '-q', '-m', 'c', '--', 'held/a.txt'], ['commit', '-q', '-a', '-m', 'c']]) {
      const r = gitRun(repo, args, { GIT_COORD_AGENT: 'me' });
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr).toContain('held/a.txt: locked by other');
    }
    const r = gitRun(repo, ['commit', '-q', '-m', 'c', '--', 'free/b.txt'], { GIT_COORD_AGENT: 'me', GIT_COORD_TRACE: '1' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('no lock near the staged paths');
  });

  it('hands the unusual over to Node, which decides the same', () => {
    const repo = hookedRepo();
    const cases: [string, string[]][] = [
      ['a non-ASCII name', ['caf\u00e9/menu.txt']],
      ['a double quote', ['say "hi".txt']],
      ['a backslash', ['back\\slash.txt']],
      ['a tab', ['tab\there.txt']],
      ['a segment too long to be a ref component', [`${'A'.repeat(67)}/x.txt`]],
      ['a directory deeper than 1 KB of ref components', [`${Array.from({ length: 7 }, (_, i) => `${i}${'d'.repeat(149)}`).join('/')}/x.txt`]],
      ['a very long query', Array.from({ length: 300 }, (_, i) => `${String(i).padStart(3, '0')}${'d'.repeat(100)}/f.txt`)],
    ];
    for (const [what, files] of cases) {
      stage(repo, files);
      const c = commit(repo);
      expect(c.code, `${what}: ${c.stderr}`).toBe(0);
      expect(c.quick, what).toBe(false);
      expect(c.node, what).toBe(true);
      expect(c.stderr, what).toContain('checking in git-coord');
    }
  });

  it('hands over when a config file exists, and when the CLI is gone still passes the common case', () => {
    const repo = hookedRepo();
    fs.writeFileSync(path.join(repo, '.git-coord.yml'), 'ttl: 1h\n');
    stage(repo, ['a.txt']);
    const c = commit(repo);
    expect(c.code, c.stderr).toBe(0);
    expect(c.node).toBe(true);
    expect(c.stderr).toContain('config file: checking in git-coord');
    // Without a config file and without the git-coord that installed it, nothing near: no warning.
    gitSync(repo, 'rm', '-q', '.git-coord.yml');
    gitSync(repo, 'commit', '-q', '--no-verify', '-m', 'no config');
    const hook = path.join(repo, '.git', 'hooks', 'pre-commit');
    fs.writeFileSync(hook, fs.readFileSync(hook, 'utf8').replace(/^cli='.*'$/m, "cli='/nonexistent/cli.js'"));
    stage(repo, ['b.txt']);
    const d = commit(repo, { PATH: '/usr/bin:/bin' });
    expect(d.code, d.stderr).toBe(0);
    expect(d.quick).toBe(true);
    expect(d.stderr).not.toContain('is gone');
  });
});

describe('pre-commit reads the lock refs from their files when it can (no for-each-ref)', () => {
  const FILES = 'git-coord: trace: pre-commit: ref files read without git';

  it('decides as git does, with the locks loose or packed, in the main and a linked worktree', () => {
    const repo = hookedRepo();
    // Directories met again out of order (git sorts `a/b.c` and `a/b-c/` before `a/b/`).
    const files = ['a/b/x.txt', 'a/b.c', 'a/b-c/y.txt', 'a/b/z.txt', 'a/b0', 'top.txt', 'held/d/f.txt', 'free/g/h.txt'];
    stage(repo, files);
    gitSync(repo, 'commit', '-q', '--no-verify', '-m', 'files');
    const wt = path.join(tmpdir('hookshell-wt'), 'wt');
    gitSync(repo, 'worktree', 'add', '-q', wt);
    // Another agent's locks: one file, one glob, elsewhere; and far away.
    expect(coord(repo, ['lock', 'held/d/f.txt', 'held/**/*.md', 'far/x/y.txt'], { GIT_COORD_AGENT: 'other' }).code).toBe(0);
    const edit = (dir: string, paths: string[], n: number) => {
      for (const f of paths) {
        fs.mkdirSync(path.join(dir, path.dirname(f)), { recursive: true });
        fs.writeFileSync(path.join(dir, f), `${n}\n`);
      }
      gitSync(dir, 'add', '-A');
    };
    let n = 0;
    for (const packed of [false, true]) {
      if (packed) gitSync(repo, 'pack-refs', '--all');
      expect(fs.existsSync(path.join(repo, '.git', 'refs', 'coordination', 'locks')), 'loose refs').toBe(!packed);
      for (const dir of [repo, wt]) {
        const what = `${packed ? 'packed' : 'loose'} refs, ${dir === repo ? 'main' : 'linked'} worktree`;
        // Nothing near: no git for the refs when they are packed or far; a loose ref directory near asks git.
        edit(dir, ['a/b/x.txt', 'a/b.c', 'a/b-c/y.txt', 'a/b/z.txt', 'a/b0', 'top.txt', 'free/g/h.txt'], ++n);
        let c = commit(dir);
        expect(c.code, `${what}: ${c.stderr}`).toBe(0);
        expect(c.quick, what).toBe(true);
        expect(c.stderr.includes(FILES), what).toBe(true);
        expect(c.query.length).toBe(new Set(c.query).size);
        expect([...c.query].sort(), what).toEqual([...coveringQuery(['a/b/x.txt', 'a/b.c', 'a/b-c/y.txt', 'a/b/z.txt', 'a/b0', 'top.txt', 'free/g/h.txt'])].sort());
        // Near (the glob's directory, the held file's): Node decides; the held file is refused.
        edit(dir, ['held/other.txt'], ++n);
        c = commit(dir);
        expect(c.code, `${what}: ${c.stderr}`).toBe(0);
        expect(c.node, what).toBe(true);
        expect(c.stderr.includes(FILES), what).toBe(false);
        edit(dir, ['held/d/f.txt'], ++n);
        c = commit(dir);
        expect(c.code, what).toBe(1);
        expect(c.stderr, what).toContain('held/d/f.txt: locked by other');
        gitSync(dir, 'reset', '-q', '--hard');
      }
    }
    // A new loose lock beside the packed ones is seen too.
    expect(coord(repo, ['lock', 'free/g/h.txt'], { GIT_COORD_AGENT: 'other' }).code).toBe(0);
    edit(wt, ['free/g/h.txt'], ++n);
    const c = commit(wt);
    expect(c.code).toBe(1);
    expect(c.stderr).toContain('free/g/h.txt: locked by other');
  });

  it('asks git under GIT_COMMON_DIR; reads the files of a separate git dir (git names it in GIT_DIR)', () => {
    const repo = hookedRepo();
    stage(repo, ['a/x.txt']);
    const c = commit(repo, { GIT_COMMON_DIR: path.join(repo, '.git') });
    expect(c.code, c.stderr).toBe(0);
    expect(c.quick).toBe(true);
    expect(c.stderr).not.toContain(FILES);
    // A repository whose .git is a file (--separate-git-dir): git gives hooks GIT_DIR, the files are read there.
    const sep = tmpdir('hookshell-sep');
    const work = tmpdir('hookshell-work');
    gitSync(work, 'init', '-q', '-b', 'main', `--separate-git-dir=${sep}/repo.git`);
    gitSync(work, 'commit', '-q', '--allow-empty', '-m', 'init');
    expect(coord(work, ['install-hooks']).code).toBe(0);
    expect(coord(work, ['lock', 'a/x.txt'], { GIT_COORD_AGENT: 'other' }).code).toBe(0);
    stage(work, ['b/y.txt']);
    const d = commit(work);
    expect(d.code, d.stderr).toBe(0);
    expect(d.quick).toBe(true);
    expect(d.stderr).toContain(FILES);
    stage(work, ['a/x.txt']);
    expect(commit(work).code).toBe(1);
  });
});

describe('prepare-commit-msg ends the message with a newline as `tail -c 1` did', () => {
  it('adds the trailer as interpret-trailers does on the message with its last line ended', () => {
    const repo = hookedRepo();
    const hook = path.join(repo, '.git', 'hooks', 'prepare-commit-msg');
    const lines = (k: number) => Array.from({ length: k }, (_, i) => `line ${i}`).join('\n');
    const cases = ['subject', 'subject\n', '', '\n', 'a\\b \t', 'subject\n\nbody\r', 'x\n\nFoo: bar', lines(63), `${lines(63)}\n`, lines(64), `${lines(64)}\n`, lines(65), `${lines(200)}\n`];
    for (const [i, text] of cases.entries()) {
      const file = path.join(repo, `msg${i}`);
      const ref = path.join(repo, `ref${i}`);
      fs.writeFileSync(file, text);
      fs.writeFileSync(ref, text.length > 0 && !text.endsWith('\n') ? `${text}\n` : text);
      const r = gitRun(repo, ['interpret-trailers', '--in-place', '--if-exists', 'replace', '--trailer', 'Coord-Agent: me', '--', ref]);
      expect(r.code).toBe(0);
      const h = gitRun(repo, ['-c', `alias.x=!${hook} ${file} message`, 'x'], { GIT_COORD_AGENT: 'me' });
      expect(h.code, h.stderr).toBe(0);
      expect(fs.readFileSync(file, 'utf8'), JSON.stringify(text)).toBe(fs.readFileSync(ref, 'utf8'));
    }
  });
});
