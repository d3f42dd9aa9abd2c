/**
 * Claude Code: `hook claude` with event payloads of each kind (test/fixtures/claude/, shaped as
 * Claude Code's hooks documentation gives them), `setup claude`, `prime`, and the briefing's own
 * rules (length bound, what changed). Real repositories, real processes.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, ENV, ROOT, clone, coord, gitSync, json, makeHub, makeRepo, refs, tmpdir, write, track, bareRepo } from './helpers.js';
import { BRIEFING_LIMIT, briefingText, changesSince, nextCommands, type Briefing } from '../src/views/briefing.js';

const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'claude');
const A = { GIT_COORD_AGENT: 'alice' };
/** How a hook names git-coord when it is not on PATH: this very install, runnable from the agent's shell. */
const CMD = `'${process.execPath}' '${CLI}'`;
const reEsc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** The per-session state the agent hooks keep (what was told, snapshots), for the fixtures' session. */
const SESSION_DIR = path.join('.git', 'git-coord', 'agent-hooks', '8c2f0d2e-5a41-4a8e-9a55-0c6f3e1b7a10');
const B = { GIT_COORD_AGENT: 'bob' };

function repo(files: Record<string, string> = { 'src/a.ts': 'export const a = 1;\n', 'src/b.ts': 'b\n', 'nb.ipynb': '{}\n' }) {
  const dir = makeRepo(files);
  return dir;
}

/** A fixture with its placeholders filled (as JSON string content). */
function fixture(name: string, vars: { cwd: string; file?: string }): string {
  const esc = (s: string) => JSON.stringify(s).slice(1, -1);
  return fs
    .readFileSync(path.join(FIXTURES, name), 'utf8')
    .replaceAll('{{CWD}}', esc(vars.cwd))
    .replaceAll('{{FILE}}', esc(vars.file ?? path.join(vars.cwd, 'src', 'a.ts')));
}

