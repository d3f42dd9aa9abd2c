/**
 * Finding the repository from the file system, against what `git rev-parse` says of the same
 * directory (every layout the file system path handles, and the ones it leaves to git), and paths
 * reached through symlinks.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { discover, openRepo, type Repo } from '../src/git/repo.js';
import { parsePattern } from '../src/patterns/pattern.js';
import { ENV, coord, gitRun, gitSync, json, tmpdir } from './helpers.js';

/** A scratch directory (a real path), removed after the test. */
function scratch(): string {
  const d = tmpdir('paths');
  return d;
}

function init(dir: string, ...args: string[]): string {
  fs.mkdirSync(dir, { recursive: true });
  gitSync(dir, 'init', '-q', '-b', 'main', ...args);
  if (!args.includes('--bare')) gitSync(dir, 'commit', '-q', '--allow-empty', '-m', 'init');
  return dir;
}

type Where = Pick<Repo, 'top' | 'gitDir' | 'commonDir' | 'prefix' | 'objectFormat'>;

/** What git says of `dir`, every path made real. */
function gitSays(dir: string, env: NodeJS.ProcessEnv = {}): Where {
  const ask = (...args: string[]) => {
    const r = gitRun(dir, ['rev-parse', ...args], env);
    if (r.code !== 0) throw new Error(r.stderr);
    return r.stdout.replace(/\n$/, '');
  };
  const bare = ask('--is-bare-repository') === 'true';
  const top = bare ? '' : gitRun(dir, ['rev-parse', '--show-toplevel'], env).stdout.trim();
  return {
    top: top === '' ? null : fs.realpathSync(top),
    gitDir: fs.realpathSync(ask('--absolute-git-dir')),
    commonDir: fs.realpathSync(path.resolve(fs.realpathSync(dir), ask('--git-common-dir'))),
    prefix: top === '' ? '' : ask('--show-prefix'),
    objectFormat: ask('--show-object-format') as 'sha1' | 'sha256',
  };
}

function found(dir: string, env: NodeJS.ProcessEnv = {}): Where | null {
  const r = discover(fs.realpathSync(dir), { ...ENV, ...env });
  return r && { top: r.top, gitDir: r.gitDir, commonDir: r.commonDir, prefix: r.prefix, objectFormat: r.objectFormat };
}

describe('repository discovery from the file system', () => {
  it('agrees with git rev-parse in every layout it handles', () => {
    const root = scratch();
    const repo = init(path.join(root, 'repo'));
    fs.mkdirSync(path.join(repo, 'a', 'b c', 'd'), { recursive: true });
    const wt = path.join(root, 'wt');
    gitSync(repo, 'worktree', 'add', '-q', wt);
    fs.mkdirSync(path.join(wt, 'sub'));
    const sha256 = init(path.join(root, 'sha256'), '--object-format=sha256');
    const bare = init(path.join(root, 'bare.git'), '--bare');
    const separate = path.join(root, 'separate');
    fs.mkdirSync(separate);
    gitSync(separate, 'init', '-q', '--separate-git-dir', path.join(root, 'elsewhere.git'));
    fs.symlinkSync(path.join(repo, 'a', 'b c'), path.join(root, 'link-to-sub'));
    fs.symlinkSync(repo, path.join(root, 'link-to-top'));
    const cases: [string, NodeJS.ProcessEnv][] = [
      [repo, {}],
      [path.join(repo, 'a'), {}],
      [path.join(repo, 'a', 'b c', 'd'), {}],
      [wt, {}],
      [path.join(wt, 'sub'), {}],
      [sha256, {}],
      [bare, {}],
      [separate, {}],
      [path.join(root, 'link-to-sub'), {}],
      [path.join(root, 'link-to-top'), {}],
      // As git runs a linked worktree's hooks, and a bare repository's.
      [wt, { GIT_DIR: path.join(repo, '.git', 'worktrees', 'wt') }],
      [repo, { GIT_DIR: '.git' }],
      [bare, { GIT_DIR: '.' }],
    ];
    for (const [dir, env] of cases) {
      const mine = found(dir, env);
      expect(mine, `${dir} ${JSON.stringify(env)}`).not.toBeNull();
      expect(mine, `${dir} ${JSON.stringify(env)}`).toEqual(gitSays(dir, env));
    }
    expect(found(sha256)!.objectFormat).toBe('sha256');
  });

  it('leaves the unusual to git, which still finds the same repository', async () => {
    const root = scratch();
    const repo = init(path.join(root, 'repo'));
    fs.mkdirSync(path.join(repo, 'sub'));
    const withWorktreeSetting = init(path.join(root, 'cw'));
    gitSync(withWorktreeSetting, 'config', 'core.worktree', withWorktreeSetting);
    const withInclude = init(path.join(root, 'inc'));
    gitSync(withInclude, 'config', 'include.path', '/dev/null');
    const cases: [string, NodeJS.ProcessEnv][] = [
      [path.join(repo, 'sub'), { GIT_WORK_TREE: repo, GIT_DIR: path.join(repo, '.git') }],
      [path.join(repo, 'sub'), { GIT_CEILING_DIRECTORIES: root }],
      [path.join(repo, 'sub'), { GIT_CONFIG_PARAMETERS: "'core.bare'='false'" }],
      [path.join(repo, '.git'), {}],
      [path.join(repo, '.git', 'refs'), {}],
      [withWorktreeSetting, {}],
      [withInclude, {}],
    ];
    for (const [dir, env] of cases) expect(found(dir, env), `${dir} ${JSON.stringify(env)}`).toBeNull();
    // The fallback itself: the same answer as git.
    const viaGit = await openRepo(path.join(repo, 'sub'), { GIT_CEILING_DIRECTORIES: root });
    expect(viaGit.plain).toBe(false);
    expect({ top: viaGit.top, gitDir: viaGit.gitDir, commonDir: viaGit.commonDir, prefix: viaGit.prefix, objectFormat: viaGit.objectFormat }).toEqual(
      gitSays(path.join(repo, 'sub')),
    );
    await expect(openRepo(root)).rejects.toThrow(/not inside a git repository/);
    await expect(openRepo(path.join(root, 'nope'))).rejects.toThrow(/no such directory/);
  });

  it('a config git may read differently is left to git', () => {
    const root = scratch();
    const repo = init(path.join(root, 'repo'));
    const config = path.join(repo, '.git', 'config');
    const plain = fs.readFileSync(config, 'utf8');
    for (const extra of ['[core]\n\tbare = "false"\n', '[core] bare = false\n', '[extensions]\n\tworktreeConfig = true\n', '[includeIf "gitdir:/x/"]\n\tpath = y\n']) {
      fs.writeFileSync(config, plain + extra);
      expect(found(repo), extra).toBeNull();
    }
    fs.writeFileSync(config, `${plain}[core]\n\teditor = "vi -n"\n\tsharedRepository = group\n`);
    expect(found(repo)).not.toBeNull();
    expect(discover(repo, ENV)!.plain).toBe(false);
  });
});

