/**
 * The shell hooks are generated from the TypeScript definitions (src/shell/values.ts,
 * scripts/gen-shell.mjs): every constant, flag, query and message they share with TypeScript is
 * held equal here, by running the shell and comparing what it holds with the TypeScript value.
 * The drifts of the hand-copied hooks are pinned too.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AGENT_ID_FIRST, AGENT_ID_HINT, AGENT_ID_MAX, AGENT_ID_RE, AGENT_ID_REST, DURATION_MAX_MS } from '../src/fields.js';
import { ARCHIVE, JOURNAL, LOCKS, ROOT as REFS_ROOT, coveringQuery, escapeComponent, lockRef } from '../src/store/layout.js';
import { NEW_COMMIT_TREES, OBJECT_TYPES, TRAILER } from '../src/git/commits.js';
import { STAGED_DIFF } from '../src/git/worktree.js';
import { AGENT_FILE } from '../src/session/coord.js';
import { CONFIG_FILE } from '../src/session/config.js';
import { JOURNAL_REWIND_REFUSAL, editDenied, notRecordsRefusal } from '../src/hooks/render.js';
import { HELD_STATE } from '../src/operations/lock-audit.js';
import { AGENT_HOOK_MAX_INPUT_BYTES, DENIAL_MARKS, GENERATED_MARK, plainChars, refRules, renderShell, SHELL_MAX_QUERY_BYTES, SHELL_SCRIPTS, shellValues } from '../src/shell/values.js';
import { WRITE_TOOLS } from '../src/operations/claude-setup.js';
import { ENV, ROOT, coord, gitRun, gitSync, makeRepo, tmpdir, write } from './helpers.js';

/** The generated block of a built script, alone. */
function block(script: string): string {
  const text = fs.readFileSync(path.join(ROOT, script), 'utf8');
  const m = /^# >>> generated .*\n[\s\S]*?^# <<< generated <<<$/m.exec(text);
  if (!m) throw new Error(`${script}: no generated block`);
  return m[0];
}

/** Runs `code` in sh after the script's generated block; `git` can be replaced by a function. */
function sh(script: string, code: string, args: string[] = []): { code: number; stdout: string } {
  const r = spawnSync('sh', ['-c', `${block(script)}\n${code}`, 'sh', ...args], { env: ENV, encoding: 'utf8' });
  return { code: r.status ?? 1, stdout: r.stdout };
}

/** The words a generated git function passes to git (git replaced by a function printing them). */
function gitWords(script: string, fn: string): string[] {
  return sh(script, `git() { printf '%s\\n' "$@"; }; ${fn} </dev/null`).stdout.split('\n').slice(0, -1);
}

const SCRIPTS = Object.values(SHELL_SCRIPTS);