function hook(cwd: string, input: string, env: NodeJS.ProcessEnv = A, timeoutMs = 20_000) {
  const r = spawnSync(process.execPath, [CLI, 'hook', 'claude'], { cwd, env: { ...ENV, ...env }, input, encoding: 'utf8', timeout: timeoutMs });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

function decision(stdout: string): { permissionDecision: string; permissionDecisionReason: string; hookEventName: string } {
  return JSON.parse(stdout).hookSpecificOutput;
}

function context(stdout: string): string {
  const out = JSON.parse(stdout).hookSpecificOutput;
  return out.additionalContext as string;
}

describe('hook claude: PreToolUse', () => {
  it.each([
    ['pre-tool-use-edit.json', 'src/a.ts'],
    ['pre-tool-use-write.json', 'src/new-file.ts'],
    ['pre-tool-use-multiedit.json', 'src/b.ts'],
    ['pre-tool-use-notebookedit.json', 'nb.ipynb'],
  ])('%s: denied when another agent holds the file, naming holder, reason, expiry and the next step', (name, file) => {
    const dir = repo();
    expect(coord(dir, ['lock', 'src/', 'nb.ipynb', '--reason', 'auth rewrite', '--ttl', '2h'], B).code).toBe(0);
    const r = hook(dir, fixture(name, { cwd: dir, file: path.join(dir, file) }));
    expect(r.code).toBe(0);
    const d = decision(r.stdout);
    expect(d.hookEventName).toBe('PreToolUse');
    expect(d.permissionDecision).toBe('deny');
    expect(d.permissionDecisionReason).toContain('bob');
    expect(d.permissionDecisionReason).toContain('auth rewrite');
    expect(d.permissionDecisionReason).toMatch(/until 20\d\d-/);
    // Next steps the agent can run from its shell: this install's command, waits within a shell tool's 2 minutes.
    expect(d.permissionDecisionReason).toMatch(new RegExp(`Next: .*${reEsc(CMD)} lock --wait 90s .*${reEsc(CMD)} unlock --force --reason`));
    expect(d.permissionDecisionReason).not.toMatch(/--wait (\d+m|\d{3,}s)/);
  });

  it('gives no decision (so the user\'s own permission rules still apply) for a free file and for a file it holds itself', () => {
    const dir = repo();
    expect(coord(dir, ['lock', 'src/a.ts'], A).code).toBe(0);
    for (const file of ['src/a.ts', 'src/b.ts', 'docs/new.md']) {
      const r = hook(dir, fixture('pre-tool-use-edit.json', { cwd: dir, file: path.join(dir, file) }));
      expect(r).toMatchObject({ code: 0, stdout: '' });
    }
  });

  it('takes relative paths from the event\'s cwd, and holds the agent with no identity to holding nothing', () => {
    const dir = repo();
    coord(dir, ['lock', 'src/'], B);
    const rel = hook(dir, fixture('pre-tool-use-edit.json', { cwd: path.join(dir, 'src'), file: 'a.ts' }));
    expect(decision(rel.stdout).permissionDecision).toBe('deny');
    const anon = hook(dir, fixture('pre-tool-use-edit.json', { cwd: dir }), {});
    expect(decision(anon.stdout).permissionDecisionReason).toMatch(/no agent id.*whoami --set/s);
  });

  it('a file in another worktree of the same repository is judged by its locks; a file outside any repository gets no decision', () => {
    const dir = repo();
    const wt = `${dir}-wt`;
    track(wt);
    gitSync(dir, 'worktree', 'add', '-q', wt);
    coord(dir, ['lock', 'src/a.ts'], B);
    const other = hook(dir, fixture('pre-tool-use-edit.json', { cwd: dir, file: path.join(wt, 'src', 'a.ts') }));
    expect(decision(other.stdout).permissionDecision).toBe('deny');
    const outside = tmpdir('outside');
    expect(hook(dir, fixture('pre-tool-use-write.json', { cwd: dir, file: path.join(outside, 'x.txt') }))).toMatchObject({ code: 0, stdout: '' });
    expect(hook(outside, fixture('pre-tool-use-write.json', { cwd: outside, file: path.join(outside, 'x.txt') }))).toMatchObject({ code: 0, stdout: '' });
  });

  it('other tools and other events get no decision', () => {
    const dir = repo();
    coord(dir, ['lock', 'src/'], B);
    for (const name of ['stop.json', 'post-tool-use-edit.json']) {
      expect(hook(dir, fixture(name, { cwd: dir }))).toMatchObject({ code: 0, stdout: '' });
    }
  });

  it('malformed events: exit 0, no decision, no stack trace', () => {
    const dir = repo();
    coord(dir, ['lock', 'src/'], B);
    const names = fs.readdirSync(path.join(FIXTURES, 'malformed'));
    expect(names.length).toBeGreaterThanOrEqual(8);
    for (const name of names) {
      const r = hook(dir, fixture(path.join('malformed', name), { cwd: dir }));
      expect(r.code, name).toBe(0);
      expect(r.stdout, name).not.toMatch(/deny/);
      expect(r.stderr, name).not.toMatch(/\n\s+at /);
      if (r.stdout) expect(() => JSON.parse(r.stdout), name).not.toThrow();
    }
  });

  it('answers from the local view when the remote is slow: within the hook timeout, still refusing', () => {
    const hub = bareRepo('slow', '-b', 'main');
    const root = path.dirname(hub);
    const dir = path.join(root, 'clone');
    gitSync(root, 'clone', '-q', `file://${hub}`, dir);
    write(dir, { '.git-coord.yml': 'remote: origin\nrefresh: always\nhooks:\n  refresh: always\n', 'src/a.ts': 'a\n' });
    expect(coord(dir, ['lock', 'src/', '--reason', 'via the remote'], B).code).toBe(0);
    // Now the remote hangs: any fetch or push would wait for it.
    gitSync(dir, 'remote', 'set-url', 'origin', 'ssh://example.invalid/repo.git');
    gitSync(dir, 'config', 'core.sshCommand', 'sleep 60;');
    const edit = hook(dir, fixture('pre-tool-use-edit.json', { cwd: dir }), A, 10_000);
    expect(edit.signal).toBeNull();
    expect(decision(edit.stdout).permissionDecisionReason).toContain('via the remote');
    const start = hook(dir, fixture('session-start.json', { cwd: dir }), A, 10_000);
    expect(start.signal).toBeNull();
    expect(context(start.stdout)).toMatch(/you are alice[^]*1 agent holds 1 lock/);
    expect(start.stderr).toMatch(/using the local view/);
  });
});

describe('hook claude: SessionStart and UserPromptSubmit', () => {
  it('SessionStart adds the briefing; a quiet prompt adds nothing; a lock broken or expired is told once', async () => {
    const dir = repo();
    coord(dir, ['lock', 'src/a.ts', '--reason', 'mine'], A);
    coord(dir, ['lock', 'docs/', '--reason', 'docs pass'], B);
    // A short lease, taken last so that the session starts while it is still held.
    const short = json(coord(dir, ['lock', 'src/short.ts', '--ttl', '10s', '--json'], A)).locks[0];
    const start = hook(dir, fixture('session-start.json', { cwd: dir }));
    expect(start.code).toBe(0);
    const brief = context(start.stdout);
    expect(JSON.parse(start.stdout).hookSpecificOutput.hookEventName).toBe('SessionStart');
    expect(brief.length).toBeLessThanOrEqual(BRIEFING_LIMIT);
    expect(brief).toContain('you are alice');
    expect(brief).toContain('src/a.ts');
    expect(brief).toContain('src/short.ts');
    expect(brief).toMatch(/1 agent holds 1 lock/);
    expect(fs.existsSync(path.join(dir, SESSION_DIR, 'seen.json'))).toBe(true);

    expect(hook(dir, fixture('user-prompt-submit.json', { cwd: dir }))).toMatchObject({ code: 0, stdout: '' });

    coord(dir, ['unlock', '--force', '--reason', 'alice left it', 'src/a.ts'], B);
    coord(dir, ['lock', 'src/new.ts'], A);
    await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(short.expiresAt) - Date.now() + 200)));
    const changed = hook(dir, fixture('user-prompt-submit.json', { cwd: dir }));
    const text = context(changed.stdout);
    expect(JSON.parse(changed.stdout).hookSpecificOutput.hookEventName).toBe('UserPromptSubmit');
    expect(text).toMatch(/src\/a\.ts was broken by bob \("alice left it"\)/);
    expect(text).toMatch(/src\/short\.ts expired/);
    expect(text).not.toContain('src/new.ts');
    // Told once: the next prompt is quiet again.
    expect(hook(dir, fixture('user-prompt-submit.json', { cwd: dir }))).toMatchObject({ code: 0, stdout: '' });
    // Releasing its own lock is no news.
    coord(dir, ['unlock', 'src/new.ts'], A);
    expect(hook(dir, fixture('user-prompt-submit.json', { cwd: dir }))).toMatchObject({ code: 0, stdout: '' });
  });

  it('a new message is told on the next prompt once, most urgent first, then nothing; acknowledging it is no news', () => {
    const dir = repo();
    coord(dir, ['send', 'alice', 'before the session'], B);
    const start = context(hook(dir, fixture('session-start.json', { cwd: dir })).stdout);
    expect(start).toMatch(/Unread messages \(1, most urgent first\): m-\S+ P2 from bob: "before the session"/);
    expect(hook(dir, fixture('user-prompt-submit.json', { cwd: dir }))).toMatchObject({ code: 0, stdout: '' });
    const low = coord(dir, ['send', 'alice', 'when you can', '--priority', '3'], B).stdout.trim();
    const urgent = coord(dir, ['send', '@all', 'stop pushing\n\x1b[2Jforged', '--subject', 'main is red', '--priority', '0'], { GIT_COORD_AGENT: 'carol' }).stdout.trim();
    const told = context(hook(dir, fixture('user-prompt-submit.json', { cwd: dir })).stdout);
    expect(told).toBe(
      `New messages (2, most urgent first): ${urgent} P0 from carol (main is red): "stop pushing\\n\\x1b[2Jforged"; ${low} P3 from bob: "when you can". Read them: ${CMD} inbox`,
    );
    expect(hook(dir, fixture('user-prompt-submit.json', { cwd: dir }))).toMatchObject({ code: 0, stdout: '' });
    coord(dir, ['ack', '--all'], A);
    expect(hook(dir, fixture('user-prompt-submit.json', { cwd: dir }))).toMatchObject({ code: 0, stdout: '' });
  });

  it('the claimed task and the ready tasks in the briefing; a claim that expired, was taken over or ended by another agent is told once', async () => {
    const dir = repo();
    const lead = { GIT_COORD_AGENT: 'lead' };
    for (const [id, p] of [['t1', '1'], ['t2', '2'], ['t3', '0']]) expect(coord(dir, ['task', 'add', `work on ${id}`, '--id', id, '--priority', p], lead).code).toBe(0);
    const prompt = () => hook(dir, fixture('user-prompt-submit.json', { cwd: dir }));
    const until = async (iso: string) => new Promise((r) => setTimeout(r, Math.max(0, Date.parse(iso) - Date.now() + 200)));

    const before = coord(dir, ['prime'], A).stdout;
    expect(before).toContain('You have no task claimed.');
    expect(before).toContain('Ready tasks (3, most urgent first): t3 P0 "work on t3"; t1 P1 "work on t1"; t2 P2 "work on t2".');
    expect(before).toMatch(/Next: git-coord claim --next \|/);
    expect(json(coord(dir, ['prime', '--json'], A))).toMatchObject({ task: null, ready: [{ id: 't3' }, { id: 't1' }, { id: 't2' }], readyCount: 3 });

    // A lease long enough that a loaded machine's briefing and prompt come before it ends.
    let claim = json(coord(dir, ['claim', 't1', '--ttl', '15s', '--json'], A));
    const brief = context(hook(dir, fixture('session-start.json', { cwd: dir })).stdout);
    expect(brief).toContain(`Your task: t1 P1 "work on t1", claimed until ${claim.claimExpiresAt.slice(0, 16)}Z.`);
    expect(brief).toContain(`Next: ${CMD} task done t1 --note`);
    expect(brief).not.toContain('Ready tasks');
    expect(prompt()).toMatchObject({ code: 0, stdout: '' });

    // Expired, nobody took it.
    await until(claim.claimExpiresAt);
    expect(context(prompt().stdout)).toBe(`Your claim on task t1 expired at ${claim.claimExpiresAt.slice(0, 16)}Z: others may take it. To keep it: ${CMD} claim t1`);
    expect(prompt().stdout).toBe('');

    // Expired, and another agent took it over.
    claim = json(coord(dir, ['claim', 't1', '--ttl', '10s', '--json'], A));
    expect(prompt().stdout).toBe('');
    await until(claim.claimExpiresAt);
    expect(coord(dir, ['claim', 't1'], B).code).toBe(0);
    expect(context(prompt().stdout)).toMatch(/^Your claim on task t1 expired and bob claims it now\. Stop working on it/);
    expect(prompt().stdout).toBe('');

    // Ended by another agent, with force and a reason.
    expect(coord(dir, ['claim', 't2'], A).code).toBe(0);
    expect(prompt().stdout).toBe('');
    expect(coord(dir, ['task', 'release', 't2', '--force', '--reason', 'reassigning'], B).code).toBe(0);
    expect(context(prompt().stdout)).toMatch(/^Your task t2 was ended by bob \(release: "reassigning"\)/);

    // Its own done is no news.
    expect(coord(dir, ['claim', 't3'], A).code).toBe(0);
    expect(prompt().stdout).toBe('');
    expect(coord(dir, ['task', 'done', 't3'], A).code).toBe(0);
    expect(prompt().stdout).toBe('');
  });

  it('a prompt in a worktree never briefed gets the briefing; worktrees keep their own state', () => {
    const dir = repo();
    const wt = `${dir}-wt`;
    track(wt);
    gitSync(dir, 'worktree', 'add', '-q', wt);
    coord(wt, ['whoami', '--set', 'carol']);
    const first = hook(wt, fixture('user-prompt-submit.json', { cwd: wt }), {});
    expect(context(first.stdout)).toContain('you are carol');
    expect(hook(wt, fixture('user-prompt-submit.json', { cwd: wt }), {}).stdout).toBe('');
    expect(context(hook(dir, fixture('user-prompt-submit.json', { cwd: dir }), {}).stdout)).toMatch(/no agent id/);
  });
});

