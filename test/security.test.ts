/**
 * What no committed file, commit content, push or remote may do: run a command, forge git's
 * output, smuggle commits past the hooks, hang a command, or break one by its size. Real git,
 * bare remotes, the hooks installed by `git-coord install-hooks`.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ObjectReader } from '../src/git/objects.js';
import { ENV, clone, coord, coordAsync, gitRun, gitSync, json, makeHub, makeRepo, tmpdir, write, silentListener } from './helpers.js';

// The ObjectReader test runs git in this process: keep it off the machine's git config too.
process.env.GIT_CONFIG_GLOBAL = '/dev/null';
process.env.GIT_CONFIG_NOSYSTEM = '1';

function hub(config = 'remote: origin\n', files?: Record<string, string>) {
  const h = makeHub(config, files);
  return h;
}

function repo(files?: Record<string, string>) {
  const r = makeRepo(files);
  return r;
}

/** A file the attacks below try to create: if it ever exists, a command ran. */
function marker(): string {
  const dir = tmpdir('marker');
  return path.join(dir, 'pwned');
}

const trailer = (dir: string, rev = 'HEAD') => gitSync(dir, 'log', '-1', '--format=%(trailers:key=Coord-Agent,valueonly)', rev).trim();
const subject = (dir: string, rev = 'HEAD') => gitSync(dir, 'log', '-1', '--format=%s', rev).trim();

