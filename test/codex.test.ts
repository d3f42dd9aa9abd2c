/**
 * Codex: `hook codex` with the event payloads the real Codex CLI sent (test/fixtures/codex/, taken
 * from the real-client harness's hooks.jsonl), shell writes before and after, and `setup codex`.
 * Real repositories, real processes.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, ENV, ROOT, coord, makeRepo, tmpdir, write } from './helpers.js';

const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'codex');
const ME = { GIT_COORD_AGENT: 'me' };
const OTHER = { GIT_COORD_AGENT: 'other' };
const HELD = 'export const held = 1;\n';

function repo(): string {
  const dir = makeRepo({ 'src/held.ts': HELD, 'src/free.ts': 'export const free = 1;\n', 'README.md': '# r\n' });
  expect(coord(dir, ['lock', 'src/held.ts', '--reason', 'refactoring held', '--ttl', '2h'], OTHER).code).toBe(0);
  return dir;
}

/** A recorded event, its cwd set to `cwd`, with fields changed. */
function event(name: string, cwd: string, patch: Record<string, unknown> = {}): string {
  const text = fs.readFileSync(path.join(FIXTURES, `${name}.json`), 'utf8').replaceAll('{{CWD}}', JSON.stringify(cwd).slice(1, -1));
  return JSON.stringify({ ...JSON.parse(text), ...patch });
}