describe('prime', () => {
  it('a briefing of at most 1,500 characters, whatever is held; --json for tools', () => {
    const dir = repo();
    const many = Array.from({ length: 60 }, (_, i) => `deep/${'x'.repeat(40)}/${i}.ts`);
    expect(coord(dir, ['lock', ...many, '--reason', 'r'.repeat(300)], A).code).toBe(0);
    coord(dir, ['lock', 'other/'], B);
    const r = coord(dir, ['prime'], A);
    expect(r.code).toBe(0);
    expect(r.stdout.trimEnd().length).toBeLessThanOrEqual(BRIEFING_LIMIT);
    expect(r.stdout).toContain('You hold 60 locks');
    expect(r.stdout).toMatch(/\+\d+ more/);
    expect(r.stdout).toMatch(/Next: .*\|.*\|/);
    const j = json(coord(dir, ['prime', '--json'], A));
    expect(j.agent).toBe('alice');
    expect(j.locks).toHaveLength(60);
    expect(j.others).toEqual({ agents: 1, locks: 1 });
    expect(j.next).toHaveLength(3);
  });

  it('shows the unread messages, most urgent first, their bodies printable and cut; within 1,500 characters however many', () => {
    const dir = repo();
    const first = coord(dir, ['send', 'alice', `fix the build\n\x1b[1m${'x'.repeat(500)}`, '--subject', 'ci'], B).stdout.trim();
    const urgent = coord(dir, ['send', 'alice,bob', 'now please', '--priority', '0'], B).stdout.trim();
    const r = coord(dir, ['prime'], A);
    expect(r.code).toBe(0);
    const line = r.stdout.split('\n').find((l) => l.startsWith('Unread messages'));
    expect(line).toBe(`Unread messages (2, most urgent first): ${urgent} P0 from bob: "now please"; ${first} P2 from bob (ci): "fix the build\\n\\x1b[1m${'x'.repeat(57)}…".`);
    expect(r.stdout).toMatch(/\nNext: git-coord inbox \| /);
    const j = json(coord(dir, ['prime', '--json'], A));
    expect(j.unread.map((m: { id: string }) => m.id)).toEqual([urgent, first]);
    expect(j.unread[1]).toMatchObject({ from: 'bob', subject: 'ci', priority: 2, body: `fix the build\n\x1b[1m${'x'.repeat(181)}…` });
    // Acknowledged: gone from the briefing.
    coord(dir, ['ack', first], A);
    expect(json(coord(dir, ['prime', '--json'], A)).unread.map((m: { id: string }) => m.id)).toEqual([urgent]);
    for (let i = 0; i < 8; i++) coord(dir, ['send', 'alice', `message ${i} ${'y'.repeat(300)}`, '--subject', 's'.repeat(100)], B);
    const many = coord(dir, ['prime'], A).stdout.trimEnd();
    expect(many.length).toBeLessThanOrEqual(BRIEFING_LIMIT);
    expect(many).toMatch(/Unread messages \(9, most urgent first\): .*\+\d+ more\./);
  });

  it('with a remote, the session hook and prime refresh the locks and the inbox as the config says: messages from another clone show', () => {
    const { root, url } = makeHub('remote: origin\nrefresh: always\n');
    const mine = clone(root, url, 'alice');
    const other = clone(root, url, 'bob');
    expect(coord(other, ['send', 'alice', 'from the other clone'], {}).code).toBe(0);
    expect(coord(other, ['lock', 'docs/'], {}).code).toBe(0);
    // The session hook refreshes a view older than hooks.refresh (never synced here).
    expect(context(hook(mine, fixture('session-start.json', { cwd: mine }), {}).stdout)).toMatch(/from bob: "from the other clone"[^]*1 agent holds 1 lock/);
    expect(coord(other, ['send', 'alice', 'and another'], {}).code).toBe(0);
    const j = json(coord(mine, ['prime', '--json'], {}));
    expect(j.unread).toMatchObject([{ from: 'bob', body: 'from the other clone' }, { from: 'bob', body: 'and another' }]);
    expect(j.others).toEqual({ agents: 1, locks: 1 });
  });

  it('with no identity it says how to set one, and writes nothing', () => {
    const dir = repo();
    const r = coord(dir, ['prime']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/whoami --set/);
    expect(refs(dir)).toEqual([]);
  });
});

