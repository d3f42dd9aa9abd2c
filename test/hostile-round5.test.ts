/**
 * Hostile round 5: the remote's lock files (store/remote.ts noteRemoteLock, git/remote.ts
 * pushLeased) and finished tasks read by id (tasks/archive.ts pick). Real clones of a file://
 * hub, real processes; every directory is removed after each test (helpers' cleanup).
 */
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ENV, clone, coord, coordAsync, defer, gitSync, makeHub, tmpdir } from './helpers.js';

/** git with `input` on stdin (mktree). */
function spawnSyncGit(cwd: string, args: string[], input: string): string {
  const r = spawnSync('git', args, { cwd, env: ENV, input, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

describe('a deletion meets packed-refs.lock on the remote', () => {
  /** alice's clone holding a lock, and the hub's packed-refs.lock, made (removed after the test). */
  function lockedBehindPackedRefsLock(): { a: string; hub: string; file: string } {
    const { root, hub, url } = makeHub();
    const a = clone(root, url, 'alice');
    expect(coord(a, ['lock', 'src/a.ts']).code).toBe(0);
    const file = path.join(hub, 'packed-refs.lock');
    fs.writeFileSync(file, '');
    defer(() => fs.rmSync(file, { force: true }));
    return { a, hub, file };
  }

  it('a packed-refs.lock held for a while (a pack-refs or gc --auto there) is a lost round, not a refusal: the unlock goes through once it goes', async () => {
    const { a, hub, file } = lockedBehindPackedRefsLock();
    // Held longer than the remote's git waits for it (1 s), then released, as a live git would.
    const run = coordAsync(a, ['unlock', 'src/a.ts']);
    setTimeout(() => fs.rmSync(file, { force: true }), 2500);
    const r = await run;
    expect(r.stderr).not.toMatch(/refused the update/);
    expect(r.code, r.stderr).toBe(0);
    expect(gitSync(hub, 'for-each-ref', '--format=%(refname)', 'refs/coordination/locks/')).toBe('');
  });

  it('a packed-refs.lock left for good: exit 1 naming it as a ref kept locked (as for a ref\'s own lock file)', () => {
    const { a } = lockedBehindPackedRefsLock();
    const r = coord(a, ['unlock', 'src/a.ts']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/remote 'origin' keeps a ref locked: its file '[^']*packed-refs\.lock' has been there at every try/);
  });
});

describe('finished tasks looked up by id answer the same whichever way the archives are read', () => {
  it("an archive entry kept outside its key's directory (a forged archive) is found, or not, the same whatever the archive's count says", () => {
    // One board per count: alice finished fin-1; the archive is then forged with its entry moved
    // under directories its key does not hash to, and a record claiming `count` entries.
    const importAgain = (count: number) => {
      const { root, hub, url } = makeHub();
      const a = clone(root, url, 'alice');
      const b = clone(root, url, 'bob');
      const file = (name: string, text: string) => {
        const f = path.join(root, name);
        fs.writeFileSync(f, text);
        return f;
      };
      expect(coord(a, ['task', 'import', file('done.jsonl', '{"id":"fin-1","title":"finished","status":"done"}\n')]).code).toBe(0);
      const archive = 'refs/coordination/tasks/archive/alice';
      const [mode, , blob, name] = gitSync(hub, 'ls-tree', '-r', archive).trim().split(/\s+/);
      expect(name).not.toBe('0/0/fin-1');
      const mk = (entry: string) => spawnSyncGit(hub, ['mktree'], entry).trim();
      const leaf = mk(`${mode} blob ${blob}\tfin-1\n`);
      const top = mk(`040000 tree ${mk(`040000 tree ${leaf}\t0\n`)}\t0\n`);
      const record = JSON.stringify({ v: 1, type: 'task-archive', count, failed: [] });
      gitSync(hub, 'update-ref', archive, gitSync(hub, 'commit-tree', top, '-m', 'archive fin-1', '-m', record).trim());
      const r = coord(b, ['task', 'import', file('again.jsonl', '{"id":"fin-1","title":"again"}\n')]);
      return { code: r.code, exists: /already exists/.test(r.stderr) };
    };
    // 1 id x 1 archive > 0 entries: the archives are listed whole; fewer asks than 1000 entries: asked by path.
    expect(importAgain(0)).toEqual(importAgain(1000));
  });
});

describe('import under a finished parent', () => {
  it('the refusal names the done parent to reopen (it printed "task reopen undefined")', () => {
    const { root, url } = makeHub();
    const a = clone(root, url, 'alice');
    const f = path.join(root, 'tasks.jsonl');
    fs.writeFileSync(f, '{"id":"p-1","title":"parent","status":"done"}\n');
    expect(coord(a, ['task', 'import', f]).code).toBe(0);
    fs.writeFileSync(f, '{"id":"k-1","title":"child","parent":"p-1"}\n');
    const r = coord(a, ['task', 'import', f]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/parent p-1 is done/);
    expect(r.stderr).not.toMatch(/undefined/);
    expect(r.stderr).toMatch(/task reopen p-1 first/);
    const j = coord(a, ['task', 'import', f, '--json']);
    expect(j.code).toBe(2);
  });
});

describe('a long-lived session (the MCP server) and a lock file met long ago', () => {
  it('one round lost to a ref lock file in an earlier command, then two lost to a live one minutes later, is no "keeps a ref locked"', async () => {
    process.env.GIT_CONFIG_GLOBAL = '/dev/null';
    process.env.GIT_CONFIG_NOSYSTEM = '1';
    const { root, hub, url } = makeHub();
    const a = clone(root, url, 'alice');
    const b = clone(root, url, 'bob');
    // bob's lock record, kept in the hub's objects after his unlock.
    expect(coord(b, ['lock', 'src/a.ts']).code).toBe(0);
    const lockRef = gitSync(hub, 'for-each-ref', '--format=%(refname)', 'refs/coordination/locks/').trim();
    const bobs = gitSync(hub, 'rev-parse', lockRef).trim();
    expect(coord(b, ['unlock', 'src/a.ts']).code).toBe(0);
    // The hub's pre-receive stands for another git holding the lock ref's file while a push
    // comes in: it creates the file `count` times (removing the one it left before), and the
    // first time may hand the lock to bob meanwhile (`take`).
    const ctl = path.join(root, 'ctl');
    fs.mkdirSync(ctl);
    const lockFile = path.join(hub, `${lockRef}.lock`);
    defer(() => fs.rmSync(lockFile, { force: true }));
    const hook = path.join(hub, 'hooks', 'pre-receive');
    fs.writeFileSync(
      hook,
      `#!/bin/sh
cat >/dev/null
rm -f '${lockFile}'
n=$(cat '${ctl}/count' 2>/dev/null || echo 0)
[ "$n" -gt 0 ] || exit 0
echo $((n - 1)) >'${ctl}/count'
if [ -s '${ctl}/take' ]; then
  env -u GIT_QUARANTINE_PATH -u GIT_OBJECT_DIRECTORY -u GIT_ALTERNATE_OBJECT_DIRECTORIES git update-ref '${lockRef}' "$(cat '${ctl}/take')"
  rm -f '${ctl}/take'
fi
mkdir -p '${path.dirname(lockFile)}'
: >'${lockFile}'
exit 0
`,
      { mode: 0o755 },
    );
    fs.writeFileSync(path.join(ctl, 'count'), '1');
    fs.writeFileSync(path.join(ctl, 'take'), bobs);
    const { Coord, Locks } = await import('../src/index.js');
    const ctx = await Coord.open({ cwd: a, agent: 'alice', env: { ...ENV } });
    const locks = new Locks(ctx);
    try {
      // One round lost to the file, then bob holds the lock: refused, nothing pushed.
      await expect(locks.lock(['src/a.ts'])).rejects.toThrow(/bob/);
      fs.rmSync(lockFile, { force: true });
      // Later (past the 5 s of patience), the lock is free again and two pushes in a row meet a
      // live git holding the file for a moment; the third goes through.
      await new Promise((r) => setTimeout(r, 5_500));
      gitSync(hub, 'update-ref', '-d', lockRef);
      fs.writeFileSync(path.join(ctl, 'count'), '2');
      const [l] = await locks.lock(['src/a.ts']);
      expect(l!.agent).toBe('alice');
    } finally {
      ctx.close();
    }
  }, 60_000);
});

describe('a lock file named by a remote whose path holds a quote', () => {
  it("is still named after a few seconds (git's message quotes the path: a quote inside it hid the file, and 50 rounds ended in 'gave up')", () => {
    const root = tmpdir('hub');
    const hub = path.join(root, "q'uote", 'hub.git');
    fs.mkdirSync(path.dirname(hub));
    gitSync(root, 'init', '-q', '--bare', '-b', 'main', hub);
    const seed = path.join(root, 'seed');
    gitSync(root, 'init', '-q', '-b', 'main', seed);
    fs.mkdirSync(path.join(seed, 'src'));
    fs.writeFileSync(path.join(seed, 'src', 'a.ts'), 'a\n');
    fs.writeFileSync(path.join(seed, '.git-coord.yml'), 'remote: origin\n');
    gitSync(seed, 'add', '-A');
    gitSync(seed, 'commit', '-q', '-m', 'init');
    gitSync(seed, 'push', '-q', hub, 'main');
    const a = clone(root, `file://${hub}`, 'alice');
    expect(coord(a, ['lock', 'src/a.ts']).code).toBe(0);
    const lockRef = gitSync(hub, 'for-each-ref', '--format=%(refname)', 'refs/coordination/locks/').trim();
    fs.writeFileSync(path.join(hub, `${lockRef}.lock`), '');
    const r = coord(a, ['unlock', 'src/a.ts']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`keeps a ref locked: its file '${hub}/./${lockRef}.lock' has been there at every try`);
  });
});
