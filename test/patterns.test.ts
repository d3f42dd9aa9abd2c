/**
 * Patterns through the command line and the hooks, with real git: a lock covers the same paths
 * when it is granted, when `check` asks, and when a commit is made (issue 6 items 4 and 15).
 */
import { describe, expect, it } from 'vitest';
import { coord, gitRun, gitSync, makeRepo, write } from './helpers.js';

const A = { GIT_COORD_AGENT: 'alice' };
const B = { GIT_COORD_AGENT: 'bob' };

function setup(): string {
  const repo = makeRepo({ 'src/a.ts': 'a\n', 'src/b.ts': 'b\n', 'src/deep/x.ts': 'x\n', 'src/auth/login.ts': 'l\n', 'README.md': 'r\n' });
  expect(coord(repo, ['install-hooks']).code).toBe(0);
  return repo;
}

function commitAs(repo: string, env: NodeJS.ProcessEnv, file: string) {
  write(repo, { [file]: `${Math.random()}\n` });
  gitSync(repo, 'add', '--', file);
  const r = gitRun(repo, ['commit', '-q', '-m', `change ${file}`], env);
  if (r.code !== 0) gitSync(repo, 'reset', '-q', '--hard');
  return r;
}

const held = (repo: string) => JSON.parse(coord(repo, ['locks', '--json']).stdout) as { pattern: string; kind: string }[];

describe('one definition from lock to hook', () => {
  it('"**" next to other characters is refused (exit 2, nothing written); the glob meant is one holder', () => {
    const repo = setup();
    for (const bad of ['**.ts', 'src/**{.ts,.js}']) {
      const r = coord(repo, ['lock', bad], A);
      expect(r.code, bad).toBe(2);
      expect(r.stderr).toMatch(/"\*\*" must be a whole path segment/);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    expect(held(repo)).toEqual([]);

    expect(coord(repo, ['lock', '**/*.ts'], A).code).toBe(0);
    expect(coord(repo, ['lock', 'src/a.ts'], B).code).toBe(3);
    expect(coord(repo, ['unlock', '--all'], A).code).toBe(0);

    expect(coord(repo, ['lock', 'src/**/*{.ts,.js}'], A).code).toBe(0);
    const r = coord(repo, ['lock', 'src/deep/x.ts'], B);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/src\/deep\/x\.ts: locked by alice as src\/\*\*\/\*\{\.ts,\.js\}/);
    expect(commitAs(repo, B, 'src/deep/x.ts').code).not.toBe(0);
    expect(commitAs(repo, B, 'README.md').code).toBe(0);
  });

  it('"[!a]" covers src/b.ts for lock, check and the pre-commit hook alike', () => {
    const repo = setup();
    expect(coord(repo, ['lock', 'src/[!a].ts', '--reason', 'not a'], A).code).toBe(0);

    expect(coord(repo, ['lock', 'src/b.ts'], B).code).toBe(3);
    expect(coord(repo, ['lock', 'src/a.ts'], B).code).toBe(0);
    expect(coord(repo, ['unlock', 'src/a.ts'], B).code).toBe(0);

    const checked = coord(repo, ['check', 'src/b.ts', '--json'], B);
    expect(checked.code).toBe(3);
    expect(JSON.parse(checked.stdout).conflicts[0]).toMatchObject({ path: 'src/b.ts', pattern: 'src/[!a].ts', agent: 'alice' });
    expect(coord(repo, ['check', 'src/a.ts'], B).code).toBe(0);

    const refused = commitAs(repo, B, 'src/b.ts');
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/src\/b\.ts: locked by alice as src\/\[!a\]\.ts \("not a"\)/);
    expect(commitAs(repo, B, 'src/a.ts').code).toBe(0);
    expect(commitAs(repo, A, 'src/b.ts').code).toBe(0);
  });

  it('refuses syntax it does not define with exit 2 and a reason, writing nothing', () => {
    const repo = setup();
    for (const [bad, why] of [
      ['src/@(a|b).ts', /extglob/],
      ['!src/a.ts', /negation/],
      ['src/[ab', /"\[" is not closed/],
      ['src/{a,b', /"\{" is not closed/],
      ['src/[z-a].ts', /reversed/],
      ['src/{a}.ts', /needs a comma/],
    ] as const) {
      const r = coord(repo, ['lock', bad, 'README.md'], A);
      expect(r.code, bad).toBe(2);
      expect(r.stderr, bad).toMatch(why);
      expect(coord(repo, ['check', bad], B).code, bad).toBe(2);
    }
    expect(held(repo)).toEqual([]);
  });

  it('a literal path naming a directory locks that directory (issue 6 item 15)', () => {
    const repo = setup();
    const r = coord(repo, ['lock', 'src/auth', '--json'], A);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).locks[0]).toMatchObject({ pattern: 'src/auth/', kind: 'dir' });
    expect(coord(repo, ['lock', 'src/auth/login.ts'], B).code).toBe(3);
    expect(commitAs(repo, B, 'src/auth/new.ts').code).not.toBe(0);
    // From a subdirectory, in text, and unlocking by the same words.
    const text = coord(`${repo}/src`, ['locks'], B);
    expect(text.stdout).toMatch(/^src\/auth\/ {2}alice/m);
    expect(coord(`${repo}/src`, ['unlock', 'auth'], A).code).toBe(0);
    expect(held(repo)).toEqual([]);
  });
});
