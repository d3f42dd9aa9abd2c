/**
 * `verify <range>...` on real repositories: a bare hub as the coordination remote, clones, commits
 * with and without the holder's Coord-Agent trailer, merges, a shallow clone, bad ranges.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { ENV, ROOT, clone, coord, gitRun, gitSync, json, makeHub, write } from './helpers.js';

/** A commit of `files` in `dir`, signed by `agent`'s trailer (null: none), made without hooks. */
function commitAs(dir: string, agent: string | null, files: Record<string, string>, subject: string): string {
  write(dir, files);
  gitSync(dir, 'add', '-A');
  gitSync(dir, 'commit', '-q', '--no-verify', '-m', subject, ...(agent ? ['-m', `Coord-Agent: ${agent}`] : []));
  return gitSync(dir, 'rev-parse', 'HEAD').trim();
}

describe('verify', () => {
  it("exits 3 for a commit that changes a path another agent holds, naming each field; the holder's own commits pass; the remote is read fresh", () => {
    const { root, url } = makeHub();
    const alice = clone(root, url, 'alice');
    const bob = clone(root, url, 'bob');
    const c1 = commitAs(bob, 'bob', { 'src/a.ts': 'bob\n' }, 'bob edits a');
    // Nobody holds anything yet.
    const free = coord(bob, ['verify', 'origin/main..HEAD', '--json']);
    expect(free.code, free.stderr).toBe(0);
    expect(json(free)).toEqual({ ok: true, commits: 1, conflicts: [] });
    // alice locks after bob's last read: verify fetches the remote's state itself.
    expect(coord(alice, ['lock', 'src/', '--reason', 'refactor', '--ttl', '1h']).code).toBe(0);
    const held = coord(bob, ['verify', 'origin/main..HEAD', '--json']);
    expect(held.code, held.stderr).toBe(3);
    const r = json(held);
    expect(r.ok).toBe(false);
    expect(r.commits).toBe(1);
    expect(r.conflicts).toHaveLength(1);
    expect(Object.keys(r.conflicts[0]).sort()).toEqual(['agent', 'commit', 'expiresAt', 'path', 'pattern', 'reason']);
    expect(r.conflicts[0]).toMatchObject({ commit: c1, path: 'src/a.ts', pattern: 'src/', agent: 'alice', reason: 'refactor' });
    expect(Date.parse(r.conflicts[0].expiresAt)).toBeGreaterThan(Date.now());
    const textual = coord(bob, ['verify', 'origin/main..HEAD']);
    expect(textual.code).toBe(3);
    expect(textual.stdout).toContain(`${c1.slice(0, 12)}: src/a.ts is locked by alice as src/ ("refactor"), until ${r.conflicts[0].expiresAt}`);
    // A commit with no trailer, or another agent's, is nobody's: refused too; alice's own pass.
    commitAs(bob, null, { 'src/b.ts': 'anon\n' }, 'no trailer');
    expect(json(coord(bob, ['verify', 'origin/main..HEAD', '--json'])).conflicts.map((c: any) => c.path).sort()).toEqual(['src/a.ts', 'src/b.ts']);
    commitAs(alice, 'alice', { 'src/a.ts': 'alice\n', 'src/b.ts': 'alice\n' }, 'alice edits her files');
    const own = coord(alice, ['verify', 'origin/main..HEAD', '--json']);
    expect(own.code, own.stderr).toBe(0);
    expect(json(own)).toEqual({ ok: true, commits: 1, conflicts: [] });
    // Once alice unlocks, bob's commits pass: again read from the remote, not bob's old view.
    expect(coord(alice, ['unlock', 'src/']).code).toBe(0);
    expect(coord(bob, ['verify', 'origin/main..HEAD']).code).toBe(0);
  });

  it('judges a merge as pre-push does: bringing the holder\'s commit unchanged passes, a resolution that changes the held path does not', () => {
    const { root, url } = makeHub();
    const alice = clone(root, url, 'alice');
    const bob = clone(root, url, 'bob');
    expect(coord(alice, ['lock', 'src/a.ts', '--reason', 'mine']).code).toBe(0);
    const theirs = commitAs(alice, 'alice', { 'src/a.ts': 'alice 1\n' }, 'alice edits a');
    expect(gitRun(alice, ['push', '-q', '--no-verify', 'origin', 'HEAD:refs/heads/alice']).code).toBe(0);
    gitSync(bob, 'fetch', '-q', 'origin');
    commitAs(bob, 'bob', { 'src/b.ts': 'bob\n' }, 'bob edits b');
    gitSync(bob, 'merge', '-q', '--no-edit', '--no-verify', 'origin/alice', '-m', 'merge alice', '-m', 'Coord-Agent: bob');
    const merged = coord(bob, ['verify', 'origin/main..HEAD', '--json']);
    expect(merged.code, merged.stderr).toBe(0);
    expect(json(merged)).toEqual({ ok: true, commits: 3, conflicts: [] });
    // An evil merge: bob's resolution changes the held file against both sides.
    gitSync(bob, 'reset', '-q', '--hard', 'HEAD^');
    gitSync(bob, 'merge', '-q', '--no-commit', '--no-verify', 'origin/alice');
    write(bob, { 'src/a.ts': 'bob resolves\n' });
    gitSync(bob, 'add', '-A');
    gitSync(bob, 'commit', '-q', '--no-verify', '-m', 'merge alice, resolved', '-m', 'Coord-Agent: bob');
    const evil = gitSync(bob, 'rev-parse', 'HEAD').trim();
    const r = coord(bob, ['verify', 'origin/main..HEAD', '--json']);
    expect(r.code, r.stderr).toBe(3);
    expect(json(r).conflicts).toEqual([{ commit: evil, path: 'src/a.ts', pattern: 'src/a.ts', agent: 'alice', reason: 'mine', expiresAt: expect.any(String) }]);
    expect(json(r).conflicts.some((c: any) => c.commit === theirs)).toBe(false);
  });

  it('in a shallow clone, fetches the parents it needs from the remote, or says exactly which are missing', () => {
    const { root, hub, url } = makeHub();
    const alice = clone(root, url, 'alice');
    const bob = clone(root, url, 'bob');
    expect(coord(alice, ['lock', 'src/a.ts']).code).toBe(0);
    gitSync(bob, 'checkout', '-q', '-b', 'feature');
    const f1 = commitAs(bob, 'bob', { 'src/b.ts': 'bob 1\n' }, 'f1');
    const f2 = commitAs(bob, 'bob', { 'docs/x.md': 'bob 2\n' }, 'f2');
    expect(gitRun(bob, ['push', '-q', '--no-verify', 'origin', 'feature']).code).toBe(0);
    const ci = path.join(root, 'ci');
    gitSync(root, 'clone', '-q', '--depth', '1', '--no-single-branch', '--branch', 'feature', url, ci);
    expect(gitSync(ci, 'rev-parse', '--is-shallow-repository').trim()).toBe('true');
    // Without its parent, f2 would look like a root commit adding every file, src/a.ts included.
    const r = coord(ci, ['verify', 'origin/main..HEAD', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(json(r)).toEqual({ ok: true, commits: 2, conflicts: [] });
    // As actions/checkout makes it: main at depth 1, then the pull request's head alone, by id, detached.
    const pr = path.join(root, 'pr');
    gitSync(root, 'clone', '-q', '--depth', '1', url, pr);
    gitSync(pr, 'fetch', '-q', '--depth', '1', 'origin', f2);
    gitSync(pr, 'checkout', '-q', '--detach', f2);
    const detached = coord(pr, ['verify', 'origin/main..HEAD', '--json']);
    expect(detached.code, detached.stderr).toBe(0);
    expect(json(detached)).toEqual({ ok: true, commits: 2, conflicts: [] });
    // With no remote to fetch from: exit 1, naming the commit, its missing parent and the command.
    const lone = path.join(root, 'lone');
    gitSync(root, 'clone', '-q', '--depth', '1', '--branch', 'feature', url, lone);
    gitSync(lone, 'remote', 'remove', 'origin');
    write(lone, { '.git-coord.yml': '' });
    const missing = coord(lone, ['verify', 'HEAD']);
    expect(missing.code, missing.stderr).toBe(1);
    expect(missing.stderr).toContain(`commit ${f2} has its parent ${f1} missing from this shallow clone`);
    expect(missing.stderr).toContain('git fetch --unshallow');
    // A base the shallow clone never fetched is unknown here: bad usage, saying how to fetch it.
    const base = gitSync(hub, 'rev-parse', 'main').trim();
    const unknown = coord(lone, ['verify', `${base}..HEAD`]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('this is a shallow clone: fetch the base, or all history with git fetch --unshallow');
  });

  it('refuses what is not a range of commits: exit 2, with nothing judged', () => {
    const { root, url } = makeHub();
    const bob = clone(root, url, 'bob');
    for (const args of [['verify'], ['verify', '--output=x'], ['verify', '--', '--output=x'], ['verify', '--', '-n1'], ['verify', 'nope..HEAD'], ['verify', 'HEAD\nHEAD']]) {
      const r = coord(bob, ['--json', ...args]);
      expect(r.code, `${JSON.stringify(args)}: ${r.stderr}`).toBe(2);
      expect(json(r).ok).toBe(false);
    }
  });

  it('refuses a revision that names no commit (a tree, a blob, a tag of a tree): exit 2, naming it, nothing judged', () => {
    const { root, url } = makeHub();
    const bob = clone(root, url, 'bob');
    commitAs(bob, 'bob', { 'src/new.ts': 'new\n' }, 'new');
    gitSync(bob, 'tag', '-a', '-m', 'a tree', 'treetag', 'HEAD^{tree}');
    for (const range of ['HEAD^{tree}', 'HEAD:src', 'HEAD:src/new.ts', 'treetag', 'HEAD~1..HEAD^{tree}', 'HEAD^{tree}..HEAD']) {
      const r = coord(bob, ['--json', 'verify', range]);
      expect(r.code, `${range}: ${r.stdout} ${r.stderr}`).toBe(2);
      expect(json(r).ok).toBe(false);
      expect(r.stderr + r.stdout).toContain('names no commit');
    }
    // Commits, and annotated tags of commits, still pass.
    gitSync(bob, 'tag', '-a', '-m', 'a commit', 'committag', 'HEAD');
    for (const range of ['HEAD', 'HEAD~1..HEAD', 'committag', 'HEAD~1...HEAD', 'HEAD^!']) {
      const r = coord(bob, ['--json', 'verify', range]);
      expect(r.code, `${range}: ${r.stdout} ${r.stderr}`).toBe(0);
      expect(json(r).commits).toBeGreaterThan(0);
    }
  });
});

describe('the CI templates', () => {
  /** The templates' commands, run as the CI would, with `npx --yes git-coord` as this build. */
  const cli = `"${process.execPath}" "${path.join(ROOT, 'dist', 'cli.js')}"`;
  const local = (cmd: string) => cmd.replaceAll('npx --yes git-coord', cli);

  function pullRequest() {
    const { root, url } = makeHub();
    const alice = clone(root, url, 'alice');
    const bob = clone(root, url, 'bob');
    expect(coord(alice, ['lock', 'src/a.ts', '--reason', 'mine']).code).toBe(0);
    const base = gitSync(bob, 'rev-parse', 'HEAD').trim();
    gitSync(bob, 'checkout', '-q', '-b', 'feature');
    commitAs(bob, 'bob', { 'src/b.ts': 'bob\n' }, 'free');
    expect(gitRun(bob, ['push', '-q', '--no-verify', 'origin', 'feature']).code).toBe(0);
    const ci = path.join(root, 'ci');
    gitSync(root, 'clone', '-q', '--branch', 'feature', url, ci);
    return { bob, ci, base, head: () => gitSync(bob, 'rev-parse', 'HEAD').trim() };
  }

  it("GitHub's workflow: on pull_request, the job's steps pass a free change and fail on a held path", () => {
    const wf = YAML.parse(fs.readFileSync(path.join(ROOT, 'templates', 'ci', 'github-verify.yml'), 'utf8'));
    expect(Object.keys(wf.on)).toEqual(['pull_request']);
    const job = wf.jobs.verify;
    expect(job.name).toBe('git-coord verify');
    expect(job.steps[0].with['fetch-depth']).toBe(0);
    const runs = job.steps.filter((s: any) => s.run);
    const { bob, ci, base, head } = pullRequest();
    const runJob = (headSha: string) => {
      gitSync(ci, 'fetch', '-q', 'origin', 'feature');
      gitSync(ci, 'checkout', '-q', headSha);
      let last = { code: 0, stdout: '', stderr: '' };
      for (const s of runs) {
        const env = Object.fromEntries(
          Object.entries(s.env ?? {}).map(([k, v]) => [k, String(v).replace('${{ github.event.pull_request.base.sha }}', base).replace('${{ github.event.pull_request.head.sha }}', headSha)]),
        );
        const r = spawnSync('sh', ['-c', local(s.run)], { cwd: ci, env: { ...ENV, ...env }, encoding: 'utf8' });
        last = { code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
        if (last.code !== 0) break;
      }
      return last;
    };
    const free = runJob(head());
    expect(free.code, free.stderr).toBe(0);
    expect(free.stdout).toContain('ok: 1 commit judged');
    commitAs(bob, 'bob', { 'src/a.ts': 'bob\n' }, 'held');
    expect(gitRun(bob, ['push', '-q', '--no-verify', 'origin', 'feature']).code).toBe(0);
    const held = runJob(head());
    expect(held.code).toBe(3);
    expect(held.stdout).toContain('src/a.ts is locked by alice as src/a.ts ("mine")');
  });

  it("GitLab's job: on merge request pipelines, the script passes a free change and fails on a held path", () => {
    const doc = YAML.parse(fs.readFileSync(path.join(ROOT, 'templates', 'ci', 'gitlab-verify.yml'), 'utf8'));
    const job = doc['git-coord-verify'];
    expect(job.rules[0].if).toBe('$CI_PIPELINE_SOURCE == "merge_request_event"');
    expect(job.variables.GIT_DEPTH).toBe('0');
    const { bob, ci, base, head } = pullRequest();
    const runJob = (sha: string) => {
      gitSync(ci, 'fetch', '-q', 'origin', 'feature');
      gitSync(ci, 'checkout', '-q', sha);
      const r = spawnSync('sh', ['-ec', local(job.script.join('\n'))], {
        cwd: ci,
        env: { ...ENV, CI_MERGE_REQUEST_DIFF_BASE_SHA: base, CI_COMMIT_SHA: sha },
        encoding: 'utf8',
      });
      return { code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
    };
    const free = runJob(head());
    expect(free.code, free.stderr).toBe(0);
    commitAs(bob, 'bob', { 'src/a.ts': 'bob\n' }, 'held');
    expect(gitRun(bob, ['push', '-q', '--no-verify', 'origin', 'feature']).code).toBe(0);
    const held = runJob(head());
    expect(held.code).toBe(3);
    expect(held.stdout).toContain('src/a.ts is locked by alice');
  });
});