describe('a committed config never runs anything', () => {
  it('a remote that is an option, a URL or a path is invalid config: exit 2 for every command, nothing run', () => {
    const pwned = marker();
    const r = repo({ 'src/a.ts': 'a\n' });
    coord(r, ['install-hooks']);
    const names = [
      `--upload-pack=touch\${IFS}${pwned};false`,
      `--receive-pack=touch ${pwned}`,
      `-oProxyCommand=touch ${pwned}`,
      `ext::sh -c touch% ${pwned}`,
      `file://${r}`,
      '../elsewhere.git',
      '/tmp/x.git',
      'a..b',
      'origin:refs/heads/x',
      '',
    ];
    for (const [k, name] of names.entries()) {
      write(r, { '.git-coord.yml': `remote: ${JSON.stringify(name)}\nhooks:\n  refresh: always\n` });
      // The config is refused as it is read, the same way for every command: try them all once.
      for (const args of k === 0 ? [['sync'], ['locks', '--fresh'], ['lock', 'src/a.ts'], ['status']] : [['sync']]) {
        const res = coord(r, args, { GIT_COORD_AGENT: 'alice' });
        expect(res.code, `${name}: ${args.join(' ')}: ${res.stderr}`).toBe(2);
        expect(res.stderr, name).toMatch(/invalid \.git-coord\.yml: remote/);
      }
      if (k > 1) continue;
      write(r, { 'src/a.ts': `${name}\n` });
      gitSync(r, 'add', 'src/a.ts');
      const c = gitRun(r, ['commit', '-q', '-m', 'x'], { GIT_COORD_AGENT: 'alice' });
      expect(c.code, name).not.toBe(0);
      expect(c.stderr, name).toMatch(/invalid \.git-coord\.yml: remote/);
      gitSync(r, 'reset', '-q', '--hard');
    }
    expect(fs.existsSync(pwned)).toBe(false);
  });

  it('a remote name that is not a configured remote is refused before git sees it: a committed repository\'s hooks never run', () => {
    const pwned = marker();
    const r = repo({ 'src/a.ts': 'a\n' });
    // A committed bare repository whose hooks run on any push to it, and on any fetch from it as a path.
    const evil = path.join(r, 'evil');
    gitSync(r, 'init', '-q', '--bare', evil);
    for (const h of ['pre-receive', 'update', 'post-receive', 'reference-transaction']) {
      fs.writeFileSync(path.join(evil, 'hooks', h), `#!/bin/sh\ntouch ${pwned}\n`, { mode: 0o755 });
    }
    write(r, { '.git-coord.yml': 'remote: evil\nhooks:\n  refresh: always\n' });
    gitSync(r, 'add', '-A');
    gitSync(r, 'commit', '-q', '-m', 'evil');
    coord(r, ['install-hooks']);
    for (const args of [['sync'], ['locks', '--fresh'], ['lock', 'src/a.ts'], ['unlock', 'src/a.ts'], ['log', '--fresh']]) {
      const res = coord(r, args, { GIT_COORD_AGENT: 'alice' });
      expect(res.code, `${args.join(' ')}: ${res.stderr}`).toBe(2);
      expect(res.stderr).toMatch(/'evil' \(remote in \.git-coord\.yml\) is not a remote of this repository/);
    }
    // Every commit's pre-commit refresh (hooks.refresh: always), and pre-push.
    write(r, { 'src/a.ts': 'changed\n' });
    gitSync(r, 'add', 'src/a.ts');
    const c = gitRun(r, ['commit', '-q', '-m', 'x'], { GIT_COORD_AGENT: 'alice' });
    expect(c.code).not.toBe(0);
    expect(c.stderr).toMatch(/not a remote of this repository/);
    gitSync(r, 'commit', '-q', '--no-verify', '-m', 'x');
    const target = path.join(tmpdir('target'), 't.git');
    gitSync(r, 'init', '-q', '--bare', target);
    expect(gitRun(r, ['push', target, 'HEAD:refs/heads/x']).code).not.toBe(0);
    expect(fs.existsSync(pwned)).toBe(false);
    // Once it is a configured remote, it is used.
    gitSync(r, 'remote', 'add', 'evil', target);
    expect(coord(r, ['lock', 'src/a.ts'], { GIT_COORD_AGENT: 'alice' }).code).toBe(0);
    expect(gitSync(target, 'for-each-ref', '--format=%(refname)', 'refs/coordination/locks/')).not.toBe('');
    expect(fs.existsSync(pwned)).toBe(false);
  });

  it('--remote must name a configured remote: empty, an option, a URL or a path is exit 2', () => {
    const pwned = marker();
    const r = repo();
    for (const name of ['', `--upload-pack=touch ${pwned}`, '-x', `file://${r}`, './x', 'nosuch']) {
      for (const args of [['locks'], ['lock', 'x.txt'], ['sync']]) {
        const res = coord(r, [`--remote=${name}`, ...args], { GIT_COORD_AGENT: 'alice' });
        // `locks` reads the (empty) view of a well-formed name without contacting it.
        if (name === 'nosuch' && args[0] === 'locks') continue;
        expect(res.code, `--remote ${JSON.stringify(name)} ${args.join(' ')}: ${res.stderr}`).toBe(2);
        expect(res.stderr).toMatch(name === 'nosuch' ? /'nosuch' \(--remote\) is not a remote of this repository/ : /--remote/);
      }
    }
    expect(fs.existsSync(pwned)).toBe(false);
  });
});