describe('the generated shell hooks', () => {
  it('are built fresh from their sources', () => {
    for (const [source, target] of Object.entries(SHELL_SCRIPTS)) {
      const src = fs.readFileSync(path.join(ROOT, source), 'utf8');
      expect(src).toContain(GENERATED_MARK);
      expect(fs.readFileSync(path.join(ROOT, target), 'utf8'), `${target}: run npm run build`).toBe(renderShell(src));
      // And parse as sh (a quote in a comment inside an awk program ends the program).
      const parsed = spawnSync('sh', ['-n', path.join(ROOT, target)], { encoding: 'utf8' });
      expect(parsed.status, `${target}: ${parsed.stderr}`).toBe(0);
    }
  });

  it('read coveringQuery\'s escaping rules off store/layout.ts', () => {
    const { kept, componentMax, anchorMax } = refRules();
    for (let c = 0; c < 256; c++) {
      const ch = String.fromCharCode(c);
      if (c < 128) expect(new RegExp(`^[${kept}]$`).test(ch), JSON.stringify(ch)).toBe(escapeComponent(ch) === ch);
    }
    const component = (n: number) => lockRef({ text: 'x', kind: 'file', anchor: ['a'.repeat(n), 'f'] }).split('/')[3]!;
    expect(component(componentMax)).toBe(`p-${'a'.repeat(componentMax)}`);
    expect(component(componentMax + 1)).toMatch(/^h-/);
    expect([componentMax, anchorMax]).toEqual([200, 1024]);
  });

  it('hold every constant equal to its TypeScript source', () => {
    const rules = refRules();
    const ts: Record<string, string> = {
      GC_ROOT: REFS_ROOT,
      GC_LOCKS: LOCKS,
      GC_JOURNAL: JOURNAL,
      GC_ARCHIVE: ARCHIVE,
      GC_JOURNAL_REFUSAL: JOURNAL_REWIND_REFUSAL,
      GC_HELD_STATE: HELD_STATE,
      GC_REF_KEPT: rules.kept,
      GC_REF_COMPONENT_MAX: String(rules.componentMax),
      GC_REF_ANCHOR_MAX: String(rules.anchorMax),
      GC_CONFIG_FILE: CONFIG_FILE,
      GC_AGENT_FILE: AGENT_FILE,
      GC_TRAILER: TRAILER,
      GC_AGENT_ID_HINT: AGENT_ID_HINT,
      GC_NOT_RECORDS_REFUSAL: notRecordsRefusal([]).split('\n')[0]!,
      GC_NOT_RECORDS_HINT: notRecordsRefusal([]).split('\n').at(-1)!,
      GC_EMPTY_TREE_SHA1: gitSync(tmpdir(), 'hash-object', '-t', 'tree', '/dev/null').trim(),
      GC_MAX_QUERY_BYTES: String(SHELL_MAX_QUERY_BYTES),
      GC_WRITE_TOOLS: WRITE_TOOLS.join(' '),
      GC_AGENT_HOOK_MAX_INPUT: String(AGENT_HOOK_MAX_INPUT_BYTES),
      GC_EDIT_DENIED: JSON.stringify({
        hookSpecificOutput: {
          hookEventName: 'PreToolUse',
          permissionDecision: 'deny',
          permissionDecisionReason: editDenied(DENIAL_MARKS.tool, [{ path: DENIAL_MARKS.path, pattern: DENIAL_MARKS.pattern, agent: DENIAL_MARKS.agent, reason: '', expiresAt: DENIAL_MARKS.until }], false, DENIAL_MARKS.cmd),
        },
      }),
      GC_PLAIN_CHARS: plainChars(),
      GC_AGENT_ID_FIRST: AGENT_ID_FIRST,
      GC_AGENT_ID_REST: AGENT_ID_REST,
      GC_AGENT_ID_MAX: String(AGENT_ID_MAX),
      GC_TTL_MAX_MS: String(DURATION_MAX_MS),
      GC_EMPTY_TREE_SHA256: spawnSync('git', ['hash-object', '--literally', '-t', 'tree', '--stdin'], { input: '', env: { ...ENV }, encoding: 'utf8', cwd: sha256Repo() }).stdout.trim(),
    };
    expect(Object.keys(shellValues()).sort()).toEqual(Object.keys(ts).sort());
    for (const script of SCRIPTS) {
      for (const [name, value] of Object.entries(ts)) {
        expect(sh(script, `printf '%s' "$${name}"`).stdout, `${script}: ${name}`).toBe(value);
      }
    }
  });

  it('run git with the flags TypeScript runs it with', () => {
    for (const script of SCRIPTS) {
      expect(gitWords(script, 'gc_staged_diff')).toEqual(['-c', 'core.quotepath=on', ...STAGED_DIFF, '--']);
      expect(gitWords(script, 'gc_object_types')).toEqual([...OBJECT_TYPES]);
      expect(gitWords(script, 'gc_new_commit_trees')).toEqual([...NEW_COMMIT_TREES]);
    }
    expect(STAGED_DIFF).toContain('--ignore-submodules=none');
    // The covering query: one awk for every script (test/hook-shell.test.ts holds it equal to coveringQuery).
    const q = sh(SCRIPTS[0]!, `printf 'a/b.txt\\n' | gc_covering_query`).stdout;
    expect(q).toBe(`${coveringQuery(['a/b.txt']).join('\n')}\n`);
    for (const script of SCRIPTS) expect(sh(script, `printf 'a/b.txt\\n' | gc_covering_query`).stdout, script).toBe(q);
  });

  it('name plain paths in the edit hook\'s own denial only with characters Node shows, pastes and encodes as they are', () => {
    const plain = new RegExp(`^[${plainChars()}]$`);
    for (let c = 0; c < 128; c++) {
      const ch = String.fromCharCode(c);
      if (!plain.test(ch)) continue;
      expect(JSON.stringify(ch), ch).toBe(`"${ch}"`);
      expect(/^[A-Za-z0-9._\/%+=:,-]$/.test(ch), ch).toBe(true);
    }
    expect(plain.test('@')).toBe(false);
    expect(plain.test(' ')).toBe(false);
  });

  it('apply the agent-id rule as AGENT_ID_RE does', () => {
    const ids = ['a', 'A', '0', 'alice', 'bob-2', 'x.y_z', 'a'.repeat(64), 'a'.repeat(65), '', 'al ice', '-a', '.a', '_a', 'a/b', 'a\tb',
      'a\nb', 'é', 'aé', 'a*', '*', '[a]', 'a\\b', "a'b", 'a"b', 'a$b', 'a;b', '@all', '#chan', 'a:b', 'a~', '9'.repeat(63)];
    for (const script of SCRIPTS) {
      for (const id of ids) expect(sh(script, 'gc_agent_id_ok "$1"', [id]).code === 0, `${script}: ${JSON.stringify(id)}`).toBe(AGENT_ID_RE.test(id));
    }
  });

  it('copy none of these values in their sources (outside comments)', () => {
    // (Numbers aside: a short number may well stand in a script for something else.)
    const values = Object.values(shellValues()).filter((v) => !/^\d+$/.test(v)).concat(['--ignore-submodules', '--batch-check', '--no-show-signature', 'a-z0-9']);
    for (const source of Object.keys(SHELL_SCRIPTS)) {
      const code = fs.readFileSync(path.join(ROOT, source), 'utf8').split('\n').filter((l) => !/^\s*#/.test(l)).join('\n');
      for (const v of values) expect(code.includes(v), `${source} copies ${JSON.stringify(v)}`).toBe(false);
    }
  });
});

function sha256Repo(): string {
  const dir = tmpdir('sha256');
  gitSync(dir, 'init', '-q', '--object-format=sha256');
  return dir;
}

describe('pre-receive in the shell', () => {
  it.each(['sha1', 'sha256'])('takes records and refuses anything else under refs/coordination/ with TypeScript\'s words (%s)', (format) => {
    const hub = path.join(tmpdir('recv'), 'hub.git');
    gitSync(path.dirname(hub), 'init', '-q', '--bare', `--object-format=${format}`, hub);
    expect(coord(hub, ['install-hooks']).code).toBe(0);
    const work = tmpdir('work');
    gitSync(work, 'init', '-q', `--object-format=${format}`, '-b', 'main');
    const empty = gitSync(work, 'hash-object', '-t', 'tree', '-w', '/dev/null').trim();
    const record = gitSync(work, 'commit-tree', '-m', '{}', empty).trim();
    write(work, { 'a.txt': 'a\n' });
    gitSync(work, 'add', '-A');
    gitSync(work, 'commit', '-q', '-m', 'not a record');
    const ok = gitRun(work, ['push', '-q', hub, `${record}:refs/coordination/locks/l-x`]);
    expect(ok.code, ok.stderr).toBe(0);
    const bad = gitRun(work, ['push', '-q', hub, 'main:refs/coordination/locks/l-y']);
    expect(bad.code).not.toBe(0);
    const [first, last] = [notRecordsRefusal([]).split('\n')[0]!, notRecordsRefusal([]).split('\n').at(-1)!];
    expect(bad.stderr.replace(/ +$/gm, '')).toContain(`remote: ${first}\nremote: ${last}`);
    expect(gitSync(hub, 'for-each-ref', '--format=%(refname)')).toBe('refs/coordination/locks/l-x\n');
  });
});

describe('the drifts of the hand-copied hooks', () => {
  it('pre-commit refuses a moved submodule another agent holds, with diff.ignoreSubmodules=all', () => {
    const sub = makeRepo({ 'f.txt': 'f\n' });
    const repo = makeRepo();
    gitSync(repo, '-c', 'protocol.file.allow=always', 'submodule', 'add', '-q', sub, 'sub');
    gitSync(repo, 'commit', '-q', '-m', 'sub');
    expect(coord(repo, ['install-hooks']).code).toBe(0);
    expect(coord(repo, ['lock', 'sub/'], { GIT_COORD_AGENT: 'other' }).code).toBe(0);
    // The submodule moves to a new commit, staged; the user's config hides submodule changes.
    const inner = path.join(repo, 'sub');
    write(inner, { 'g.txt': 'g\n' });
    gitSync(inner, 'add', '-A');
    gitSync(inner, 'commit', '-q', '-m', 'moved');
    // With a free file alongside: a commit of an ignored submodule alone is "nothing to commit".
    write(repo, { 'free.txt': 'free\n' });
    gitSync(repo, 'add', 'sub', 'free.txt');
    gitSync(repo, 'config', 'diff.ignoreSubmodules', 'all');
    expect(coord(repo, ['check', '--staged'], { GIT_COORD_AGENT: 'me' }).code).toBe(3);
    const before = gitSync(repo, 'rev-parse', 'HEAD');
    const r = gitRun(repo, ['commit', '-q', '-m', 'move sub'], { GIT_COORD_AGENT: 'me' });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/commit refused/);
    expect(gitSync(repo, 'rev-parse', 'HEAD')).toBe(before);
  });

  it('prepare-commit-msg reads the identity file as every command does: `al ice` is refused, not signed as alice', () => {
    const repo = makeRepo();
    expect(coord(repo, ['install-hooks']).code).toBe(0);
    const file = path.join(repo, '.git', AGENT_FILE);
    const tryCommit = (identity: string) => {
      fs.writeFileSync(file, identity);
      write(repo, { 'n.txt': identity });
      gitSync(repo, 'add', '-A');
      const before = gitSync(repo, 'rev-parse', 'HEAD');
      const r = gitRun(repo, ['commit', '-q', '-m', 'c']);
      const after = gitSync(repo, 'rev-parse', 'HEAD');
      const trailer = after === before ? null : gitSync(repo, 'log', '-1', `--format=%(trailers:key=${TRAILER},valueonly)`).trim();
      return { code: r.code, stderr: r.stderr, committed: after !== before, trailer, command: coord(repo, ['whoami', '--json']).code };
    };
    for (const bad of ['al ice', 'al ice\n', 'alice\nbob\n', ' a/b ', '-x']) {
      const t = tryCommit(bad);
      expect(t.command, JSON.stringify(bad)).toBe(2);
      expect(t.committed, JSON.stringify(bad)).toBe(false);
      expect(t.stderr).toContain(AGENT_ID_HINT);
    }
    for (const [good, id] of [['alice', 'alice'], ['  alice \n\n', 'alice'], ['\tbob\r\n', 'bob']]) {
      const t = tryCommit(good!);
      expect(t.command, JSON.stringify(good)).toBe(0);
      expect(t.committed).toBe(true);
      expect(t.trailer).toBe(id);
    }
    // An invalid GIT_COORD_AGENT is refused the same way; none at all signs nothing.
    write(repo, { 'n.txt': 'env' });
    gitSync(repo, 'add', '-A');
    const r = gitRun(repo, ['commit', '-q', '-m', 'c'], { GIT_COORD_AGENT: 'al ice' });
    expect(r.code).not.toBe(0);
    expect(coord(repo, ['whoami'], { GIT_COORD_AGENT: 'al ice' }).code).toBe(2);
    fs.rmSync(file);
    expect(gitRun(repo, ['commit', '-q', '-m', 'c']).code).toBe(0);
    expect(gitSync(repo, 'log', '-1', '--format=%B')).not.toContain(TRAILER);
  });
});