describe('templates/AGENTS.md', () => {
  it('the instructions an agent needs in at most 2,000 characters: identity, tasks, locks, messages', () => {
    const text = fs.readFileSync(path.join(ROOT, 'templates', 'AGENTS.md'), 'utf8');
    expect(text.length).toBeLessThanOrEqual(2000);
    for (const cmd of ['whoami --set', 'prime', 'claim --next', 'task done', 'lock <path>', 'lock --wait', 'unlock --all', 'inbox', 'inbox --wait', 'ack <id>', 'send <to>', 'reply <id>', 'unlock --force --reason']) {
      expect(text, cmd).toContain(`git-coord ${cmd}`);
    }
  });
});

describe('briefing rules (pure)', () => {
  const lock = (i: number) => ({ pattern: `src/${'p'.repeat(80)}${i}.ts`, kind: 'file' as const, agent: 'a', reason: 'r'.repeat(200), acquiredAt: '2026-01-01T00:00:00.000Z', expiresAt: '2026-01-01T01:00:00.000Z', token: i });
  const full = (): Briefing => {
    const b = {
      agent: 'a',
      locks: Array.from({ length: 50 }, (_, i) => lock(i)),
      others: { agents: 3, locks: 9 },
      task: { id: 't-1', title: 'T'.repeat(300), priority: 1, claimExpiresAt: '2026-01-01T02:00:00.000Z' },
      unread: Array.from({ length: 40 }, (_, i) => ({ id: `m-${i}`, from: 'b', subject: 'S'.repeat(200), body: 'B'.repeat(200), priority: i % 5, sentAt: '2026-01-01T00:00:00.000Z' })),
      ready: Array.from({ length: 40 }, (_, i) => ({ id: `t-${i + 2}`, title: 'R'.repeat(200), priority: 2 })),
    };
    return { ...b, next: nextCommands(b) };
  };

  it('stays within the limit with tasks and messages at their longest, and keeps every section', () => {
    const text = briefingText(full());
    expect(text.length).toBeLessThanOrEqual(BRIEFING_LIMIT);
    expect(text).toMatch(/You hold 50 locks/);
    expect(text).toMatch(/Your task: t-1/);
    expect(text).toMatch(/Unread messages \(40/);
    expect(text).toMatch(/Next: git-coord inbox \| git-coord task done t-1/);
    // Without a claim, the ready tasks: the count is of all of them, however few are named.
    const free = briefingText({ ...full(), task: null, ready: full().ready!.slice(0, 5), readyCount: 40 });
    expect(free.length).toBeLessThanOrEqual(BRIEFING_LIMIT);
    expect(free).toMatch(/Ready tasks \(40, most urgent first\): t-2 P2 .*; \+\d+ more\./);
  });

  it('tells new messages and an ended claim once, and nothing when nothing changed', () => {
    const b = full();
    const seen = { agent: 'a', locks: b.locks.map((l) => ({ pattern: l.pattern, token: l.token, expiresAt: l.expiresAt })), task: { id: 't-1' }, messages: b.unread!.slice(1).map((m) => m.id) };
    const changes = changesSince(seen, b, new Map());
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatch(/^New messages \(1, most urgent first\): m-0 /);
    expect(changesSince({ ...seen, messages: b.unread!.map((m) => m.id) }, b, new Map())).toEqual([]);
    expect(changesSince(seen, { ...b, task: null }, new Map()).join('\n')).toMatch(/claim on task t-1 has ended/);
    // Another identity: nothing to compare.
    expect(changesSince({ ...seen, agent: 'z' }, { ...b, task: null }, new Map())).toEqual([]);
  });
});

describe('hook claude: shell commands, news within the turn, resume, compaction, subagents', () => {
  /** A recorded event with its cwd (and repository paths in it) set to `dir`, fields changed. */
  const recorded = (name: string, dir: string, patch: Record<string, unknown> = {}) =>
    JSON.stringify({ ...JSON.parse(fixture(name, { cwd: dir })), ...patch });

  it('Bash: an evident write to a held file is denied before it runs; PostToolUse reports a held file the command changed (Claude Code names it), once', () => {
    const dir = repo();
    coord(dir, ['lock', 'src/', '--reason', 'auth rewrite'], B);
    const pre = hook(dir, fixture('pre-tool-use-bash.json', { cwd: dir }));
    expect(decision(pre.stdout).permissionDecisionReason).toMatch(/this command writes files another agent holds, so it is refused \(it did not run\):\n {2}src\/a\.ts: locked by bob/);
    const post = recorded('post-tool-use-bash.json', dir, { tool_response: { stdout: '', bashEditDiff: { changedFiles: [path.join(dir, 'src/b.ts'), path.join(dir, 'README.md')], moreFiles: 0 } } });
    fs.writeFileSync(path.join(dir, 'src/b.ts'), 'changed by python\n');
    const told = hook(dir, post);
    expect(JSON.parse(told.stdout).hookSpecificOutput.hookEventName).toBe('PostToolUse');
    expect(context(told.stdout)).toMatch(/your command changed a file that another agent holds:\n {2}src\/b\.ts: locked by bob as src\/ \("auth rewrite"\).*Undo it: git restore -- src\/b\.ts/);
    expect(context(told.stdout)).not.toContain('README');
  });

  it('PostToolUse tells a message sent mid-turn once; nothing when nothing changed', () => {
    const dir = repo();
    const post = fixture('post-tool-use-edit.json', { cwd: dir });
    expect(hook(dir, fixture('session-start.json', { cwd: dir })).code).toBe(0);
    expect(hook(dir, post)).toMatchObject({ code: 0, stdout: '' });
    const id = coord(dir, ['send', 'alice', 'stop: main is red'], B).stdout.trim();
    expect(context(hook(dir, post).stdout)).toMatch(new RegExp(`^New messages \\(1, most urgent first\\): ${id} P2 from bob: "stop: main is red"`));
    expect(hook(dir, post)).toMatchObject({ code: 0, stdout: '' });
    // Told at PostToolUse, so not told again at the next prompt.
    expect(hook(dir, fixture('user-prompt-submit.json', { cwd: dir }))).toMatchObject({ code: 0, stdout: '' });
  });

  it('resume: news only, nothing when nothing changed; compaction and clear: the whole briefing again; SubagentStart briefs the subagent', () => {
    const dir = repo();
    const session = JSON.parse(fixture('session-start.json', { cwd: dir })).session_id;
    expect(context(hook(dir, fixture('session-start.json', { cwd: dir })).stdout)).toMatch(/^git-coord: you are alice\./);
    const as = (name: string) => recorded(name, dir, { session_id: session });
    expect(hook(dir, as('session-start-resume.json'))).toMatchObject({ code: 0, stdout: '' });
    coord(dir, ['lock', 'src/a.ts'], B);
    coord(dir, ['send', 'alice', 'hello again'], B);
    const news = context(hook(dir, as('session-start-resume.json')).stdout);
    expect(news).toMatch(/^New messages \(1/);
    expect(news).not.toContain('you are alice');
    for (const name of ['session-start-compact.json', 'session-start-clear.json']) {
      const full = hook(dir, as(name));
      expect(JSON.parse(full.stdout).hookSpecificOutput.hookEventName, name).toBe('SessionStart');
      expect(context(full.stdout), name).toMatch(/^git-coord: you are alice\.[^]*Unread messages \(1/);
    }
    const sub = hook(dir, as('subagent-start.json'));
    expect(JSON.parse(sub.stdout).hookSpecificOutput.hookEventName).toBe('SubagentStart');
    expect(context(sub.stdout)).toMatch(/^git-coord: you are alice\.[^]*1 agent holds 1 lock/);
  });

  it('--scope user (setup claude --user) guards a session started in a subdirectory, and stays quiet where the project hooks run', () => {
    const dir = repo();
    const home = tmpdir('home');
    const setup = coord(dir, ['setup', 'claude', '--user'], { HOME: home });
    expect(setup.code, setup.stderr).toBe(0);
    const user = JSON.parse(fs.readFileSync(path.join(home, '.claude', 'settings.json'), 'utf8'));
    const command = user.hooks.PreToolUse[0].hooks[0].command as string;
    expect(command).toMatch(/ hook claude --scope user$/);
    expect(user.hooks.PreToolUse[0].matcher).toBe('Write|Edit|MultiEdit|NotebookEdit|Bash');
    expect(JSON.parse(coord(dir, ['setup', 'claude', '--user', '--json'], { HOME: home }).stdout).files.map((f: { changed: boolean }) => f.changed)).toEqual([false, false, false]);
    coord(dir, ['lock', 'src/'], B);
    const edit = fixture('pre-tool-use-edit.json', { cwd: path.join(dir, 'src') });
    const run = (project: string) => spawnSync('sh', ['-c', command], { cwd: path.join(dir, 'src'), env: { ...ENV, ...A, CLAUDE_PROJECT_DIR: project }, input: edit, encoding: 'utf8' });
    expect(decision(run(path.join(dir, 'src')).stdout).permissionDecision).toBe('deny');
    expect(run(dir)).toMatchObject({ status: 0, stdout: '' });
    // A repository not set up for git-coord: the user-level hook says nothing.
    const plain = makeRepo({ 'x.ts': 'x\n' });
    coord(plain, ['lock', 'x.ts'], B);
    const other = spawnSync('sh', ['-c', command], { cwd: plain, env: { ...ENV, ...A, CLAUDE_PROJECT_DIR: plain }, input: fixture('pre-tool-use-edit.json', { cwd: plain, file: path.join(plain, 'x.ts') }), encoding: 'utf8' });
    expect(other).toMatchObject({ status: 0, stdout: '' });
  });
});

describe('setup claude', () => {

  it('a settings file that is a link out of the work tree or a FIFO: exit 2, no file written (one rule with setup codex)', () => {
    for (const bad of ['link-out', 'fifo'] as const) {
      const dir = repo();
      const outside = tmpdir('outside');
      fs.mkdirSync(path.join(dir, '.claude'));
      const target = path.join(dir, '.claude', 'settings.json');
      if (bad === 'link-out') {
        fs.writeFileSync(path.join(outside, 's.json'), '{}');
        fs.symlinkSync(path.join(outside, 's.json'), target);
      } else expect(spawnSync('mkfifo', [target]).status).toBe(0);
      const r = coord(dir, ['setup', 'claude']);
      expect(r.code, bad).toBe(2);
      expect(fs.existsSync(path.join(dir, '.mcp.json')), bad).toBe(false);
      if (bad === 'link-out') expect(fs.readFileSync(path.join(outside, 's.json'), 'utf8')).toBe('{}');
    }
  });
  const settingsOf = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, '.claude', 'settings.json'), 'utf8'));
  const mcpOf = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, '.mcp.json'), 'utf8'));

  it('merges into existing files keeping every key and hook; twice changes nothing; the hook it writes works', () => {
    const dir = repo();
    const userHook = { matcher: 'Bash', hooks: [{ type: 'command', command: 'echo user-hook' }] };
    write(dir, {
      '.claude/settings.json': JSON.stringify({ permissions: { allow: ['Bash(npm test)'] }, hooks: { PreToolUse: [userHook], Stop: [{ hooks: [{ type: 'command', command: 'echo stop' }] }] } }),
      '.mcp.json': JSON.stringify({ mcpServers: { other: { command: 'other-server' }, 'git-coord': { command: 'old', env: { GIT_COORD_AGENT: 'kept' } } } }),
    });
    const r = coord(dir, ['setup', 'claude']);
    expect(r.code).toBe(0);
    const s = settingsOf(dir);
    // The read-only tools are allowed (kept beside the user's rules), and the project's server approved.
    expect(s.permissions).toEqual({ allow: ['Bash(npm test)', 'mcp__git-coord__check', 'mcp__git-coord__status', 'mcp__git-coord__inbox', 'mcp__git-coord__tasks'] });
    expect(s.enabledMcpjsonServers).toEqual(['git-coord']);
    expect(s.hooks.Stop).toHaveLength(1);
    expect(s.hooks.PreToolUse[0]).toEqual(userHook);
    // The file tools: the edit hook's shell script, rendered into the common git dir; Bash and every other event: Node.
    const fast = s.hooks.PreToolUse[1];
    const script = path.join(fs.realpathSync(dir), '.git', 'git-coord', 'agent-pre-tool-use');
    expect(fast).toEqual({ matcher: 'Write|Edit|MultiEdit|NotebookEdit', hooks: [{ type: 'command', command: `sh '${script}' claude`, timeout: 10 }] });
    expect(fs.statSync(script).mode & 0o777).toBe(0o755);
    expect(fs.readFileSync(script, 'utf8')).toContain(`cli='${CLI}'`);
    const ours = s.hooks.PreToolUse[2];
    expect(s.hooks.PreToolUse).toHaveLength(3);
    expect(ours.matcher).toBe('Bash');
    expect(s.hooks.PostToolUse[0].hooks[0].command).toBe(ours.hooks[0].command);
    expect(s.hooks.SubagentStart[0].hooks[0].command).toBe(ours.hooks[0].command);
    expect(ours.hooks[0]).toMatchObject({ type: 'command', timeout: 10 });
    expect(ours.hooks[0].command).toBe(`'${process.execPath}' '${CLI}' hook claude`);
    expect(s.hooks.SessionStart[0].hooks[0].command).toBe(ours.hooks[0].command);
    expect(s.hooks.UserPromptSubmit[0].hooks[0].command).toBe(ours.hooks[0].command);
    const m = mcpOf(dir);
    expect(m.mcpServers.other).toEqual({ command: 'other-server' });
    expect(m.mcpServers['git-coord']).toEqual({ command: process.execPath, args: [CLI, 'mcp'], env: { GIT_COORD_AGENT: 'kept' } });

    const before = ['.claude/settings.json', '.mcp.json'].map((f) => fs.readFileSync(path.join(dir, f), 'utf8'));
    const again = coord(dir, ['setup', 'claude', '--json']);
    expect(json(again).files.map((f: { changed: boolean }) => f.changed)).toEqual([false, false]);
    expect(['.claude/settings.json', '.mcp.json'].map((f) => fs.readFileSync(path.join(dir, f), 'utf8'))).toEqual(before);

    // --local: the same allow rules in the uncommitted settings.local.json, honoured before the workspace is trusted.
    write(dir, { '.claude/settings.local.json': JSON.stringify({ permissions: { deny: ['Bash(rm:*)'] } }) });
    expect(coord(dir, ['setup', 'claude', '--local']).code).toBe(0);
    expect(JSON.parse(fs.readFileSync(path.join(dir, '.claude/settings.local.json'), 'utf8'))).toEqual({
      permissions: { deny: ['Bash(rm:*)'], allow: ['mcp__git-coord__check', 'mcp__git-coord__status', 'mcp__git-coord__inbox', 'mcp__git-coord__tasks'] },
    });
    expect(['.claude/settings.json', '.mcp.json'].map((f) => fs.readFileSync(path.join(dir, f), 'utf8'))).toEqual(before);

    // The registered command, run as Claude Code runs it (through a shell): a free Edit is answered
    // by the script alone (nothing said, Node never started); a held one is handed over and denied.
    const edit = (): ReturnType<typeof spawnSync> =>
      spawnSync('sh', ['-c', fast.hooks[0].command], { cwd: dir, env: { ...ENV, ...A, GIT_COORD_TRACE: '1' }, input: fixture('pre-tool-use-edit.json', { cwd: dir }), encoding: 'utf8' });
    const free = edit();
    expect(free.status).toBe(0);
    expect(free.stdout).toBe('');
    expect(String(free.stderr)).toContain('agent-pre-tool-use: no lock near the paths');
    expect(String(free.stderr)).not.toContain('checking in git-coord');
    coord(dir, ['lock', 'src/'], B);
    const held = edit();
    expect(String(held.stderr)).toContain('checking in git-coord');
    expect(decision(String(held.stdout)).permissionDecision).toBe('deny');
    // An install from before the script (one PreToolUse group, Node for every tool, a user's id
    // before it) is brought up to date in place: no duplicate, the id kept on both commands.
    const old = settingsOf(dir);
    old.hooks.PreToolUse.splice(1, 2, { matcher: 'Write|Edit|MultiEdit|NotebookEdit|Bash', hooks: [{ type: 'command', command: `GIT_COORD_AGENT=me '/old/node' '/old/dist/cli.js' hook claude`, timeout: 10 }] });
    fs.writeFileSync(path.join(dir, '.claude/settings.json'), JSON.stringify(old, null, 2));
    fs.writeFileSync(script, 'old');
    expect(coord(dir, ['setup', 'claude']).code).toBe(0);
    const up = settingsOf(dir).hooks.PreToolUse;
    expect(up).toHaveLength(3);
    expect(up[1]).toEqual({ ...fast, hooks: [{ ...fast.hooks[0], command: `GIT_COORD_AGENT=me ${fast.hooks[0].command}` }] });
    expect(up[2]).toEqual({ matcher: 'Bash', hooks: [{ ...ours.hooks[0], command: `GIT_COORD_AGENT=me ${ours.hooks[0].command}` }] });
    expect(fs.readFileSync(script, 'utf8')).toContain(`cli='${CLI}'`);
  });

  it('--dry-run prints the change and writes nothing; a file that is not JSON is exit 2, nothing written', () => {
    const dir = repo();
    const dry = coord(dir, ['setup', 'claude', '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/would write \.mcp\.json:\n\{/);
    expect(dry.stdout).toMatch(/would write \.claude\/settings\.json:/);
    expect(fs.existsSync(path.join(dir, '.mcp.json'))).toBe(false);
    expect(fs.existsSync(path.join(dir, '.claude'))).toBe(false);
    expect(fs.existsSync(path.join(dir, '.git', 'git-coord', 'agent-pre-tool-use'))).toBe(false);

    write(dir, { '.claude/settings.json': '{ "hooks": ' });
    const bad = coord(dir, ['setup', 'claude']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/\.claude\/settings\.json is not valid JSON/);
    expect(fs.existsSync(path.join(dir, '.mcp.json'))).toBe(false);
    expect(fs.readFileSync(path.join(dir, '.claude', 'settings.json'), 'utf8')).toBe('{ "hooks": ');
  });
});