describe('git output that commit content cannot forge', () => {
  it('control characters and NULs in a subject do not get a commit past pre-push or the server', () => {
    const { root, hub: h, url } = hub();
    expect(coord(h, ['install-hooks']).code).toBe(0);
    const a = clone(root, url, 'alice', true);
    const b = clone(root, url, 'bob', true);
    expect(coord(a, ['lock', 'src/', '--reason', 'mine']).code).toBe(0);
    const oid = gitSync(b, 'rev-parse', 'HEAD').trim();
    for (const subj of ['x\x01y', `x\x01${oid} ${oid}`, `x\x00\n${oid}\x00`, `\x01\x00${oid}\x00\x00\x00`, 'x\x1b[2Ky']) {
      gitSync(b, 'reset', '-q', '--hard', 'origin/main');
      write(b, { 'src/a.ts': `${JSON.stringify(subj)}\n` });
      gitSync(b, 'add', '-A');
      // git commit refuses a NUL in a message: write such a commit object as it is.
      const tree = gitSync(b, 'write-tree').trim();
      const body = `tree ${tree}\nparent ${oid}\nauthor b <b@x> 1700000000 +0000\ncommitter b <b@x> 1700000000 +0000\n\n${subj}\n`;
      const made = spawnSync('git', ['hash-object', '-t', 'commit', '-w', '--literally', '--stdin'], { cwd: b, env: ENV, input: body, encoding: 'utf8' });
      gitSync(b, 'reset', '-q', '--hard', made.stdout.trim());
      write(b, { 'docs/x.md': 'after\n' });
      gitSync(b, 'commit', '-q', '--no-verify', '-am', 'docs');
      const push = gitRun(b, ['push', 'origin', 'HEAD:main']);
      expect(push.code, `${JSON.stringify(subj)}: ${push.stderr}`).not.toBe(0);
      expect(push.stderr).toMatch(/git-coord: push refused: commits change paths that another agent holds/);
      expect(push.stderr).toMatch(/src\/a\.ts is locked by alice as src\//);
      // The refusal shows the subject escaped: no line of it can be forged, no terminal driven.
      for (const line of push.stderr.split('\n')) expect(line).not.toMatch(/[\x00-\x08\x0b-\x1f]/);
      const server = gitRun(b, ['push', '--no-verify', 'origin', 'HEAD:main']);
      expect(server.code, JSON.stringify(subj)).not.toBe(0);
      expect(server.stderr).toMatch(/push refused by the server/);
    }
  });

  it('paths with newlines, tabs, quotes, or that look like git\'s own output are each judged', () => {
    const { root, hub: h, url } = hub();
    expect(coord(h, ['install-hooks']).code).toBe(0);
    const a = clone(root, url, 'alice', true);
    const b = clone(root, url, 'bob', true);
    expect(coord(a, ['lock', 'src/', '--reason', 'mine']).code).toBe(0);
    const oid = gitSync(b, 'rev-parse', 'HEAD').trim();
    const raw = `:000000 100644 ${'0'.repeat(40)} ${oid} A`;
    const cases: [Record<string, string>, RegExp][] = [
      [{ 'src/new\nline.ts': 'x' }, /src\/new\\nline\.ts is locked/],
      [{ 'src/ta\tb "quoted".ts': 'x' }, /src\/ta\\tb "quoted"\.ts is locked/],
      [{ [`src/${oid}`]: 'x' }, new RegExp(`src/${oid} is locked`)],
      [{ [`\n${raw}`]: 'x', 'src/a.ts': 'changed' }, /src\/a\.ts is locked/],
      [{ [raw]: 'x', 'src/b.ts': 'changed' }, /src\/b\.ts is locked/],
    ];
    for (const [files, refusal] of cases) {
      gitSync(b, 'reset', '-q', '--hard', 'origin/main');
      write(b, files);
      gitSync(b, 'add', '-A');
      gitSync(b, 'commit', '-q', '--no-verify', '-m', 'weird paths');
      const push = gitRun(b, ['push', 'origin', 'HEAD:main']);
      expect(push.code, Object.keys(files).join()).not.toBe(0);
      expect(push.stderr).toMatch(refusal);
      const server = gitRun(b, ['push', '--no-verify', 'origin', 'HEAD:main']);
      expect(server.code).not.toBe(0);
      expect(server.stderr).toMatch(refusal);
    }
  });

  it('a refspec whose source holds spaces is read from the right: no revision becomes an option, no commit escapes', () => {
    const { root, url } = hub();
    const a = clone(root, url, 'alice', true);
    const b = clone(root, url, 'bob', true);
    coord(a, ['lock', 'src/a.ts']);
    const out = path.join(root, 'written-by-git-log');
    write(b, { 'src/a.ts': 'bob\n' });
    gitSync(b, 'commit', '-q', '--no-verify', '-am', `fix --output=${out}`);
    for (const src of [`HEAD^{/fix --output=${out}}`, 'HEAD^{/fix --output}']) {
      const r = gitRun(b, ['push', 'origin', `${src}:refs/heads/main`]);
      expect(r.code, r.stderr).not.toBe(0);
      expect(r.stderr).toMatch(/src\/a\.ts is locked by alice/);
    }
    expect(fs.existsSync(out) || fs.existsSync(`${out}}`)).toBe(false);
  });

  it('cat-file output is read by its byte counts: characters split between reads, and invalid UTF-8, keep the framing', async () => {
    const r = repo();
    const tree = gitSync(r, 'write-tree').trim();
    const objects = [
      Buffer.from('réécriture — 日本語 '.repeat(20_000) + '\n'),
      Buffer.concat([Buffer.from('bad bytes: '), Buffer.from([0xff, 0xc3, 0x28, 0xe2, 0x82]), Buffer.from(' end\n'.repeat(30_000))]),
    ];
    const oids = objects.map((body) => {
      const commit = Buffer.concat([Buffer.from(`tree ${tree}\nauthor a <a@b> 1 +0000\ncommitter a <a@b> 1 +0000\n\nsubject\n\n`), body]);
      return spawnSync('git', ['hash-object', '-t', 'commit', '-w', '--stdin'], { cwd: r, env: ENV, input: commit, encoding: 'utf8' }).stdout.trim();
    });
    const reader = new ObjectReader(r);
    try {
      const bodies = await reader.commitBodies([...oids, ...oids], 20_000);
      objects.forEach((body, i) => expect(bodies.get(oids[i]!)).toBe(body.toString('utf8')));
    } finally {
      reader.close();
    }
  });
});

describe('the server accepts under refs/coordination/ only records, and judges every commit that reaches a branch', () => {
  it('a commit pushed to a coordination ref is refused, so pushing it on to a branch is judged too', () => {
    const { root, hub: h, url } = hub();
    expect(coord(h, ['install-hooks']).code).toBe(0);
    const a = clone(root, url, 'alice', true);
    const b = clone(root, url, 'bob', true);
    expect(coord(a, ['lock', 'src/', '--reason', 'server']).code).toBe(0);
    write(b, { 'src/a.ts': 'smuggled\n' });
    gitSync(b, 'commit', '-q', '--no-verify', '-am', 'smuggle');
    const viaCoord = gitRun(b, ['push', '--no-verify', 'origin', 'HEAD:refs/coordination/x']);
    expect(viaCoord.code).not.toBe(0);
    expect(viaCoord.stderr).toMatch(/refs\/coordination\/ holds only git-coord's records/);
    const viaBranch = gitRun(b, ['push', '--no-verify', 'origin', 'HEAD:main']);
    expect(viaBranch.code).not.toBe(0);
    expect(viaBranch.stderr).toMatch(/src\/a\.ts is locked by alice/);
    expect(gitSync(h, 'for-each-ref', '--format=%(refname)', 'refs/coordination/x')).toBe('');
    // Mixed with a branch update (the Node check rather than the shell's), the same.
    const mixed = gitRun(b, ['push', '--no-verify', '--atomic', 'origin', 'HEAD:refs/coordination/y', 'origin/main:refs/heads/other']);
    expect(mixed.code).not.toBe(0);
    expect(mixed.stderr).toMatch(/refs\/coordination\/ holds only git-coord's records/);
  });

  it('a record-like commit (empty tree) with a smuggled parent, a tag, a tree or a blob is refused', () => {
    const { root, hub: h, url } = hub();
    expect(coord(h, ['install-hooks']).code).toBe(0);
    const b = clone(root, url, 'bob', true);
    write(b, { 'src/a.ts': 'smuggled\n' });
    gitSync(b, 'commit', '-q', '--no-verify', '-am', 'smuggle');
    const empty = gitSync(b, 'hash-object', '-t', 'tree', '/dev/null').trim();
    const onTop = gitSync(b, 'commit-tree', empty, '-p', 'HEAD', '-m', 'looks like a record').trim();
    gitSync(b, 'tag', '-a', '-m', 'tag', 'v1', 'HEAD');
    gitSync(b, 'tag', '-a', '-m', 'tag of a record', 'v2', onTop);
    const blob = gitSync(b, 'rev-parse', 'HEAD:src/a.ts').trim();
    const tree = gitSync(b, 'rev-parse', 'HEAD^{tree}').trim();
    for (const src of [onTop, 'refs/tags/v1', 'refs/tags/v2', blob, tree, 'origin/main']) {
      for (const extra of [[], ['origin/main:refs/heads/other']]) {
        const r = gitRun(b, ['push', '--no-verify', '--atomic', 'origin', `${src}:refs/coordination/x`, ...extra]);
        expect(r.code, `${src} ${extra.join(' ')}: ${r.stderr}`).not.toBe(0);
        expect(r.stderr).toMatch(/holds only git-coord's records/);
      }
    }
    expect(gitSync(h, 'for-each-ref', 'refs/coordination/')).toBe('');
  });

  it('a commit already under refs/coordination/ is judged when it reaches a branch', () => {
    const { root, hub: h, url } = hub();
    expect(coord(h, ['install-hooks']).code).toBe(0);
    const a = clone(root, url, 'alice', true);
    const b = clone(root, url, 'bob', true);
    expect(coord(a, ['lock', 'src/a.ts']).code).toBe(0);
    // A record-like commit on top of main (it deletes every file) is a record: accepted there...
    const empty = gitSync(b, 'hash-object', '-t', 'tree', '/dev/null').trim();
    const wipe = gitSync(b, 'commit-tree', empty, '-p', 'HEAD', '-m', 'wipe').trim();
    const there = gitRun(b, ['push', '--no-verify', 'origin', `${wipe}:refs/coordination/z`]);
    expect(there.code, there.stderr).toBe(0);
    // ...but on main it deletes src/a.ts, which alice holds: it counts as new for the branch.
    const r = gitRun(b, ['push', '--no-verify', 'origin', `${wipe}:refs/heads/main`]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/src\/a\.ts is locked by alice/);
  });

  it('git-coord\'s own writes pass the server hook: lock, renew, unlock, takeover, prune', async () => {
    const { root, hub: h, url } = hub();
    expect(coord(h, ['install-hooks']).code).toBe(0);
    const a = clone(root, url, 'alice', true);
    const b = clone(root, url, 'bob', true);
    const steps: [string, string[]][] = [
      [a, ['lock', 'src/', 'docs/x.md', '--ttl', '1s']],
      [a, ['renew', 'docs/x.md', '--ttl', '1h']],
      [a, ['unlock', 'docs/x.md']],
      [b, ['lock', 'docs/', '--reason', 'b']],
      [b, ['unlock', '--all']],
    ];
    for (const [dir, args] of steps) {
      const r = coord(dir, args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    }
    await new Promise((r) => setTimeout(r, 1100));
    for (const [dir, args] of [[b, ['prune']], [b, ['lock', 'src/']]] as [string, string[]][]) {
      const r = coord(dir, args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    }
    expect(json(coord(a, ['locks', '--fresh', '--json'])).map((l: any) => `${l.agent} ${l.pattern}`)).toEqual(['bob src/']);
  });
});

describe('the Coord-Agent trailer is a real trailer for every kind of commit', () => {
  function setup() {
    const r = repo({ 'src/a.ts': Array.from({ length: 20 }, (_, i) => `line ${i}\n`).join('') });
    expect(coord(r, ['install-hooks']).code).toBe(0);
    coord(r, ['whoami', '--set', 'alice']);
    return r;
  }

  it('merges (automatic, -m, conflicted), squashes, -F without a final newline, templates, amend, signoff', () => {
    const r = setup();
    const checks: [string, () => void, string][] = [
      ['automatic merge', () => {
        gitSync(r, 'checkout', '-q', '-b', 'f1');
        gitSync(r, 'commit', '-q', '--allow-empty', '-m', 'f1');
        gitSync(r, 'checkout', '-q', 'main');
        gitSync(r, 'commit', '-q', '--allow-empty', '-m', 'm1');
        gitSync(r, 'merge', '-q', '--no-edit', 'f1');
      }, "Merge branch 'f1'"],
      ['merge -m', () => {
        gitSync(r, 'checkout', '-q', '-b', 'f2');
        gitSync(r, 'commit', '-q', '--allow-empty', '-m', 'f2');
        gitSync(r, 'checkout', '-q', 'main');
        gitSync(r, 'merge', '-q', '--no-ff', '-m', 'merge two', 'f2');
      }, 'merge two'],
      ['conflicted merge, concluded with commit --no-edit', () => {
        gitSync(r, 'checkout', '-q', '-b', 'f3');
        write(r, { 'c.txt': 'f3\n' });
        gitSync(r, 'add', 'c.txt');
        gitSync(r, 'commit', '-q', '-m', 'f3');
        gitSync(r, 'checkout', '-q', 'main');
        write(r, { 'c.txt': 'main\n' });
        gitSync(r, 'add', 'c.txt');
        gitSync(r, 'commit', '-q', '-m', 'm3');
        expect(gitRun(r, ['merge', '-q', 'f3']).code).not.toBe(0);
        write(r, { 'c.txt': 'both\n' });
        gitSync(r, 'add', 'c.txt');
        gitSync(r, 'commit', '-q', '--no-edit');
      }, "Merge branch 'f3'"],
      ['squash merge', () => {
        gitSync(r, 'checkout', '-q', '-b', 'f4');
        write(r, { 'd.txt': 'f4\n' });
        gitSync(r, 'add', 'd.txt');
        gitSync(r, 'commit', '-q', '-m', 'f4');
        gitSync(r, 'checkout', '-q', 'main');
        gitSync(r, 'merge', '-q', '--squash', 'f4');
        gitSync(r, 'commit', '-q', '--no-edit');
      }, 'Squashed commit of the following:'],
      ['-F without a final newline', () => {
        fs.writeFileSync(path.join(r, '.git', 'msg'), 'no newline at the end');
        gitSync(r, 'commit', '-q', '--allow-empty', '-F', '.git/msg');
      }, 'no newline at the end'],
      ['template with comments, through the editor', () => {
        fs.writeFileSync(path.join(r, '.git', 'template'), 'from the template\n\n# a comment\n');
        gitSync(r, 'config', 'commit.template', '.git/template');
        gitRun(r, ['commit', '-q', '--allow-empty'], { GIT_EDITOR: 'true' });
        gitSync(r, 'config', '--unset', 'commit.template');
      }, 'from the template'],
      ['conventional subject', () => gitSync(r, 'commit', '-q', '--allow-empty', '-m', 'fix: a thing'), 'fix: a thing'],
      ['signoff', () => gitSync(r, 'commit', '-q', '--allow-empty', '-s', '-m', 'signed'), 'signed'],
      ['amend', () => gitSync(r, 'commit', '-q', '--amend', '--allow-empty', '--no-edit'), 'signed'],
    ];
    for (const [what, make, subj] of checks) {
      make();
      expect(subject(r), what).toBe(subj);
      expect(trailer(r), what).toBe('alice');
    }
  });

  it('the holder\'s own merge that changes a held file passes pre-push and the server', () => {
    const { root, hub: h, url } = hub('remote: origin\n', { 'src/a.ts': Array.from({ length: 20 }, (_, i) => `line ${i}\n`).join('') });
    expect(coord(h, ['install-hooks']).code).toBe(0);
    const a = clone(root, url, 'alice', true);
    const b = clone(root, url, 'bob', true);
    expect(coord(a, ['lock', 'src/a.ts']).code).toBe(0);
    const lines = fs.readFileSync(path.join(a, 'src/a.ts'), 'utf8').split('\n');
    gitSync(a, 'checkout', '-q', '-b', 'top');
    write(a, { 'src/a.ts': ['TOP', ...lines.slice(1)].join('\n') });
    gitSync(a, 'commit', '-q', '-am', 'top');
    gitSync(a, 'checkout', '-q', 'main');
    write(a, { 'src/a.ts': [...lines.slice(0, -2), 'BOTTOM', ''].join('\n') });
    gitSync(a, 'commit', '-q', '-am', 'bottom');
    // An automatic merge whose result differs from both parents in the held file.
    const m = gitRun(a, ['merge', '-q', '--no-edit', 'top']);
    expect(m.code, m.stderr).toBe(0);
    expect(trailer(a)).toBe('alice');
    const push = gitRun(a, ['push', 'origin', 'main']);
    expect(push.code, push.stderr).toBe(0);
    // bob's merge of the same kind is refused.
    gitSync(b, 'fetch', '-q', 'origin');
    const init = gitSync(b, 'rev-list', '--max-parents=0', 'origin/main').trim();
    gitSync(b, 'checkout', '-q', '-b', 'middle', init);
    write(b, { 'src/a.ts': [...lines.slice(0, 5), 'BOB', ...lines.slice(6)].join('\n') });
    gitSync(b, 'commit', '-q', '--no-verify', '-am', 'bob middle');
    gitSync(b, 'checkout', '-q', 'main');
    gitSync(b, 'merge', '-q', '--ff-only', 'origin/main');
    const bm = gitRun(b, ['merge', '-q', '--no-verify', '--no-edit', 'middle']);
    expect(bm.code, bm.stderr).toBe(0);
    const refused = gitRun(b, ['push', '--no-verify', 'origin', 'main']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/push refused by the server/);
  });
});

describe('pre-push judges only the commits the remote does not have', () => {
  it('a push by URL, or to a remote never fetched, of a new branch with an unrelated commit passes', () => {
    const { root, hub: h, url } = hub();
    const a = clone(root, url, 'alice', true);
    const b = clone(root, url, 'bob', true);
    // bob's old change to src/a.ts is on the remote before alice locks it.
    write(b, { 'src/a.ts': 'old bob change\n' });
    gitSync(b, 'commit', '-q', '-am', 'bob, long ago');
    expect(gitRun(b, ['push', '-q', 'origin', 'main']).code).toBe(0);
    expect(coord(a, ['lock', 'src/a.ts']).code).toBe(0);
    const c = clone(root, url, 'carol', true);
    write(c, { 'docs/x.md': 'carol\n' });
    gitSync(c, 'commit', '-q', '-am', 'carol docs');
    const byUrl = gitRun(c, ['push', url, 'HEAD:refs/heads/carol-1']);
    expect(byUrl.code, byUrl.stderr).toBe(0);
    gitSync(c, 'remote', 'add', 'mirror', h);
    const never = gitRun(c, ['push', 'mirror', 'HEAD:refs/heads/carol-2']);
    expect(never.code, never.stderr).toBe(0);
    // A tracking ref that is behind (the remote's main moved on elsewhere) is no reason either.
    gitSync(c, 'update-ref', 'refs/remotes/origin/main', 'HEAD~2');
    const behind = gitRun(c, ['push', 'origin', 'HEAD:refs/heads/carol-3']);
    expect(behind.code, behind.stderr).toBe(0);
    // A new commit of carol's that changes the held path is still refused, by URL too.
    write(c, { 'src/a.ts': 'carol\n' });
    gitSync(c, 'commit', '-q', '--no-verify', '-am', 'carol touches a');
    for (const target of [url, 'mirror', 'origin']) {
      const r = gitRun(c, ['push', target, 'HEAD:refs/heads/carol-4']);
      expect(r.code, target).not.toBe(0);
      expect(r.stderr).toMatch(/"carol touches a" \(by carol\): src\/a\.ts is locked by alice/);
      expect(r.stderr).not.toMatch(/bob, long ago/);
    }
  });
});

describe('a remote that accepts connections and never answers', () => {
  it('decisions fail with exit 1 naming it; reads fall back to the local view and say so; hooks go on', async () => {
    const { port } = await silentListener();
    const { root, url } = hub('remote: hang\ntimeout: 1s\nhooks:\n  refresh: always\n  timeout: 1s\n');
    const a = clone(root, url, 'alice', true);
    gitSync(a, 'remote', 'add', 'hang', `git://127.0.0.1:${port}/hub.git`);
    for (const args of [['lock', 'src/a.ts'], ['unlock', 'src/a.ts'], ['sync'], ['--remote', 'hang', 'lock', 'x'], ['lock', 'y', '--wait', '2s']]) {
      const r = await coordAsync(a, args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(1);
      expect(r.stderr).toMatch(/remote 'hang'.*timed out after 1000 ms/);
    }
    for (const args of [['locks', '--fresh'], ['log', '--fresh'], ['status', '--fresh']]) {
      const r = await coordAsync(a, args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      expect(r.stderr).toMatch(/cannot reach remote 'hang': timed out after 1000 ms; using the local view/);
    }
    // pre-commit and pre-push refresh from it (hooks.timeout), and, offline: allow, check the last view.
    write(a, { 'docs/x.md': 'change\n' });
    gitSync(a, 'add', '-A');
    const commit = gitRun(a, ['commit', '-q', '-m', 'offline']);
    expect(commit.code, commit.stderr).toBe(0);
    expect(commit.stderr).toMatch(/remote 'hang'.*timed out.*checking against the local view/);
    const push = gitRun(a, ['push', '-q', 'origin', 'main']);
    expect(push.code, push.stderr).toBe(0);
    expect(push.stderr).toMatch(/remote 'hang'.*timed out/);
  }, 60_000);
});

describe('no list reaches git as an unbounded argument', () => {
  it('a pattern of 2,600 characters (1,300 directories deep) locks, checks, and commits', () => {
    const deep = 'a/'.repeat(1300);
    const r = repo();
    coord(r, ['install-hooks']);
    const l = coord(r, ['lock', deep], { GIT_COORD_AGENT: 'alice' });
    expect(l.code, l.stderr).toBe(0);
    expect(json(coord(r, ['check', `${deep}f.txt`, '--json'], { GIT_COORD_AGENT: 'bob' })).conflicts).toHaveLength(1);
    write(r, { [`${deep}f.txt`]: 'x\n' });
    gitSync(r, 'add', '-A');
    const refused = gitRun(r, ['commit', '-q', '-m', 'deep'], { GIT_COORD_AGENT: 'bob' });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/locked by alice/);
    expect(coord(r, ['unlock', deep], { GIT_COORD_AGENT: 'alice' }).code).toBe(0);
    // With no lock held, the same commit goes through.
    const ok = gitRun(r, ['commit', '-q', '-m', 'deep'], { GIT_COORD_AGENT: 'bob' });
    expect(ok.code, ok.stderr).toBe(0);
  });

  it('through a remote too: a deep pattern, and many long ones at once', () => {
    const { root, url } = hub();
    const a = clone(root, url, 'alice', true);
    const b = clone(root, url, 'bob', true);
    const deep = 'a/'.repeat(1300);
    const l = coord(a, ['lock', deep]);
    expect(l.code, l.stderr).toBe(0);
    expect(coord(b, ['lock', `${deep}x.txt`]).code).toBe(3);
    // 60 patterns of 30 distinct long directories each: their queries hold ~550 KB of ref patterns.
    const long = Array.from({ length: 60 }, (_, i) => `${'d'.repeat(58)}${String(i).padStart(2, '0')}/`.repeat(30) + 'f.txt');
    const many = coord(b, ['lock', ...long]);
    expect(many.code, many.stderr).toBe(0);
    expect(json(coord(a, ['locks', '--fresh', '--json']))).toHaveLength(61);
    expect(json(coord(a, ['check', ...long, '--json'])).conflicts).toHaveLength(60);
  }, 60_000);
});