function hook(cwd: string, input: string, env: NodeJS.ProcessEnv = ME) {
  const r = spawnSync(process.execPath, [CLI, 'hook', 'codex'], { cwd, env: { ...ENV, ...env }, input, encoding: 'utf8', timeout: 20_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function denial(stdout: string): string {
  const out = JSON.parse(stdout).hookSpecificOutput;
  expect(out).toMatchObject({ hookEventName: 'PreToolUse', permissionDecision: 'deny' });
  return out.permissionDecisionReason as string;
}

function context(stdout: string): string {
  return JSON.parse(stdout).hookSpecificOutput.additionalContext as string;
}

const bash = (dir: string, command: string, id = 'call_sh1') => event('pre-tool-use-bash-patch', dir, { tool_input: { command }, tool_use_id: id });

describe('hook codex: PreToolUse', () => {
  it('denies an apply_patch (and a shell-run patch) of a held file, naming holder, reason, expiry and next steps; a free patch gets no decision', () => {
    const dir = repo();
    for (const name of ['pre-tool-use-apply-patch', 'pre-tool-use-bash-patch']) {
      const r = hook(dir, event(name, dir));
      expect(r.code, name).toBe(0);
      const reason = denial(r.stdout);
      expect(reason).toMatch(/src\/held\.ts: locked by other as src\/held\.ts \("refactoring held"\), until 20\d\d-/);
      expect(reason).toMatch(/Next: .* lock --wait 90s src\/held\.ts/);
      expect(reason).toContain(`'${CLI}'`);
    }
    const free = '*** Begin Patch\n*** Update File: src/free.ts\n@@\n-a\n+b\n*** End Patch\n';
    expect(hook(dir, event('pre-tool-use-apply-patch', dir, { tool_input: { command: free } }))).toMatchObject({ code: 0, stdout: '' });
    // A move onto the held path, an absolute path, a second file in the same patch: each counts.
    for (const p of [
      '*** Begin Patch\n*** Update File: src/free.ts\n*** Move to: src/held.ts\n@@\n-a\n+b\n*** End Patch\n',
      `*** Begin Patch\n*** Add File: ${path.join(dir, 'src/held.ts')}\n+x\n*** End Patch\n`,
      '*** Begin Patch\n*** Add File: docs/new.md\n+x\n*** Delete File: src/held.ts\n*** End Patch\n',
    ]) {
      expect(denial(hook(dir, event('pre-tool-use-apply-patch', dir, { tool_input: { command: p } })).stdout)).toContain('src/held.ts');
    }
    // Its own lock: no decision.
    expect(hook(dir, event('pre-tool-use-apply-patch', dir), OTHER)).toMatchObject({ code: 0, stdout: '' });
  });

  it('denies shell commands whose evident targets are held (a directory counts what it holds); reads and other writes get no decision', () => {
    const dir = repo();
    for (const cmd of ['echo x > src/held.ts', "sed -i 's/1/2/' src/held.ts", 'rm -rf src', 'cd src && truncate -s0 held.ts', 'git checkout -- src/held.ts', 'cp README.md src/']) {
      expect(denial(hook(dir, bash(dir, cmd)).stdout), cmd).toMatch(/this command writes files another agent holds, so it is refused \(it did not run\)/);
    }
    for (const cmd of ['cat src/held.ts', 'echo x > src/free.ts', 'ls -la src', 'npm test']) {
      expect(hook(dir, bash(dir, cmd)), cmd).toMatchObject({ code: 0, stdout: '' });
    }
    // An argv command (an older Codex): the script after -lc is read.
    expect(denial(hook(dir, event('pre-tool-use-bash-patch', dir, { tool_input: { command: ['bash', '-lc', 'echo x >> src/held.ts'] } })).stdout)).toContain('src/held.ts');
  });

  it('always exits 0 with no decision on what it cannot read: malformed events, unknown events, no repository, a broken config', () => {
    const dir = repo();
    const outside = tmpdir('outside');
    for (const input of ['', 'not json', '[]', '"x"', '{"hook_event_name":"PreToolUse"', '{"hook_event_name":"Nope"}', event('stop', dir), JSON.stringify({ hook_event_name: 'PreToolUse', tool_name: 'apply_patch', tool_input: null, cwd: dir })]) {
      const r = hook(dir, input);
      expect(r.code, input).toBe(0);
      expect(r.stdout, input).toBe('');
      expect(r.stderr, input).not.toMatch(/\n\s+at /);
    }
    expect(hook(outside, event('user-prompt-submit', outside))).toMatchObject({ code: 0, stdout: '' });
    write(dir, { '.git-coord.yml': 'remote: [not a name\n' });
    for (const name of ['user-prompt-submit', 'session-start-startup', 'pre-tool-use-apply-patch']) expect(hook(dir, event(name, dir)).code, name).toBe(0);
  });
});

describe('hook codex: after a shell command', () => {
  it('reports every held path an interpreter changed, with holder and git restore, once; nothing when nothing held changed', () => {
    const dir = repo();
    const pre = bash(dir, `python3 -c "open('src/held.ts','w').write('x')"`, 'call_py1');
    expect(hook(dir, pre)).toMatchObject({ code: 0, stdout: '' });
    fs.writeFileSync(path.join(dir, 'src/held.ts'), 'x');
    const post = event('post-tool-use-bash', dir, { tool_input: JSON.parse(pre).tool_input, tool_use_id: 'call_py1', session_id: JSON.parse(pre).session_id });
    const r = hook(dir, post);
    expect(r.code).toBe(0);
    const text = context(r.stdout);
    expect(JSON.parse(r.stdout).hookSpecificOutput.hookEventName).toBe('PostToolUse');
    expect(text).toMatch(/your command changed a file that another agent holds:\n {2}src\/held\.ts: locked by other .*Undo it: git restore -- src\/held\.ts/);
    // The snapshot went with the report: the same call reported again says nothing new.
    expect(hook(dir, post).stdout).toBe('');
    fs.writeFileSync(path.join(dir, 'src/held.ts'), HELD);

    // A command that changed nothing held: nothing. A new file under a held directory: rm to undo.
    expect(coord(dir, ['lock', 'gen/', '--reason', 'generated'], OTHER).code).toBe(0);
    const quiet = bash(dir, 'make', 'call_mk1');
    hook(dir, quiet);
    fs.writeFileSync(path.join(dir, 'src/free.ts'), 'changed');
    expect(hook(dir, event('post-tool-use-bash', dir, { tool_use_id: 'call_mk1', session_id: JSON.parse(quiet).session_id })).stdout).toBe('');
    const gen = bash(dir, 'make gen', 'call_mk2');
    hook(dir, gen);
    write(dir, { 'gen/out.js': 'x' });
    const told = context(hook(dir, event('post-tool-use-bash', dir, { tool_use_id: 'call_mk2', session_id: JSON.parse(gen).session_id })).stdout);
    expect(told).toMatch(/gen\/out\.js: locked by other as gen\/.*Undo it: rm -- gen\/out\.js/);
    // Snapshots are removed once read (what remains is the session's seen-state).
    expect(fs.readdirSync(path.join(dir, '.git', 'git-coord', 'agent-hooks', JSON.parse(gen).session_id))).toEqual(['seen.json']);
  });
});

describe('hook codex: briefing and news', () => {
  it('SessionStart briefs; resume tells only what changed; a subagent is briefed at SubagentStart and gets news only at its prompt', () => {
    const dir = repo();
    const start = context(hook(dir, event('session-start-startup', dir)).stdout);
    expect(start).toMatch(/^git-coord: you are me\./);
    expect(start).toMatch(/1 agent holds 1 lock/);
    const session = JSON.parse(event('session-start-startup', dir)).session_id;
    const resume = (extra = {}) => hook(dir, event('session-start-resume', dir, { session_id: session, ...extra }));
    expect(resume()).toMatchObject({ code: 0, stdout: '' });
    const id = coord(dir, ['send', 'me', 'please look at the build'], OTHER).stdout.trim();
    const news = context(resume().stdout);
    expect(news).toMatch(new RegExp(`^New messages \\(1, most urgent first\\): ${id} P2 from other: "please look at the build"`));
    expect(news).not.toContain('you are me');
    expect(resume().stdout).toBe('');
    // A resume of a session never briefed here: the whole briefing.
    expect(context(resume({ session_id: 'another-session' }).stdout)).toMatch(/^git-coord: you are me\./);

    const sub = context(hook(dir, event('subagent-start', dir, { session_id: session })).stdout);
    expect(JSON.parse(hook(dir, event('subagent-start', dir)).stdout).hookSpecificOutput.hookEventName).toBe('SubagentStart');
    expect(sub).toMatch(/^git-coord: you are me\.[^]*Unread messages/);
    expect(hook(dir, event('user-prompt-submit-subagent', dir, { session_id: session }))).toMatchObject({ code: 0, stdout: '' });
    // The subagent and the main session are each told a new message once: what one was told is still news to the other.
    coord(dir, ['send', 'me', 'second note'], OTHER);
    expect(context(hook(dir, event('user-prompt-submit-subagent', dir, { session_id: session })).stdout)).toMatch(/^New messages \(1[^]*second note/);
    expect(hook(dir, event('user-prompt-submit-subagent', dir, { session_id: session })).stdout).toBe('');
    expect(context(hook(dir, event('user-prompt-submit', dir, { session_id: session })).stdout)).toMatch(/^New messages \(1[^]*second note/);
  });
});

describe('setup codex', () => {
  const cfgOf = (dir: string) => fs.readFileSync(path.join(dir, '.codex', 'config.toml'), 'utf8');
  const hooksOf = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, '.codex', 'hooks.json'), 'utf8'));

  it('writes the MCP server (required) and the hooks, keeping what is there; twice changes nothing; the hook it writes works', () => {
    const dir = repo();
    const userHook = { matcher: 'Bash', hooks: [{ type: 'command', command: 'echo mine', timeout: 5 }] };
    write(dir, { '.codex/config.toml': '# my settings\nmodel = "m"\n\n[mcp_servers.other]\ncommand = "x"\n', '.codex/hooks.json': JSON.stringify({ hooks: { PreToolUse: [userHook] } }) });
    const dry = coord(dir, ['setup', 'codex', '--dry-run', '--json']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(cfgOf(dir)).not.toContain('git-coord');
    expect(fs.existsSync(path.join(dir, '.git', 'git-coord', 'agent-pre-tool-use'))).toBe(false);
    const r = coord(dir, ['setup', 'codex']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/wrote \.codex\/config\.toml\nwrote \.codex\/hooks\.json/);
    expect(r.stdout).toMatch(/\/hooks/);
    const cfg = cfgOf(dir);
    expect(cfg).toMatch(/^# my settings\nmodel = "m"\n/);
    expect(cfg).toContain(`[mcp_servers.git-coord]\ncommand = ${JSON.stringify(process.execPath)}\nargs = [${JSON.stringify(CLI)}, "mcp"]\nrequired = true\nenv_vars = ["GIT_COORD_AGENT"]\n`);
    const h = hooksOf(dir);
    expect(h.hooks.PreToolUse[0]).toEqual(userHook);
    // apply_patch: the edit hook's shell script, rendered into the common git dir; Bash and every other event: Node.
    const script = path.join(fs.realpathSync(dir), '.git', 'git-coord', 'agent-pre-tool-use');
    const fast = h.hooks.PreToolUse[1];
    expect(fast).toEqual({ matcher: 'apply_patch', hooks: [{ type: 'command', command: `sh '${script}' codex`, timeout: 10 }] });
    expect(fs.statSync(script).mode & 0o777).toBe(0o755);
    expect(h.hooks.PreToolUse).toHaveLength(3);
    const ours = h.hooks.PreToolUse[2];
    expect(ours).toEqual({ matcher: 'Bash', hooks: [{ type: 'command', command: `'${process.execPath}' '${CLI}' hook codex`, timeout: 10 }] });
    expect(h.hooks.PostToolUse).toEqual([{ matcher: 'Bash', hooks: ours.hooks }]);
    for (const e of ['SessionStart', 'UserPromptSubmit', 'SubagentStart']) expect(h.hooks[e], e).toEqual([{ hooks: ours.hooks }]);

    const before = [cfgOf(dir), fs.readFileSync(path.join(dir, '.codex', 'hooks.json'), 'utf8')];
    const again = coord(dir, ['setup', 'codex', '--json']);
    expect(JSON.parse(again.stdout).files.map((f: { changed: boolean }) => f.changed)).toEqual([false, false]);
    expect([cfgOf(dir), fs.readFileSync(path.join(dir, '.codex', 'hooks.json'), 'utf8')]).toEqual(before);

    // The registered command, run through a shell as Codex runs it: a patch of a free file is answered
    // by the script alone (nothing said, Node never started); a held file is handed over and denied.
    const patch = (input: string) => spawnSync('sh', ['-c', fast.hooks[0].command], { cwd: dir, env: { ...ENV, ...ME, GIT_COORD_TRACE: '1' }, input, encoding: 'utf8' });
    const ev = JSON.parse(event('pre-tool-use-apply-patch', dir));
    ev.tool_input.command = ev.tool_input.command.replaceAll('src/held.ts', 'README.md'); // no lock near it (src/ holds one)
    expect(ev.tool_input.command).toContain('README.md');
    const free = patch(JSON.stringify(ev));
    expect(free).toMatchObject({ status: 0, stdout: '' });
    expect(free.stderr).toContain('agent-pre-tool-use: no lock near the paths');
    expect(free.stderr).not.toContain('checking in git-coord');
    const run = patch(event('pre-tool-use-apply-patch', dir));
    expect(run.stderr).toContain('checking in git-coord');
    expect(denial(run.stdout)).toContain('src/held.ts');

    // An install from before the script (Node for apply_patch|Bash, an id before it) is brought up to date in place.
    const old = hooksOf(dir);
    old.hooks.PreToolUse.splice(1, 2, { matcher: 'apply_patch|Bash', hooks: [{ type: 'command', command: `GIT_COORD_AGENT=me '/old/node' '/old/cli.js' hook codex`, timeout: 10 }] });
    fs.writeFileSync(path.join(dir, '.codex', 'hooks.json'), JSON.stringify(old));
    expect(coord(dir, ['setup', 'codex']).code).toBe(0);
    const up = hooksOf(dir).hooks.PreToolUse;
    expect(up).toEqual([userHook, { ...fast, hooks: [{ ...fast.hooks[0], command: `GIT_COORD_AGENT=me ${fast.hooks[0].command}` }] }, { matcher: 'Bash', hooks: [{ ...ours.hooks[0], command: `GIT_COORD_AGENT=me ${ours.hooks[0].command}` }] }]);
  });

  it('refuses a link out of the work tree, a dangling link, a FIFO and bad TOML: exit 2, nothing written', () => {
    for (const bad of ['link-out', 'dangling', 'fifo', 'toml'] as const) {
      const dir = repo();
      const outside = tmpdir('outside');
      fs.mkdirSync(path.join(dir, '.codex'));
      const target = path.join(dir, '.codex', bad === 'toml' ? 'config.toml' : 'hooks.json');
      if (bad === 'link-out') {
        fs.writeFileSync(path.join(outside, 'h.json'), '{}');
        fs.symlinkSync(path.join(outside, 'h.json'), target);
      } else if (bad === 'dangling') fs.symlinkSync(path.join(dir, 'nowhere.json'), target);
      else if (bad === 'fifo') expect(spawnSync('mkfifo', [target]).status).toBe(0);
      else fs.writeFileSync(target, 'model = [\n');
      const r = coord(dir, ['setup', 'codex']);
      expect(r.code, bad).toBe(2);
      expect(r.stderr, bad).not.toMatch(/\n\s+at /);
      expect(fs.readdirSync(path.join(dir, '.codex')).sort(), bad).toEqual([path.basename(target)]);
      if (bad === 'link-out') expect(fs.readFileSync(path.join(outside, 'h.json'), 'utf8')).toBe('{}');
    }
    // A link to a regular file inside the work tree is written through, the link kept.
    const dir = repo();
    write(dir, { 'conf/codex-hooks.json': '{}' });
    fs.mkdirSync(path.join(dir, '.codex'));
    fs.symlinkSync('../conf/codex-hooks.json', path.join(dir, '.codex', 'hooks.json'));
    expect(coord(dir, ['setup', 'codex']).code).toBe(0);
    expect(fs.lstatSync(path.join(dir, '.codex', 'hooks.json')).isSymbolicLink()).toBe(true);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'conf/codex-hooks.json'), 'utf8')).hooks.PreToolUse).toHaveLength(2);
  });

  it('--trust asks codex app-server for the hashes of its own hooks and writes them to CODEX_HOME, saying each; twice: already trusted', () => {
    const dir = repo();
    const home = tmpdir('codex-home');
    fs.writeFileSync(path.join(home, 'config.toml'), `# mine\n[projects.${JSON.stringify(dir)}]\ntrust_level = "trusted"\n`);
    write(dir, { '.codex/hooks.json': JSON.stringify({ hooks: { Stop: [{ hooks: [{ type: 'command', command: 'echo mine' }] }] } }) });
    // A stand-in for `codex app-server`: lists every handler of the project's hooks.json with a hash of its command,
    // trusted when CODEX_HOME's config.toml has that key (as Codex 0.171 answers hooks/list).
    const fake = path.join(tmpdir('fake-codex'), 'codex.mjs');
    fs.writeFileSync(
      fake,
      `import fs from 'node:fs'; import crypto from 'node:crypto'; import readline from 'node:readline';
const rl = readline.createInterface({ input: process.stdin });
rl.on('line', (l) => { const m = JSON.parse(l);
  if (m.id === 1) console.log(JSON.stringify({ id: 1, result: {} }));
  if (m.id === 2) { const cwd = m.params.cwds[0]; const file = cwd + '/.codex/hooks.json';
    const cfg = fs.readFileSync(process.env.CODEX_HOME + '/config.toml', 'utf8');
    const hooks = []; const h = JSON.parse(fs.readFileSync(file, 'utf8')).hooks;
    for (const [ev, groups] of Object.entries(h)) groups.forEach((g, gi) => g.hooks.forEach((x, hi) => {
      const key = file + ':' + ev.replace(/[A-Z]/g, (c, i) => (i ? '_' : '') + c.toLowerCase()) + ':' + gi + ':' + hi;
      hooks.push({ key, currentHash: 'sha256:' + crypto.createHash('sha256').update(x.command).digest('hex'), command: x.command, source: 'project', trustStatus: cfg.includes(JSON.stringify(key)) ? 'trusted' : 'untrusted' }); }));
    console.log(JSON.stringify({ id: 2, result: { data: [{ cwd, hooks }] } })); } });`,
    );
    const env = { CODEX_HOME: home, GIT_COORD_CODEX: `${process.execPath} ${fake}` };
    expect(coord(dir, ['setup', 'codex', '--trust', '--dry-run'], env).code).toBe(2);
    const r = coord(dir, ['setup', 'codex', '--trust'], env);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split('\n').filter((l) => l.startsWith('trusted '));
    expect(lines).toHaveLength(6);
    expect(lines[0]).toContain(`${path.join(dir, '.codex', 'hooks.json')}:pre_tool_use:0:0`);
    const cfg = fs.readFileSync(path.join(home, 'config.toml'), 'utf8');
    expect(cfg).toMatch(/^# mine\n/);
    expect(cfg.match(/trusted_hash = "sha256:[0-9a-f]{64}"/g)).toHaveLength(6);
    expect(cfg).not.toContain(':stop:0:0'); // the user's own hook is left to the user
    expect(r.stdout).not.toMatch(/run \/hooks/);
    const again = coord(dir, ['setup', 'codex', '--trust'], env);
    expect(again.stdout).toContain("git-coord's Codex hooks were already trusted");
    expect(fs.readFileSync(path.join(home, 'config.toml'), 'utf8')).toBe(cfg);
    // No Codex to ask: a clear failure, nothing written.
    const none = coord(dir, ['setup', 'codex', '--trust'], { CODEX_HOME: home, GIT_COORD_CODEX: path.join(home, 'no-such-codex') });
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/cannot start .*no-such-codex/);
  });
});