describe('paths through symlinks', () => {
  it('-C <symlink to a subdirectory>: install-hooks writes into the repository, also when git finds it', () => {
    const root = scratch();
    const repo = init(path.join(root, 'repo'));
    fs.mkdirSync(path.join(repo, 'pkg', 'sub'), { recursive: true });
    const elsewhere = path.join(root, 'elsewhere');
    fs.mkdirSync(elsewhere);
    const link = path.join(elsewhere, 'link');
    fs.symlinkSync(path.join(repo, 'pkg', 'sub'), link);
    for (const env of [{}, { GIT_CEILING_DIRECTORIES: '/nonexistent' }]) {
      const r = coord(root, ['install-hooks', '-C', link, '--json'], env);
      expect(r.code, r.stderr).toBe(0);
      expect(json(r).dir).toBe(path.join(repo, '.git', 'hooks'));
      expect(fs.existsSync(path.join(repo, '.git', 'hooks', 'pre-commit'))).toBe(true);
      expect(fs.existsSync(path.join(elsewhere, '.git'))).toBe(false);
      expect(fs.existsSync(path.join(root, '.git'))).toBe(false);
      const lock = coord(root, ['lock', '-C', link, 'x.txt', '--json'], { ...env, GIT_COORD_AGENT: 'alice' });
      expect(lock.code, lock.stderr).toBe(0);
      expect(json(lock).locks[0].pattern).toBe('pkg/sub/x.txt');
      expect(coord(repo, ['unlock', 'pkg/sub/x.txt'], { GIT_COORD_AGENT: 'alice' }).code).toBe(0);
    }
  });

  it('an absolute path inside the repository is inside it when given through a symlinked directory', () => {
    const root = scratch();
    const repo = init(path.join(root, 'real', 'repo'));
    fs.mkdirSync(path.join(repo, 'src'));
    fs.writeFileSync(path.join(repo, 'src', 'a.ts'), '');
    const tmp = path.join(root, 'tmp'); // like macOS's /tmp -> /private/tmp
    fs.symlinkSync(path.join(root, 'real'), tmp);
    const via = path.join(tmp, 'repo');
    const base = { top: repo, prefix: '' };
    expect(parsePattern(path.join(via, 'src', 'a.ts'), base).text).toBe('src/a.ts');
    expect(parsePattern(path.join(via, 'src', 'new', 'b.ts'), base).text).toBe('src/new/b.ts'); // not there yet
    expect(parsePattern(`${path.join(via, 'src')}/`, base).text).toBe('src/');
    expect(parsePattern(path.join(via, 'src', '**', '*.ts'), base).text).toBe('src/**/*.ts');
    expect(parsePattern(via, base).text).toBe('./');
    expect(() => parsePattern(path.join(tmp, 'other.txt'), base)).toThrow(/outside the repository/);
    expect(() => parsePattern(path.join(root, 'real', 'repo-sibling'), base)).toThrow(/outside the repository/);
    // From the command line, started in the symlinked directory.
    const r = coord(via, ['lock', path.join(via, 'src', 'a.ts'), '--json'], { GIT_COORD_AGENT: 'alice' });
    expect(r.code, r.stderr).toBe(0);
    expect(json(r).locks[0].pattern).toBe('src/a.ts');
  });
});
