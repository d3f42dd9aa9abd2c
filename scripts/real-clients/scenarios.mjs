/**
 * The scenarios: what the scripted model asks each real client to do, and what must follow.
 * The test repository (clients.mjs makeRepo) has src/held.ts, locked by agent "other", and
 * src/free.ts; the client runs as agent "me" (GIT_COORD_AGENT).
 *
 * Each scenario: { name, client, expect (the product behaviour it proves, in words), steps (the
 * model's tool calls, in order), check(ctx) -> { pass, detail } }. Optional: cwd (relative to the
 * repository), mode ('bypass' default: every tool permitted, so only git-coord can stop a write;
 * 'default': the client's own default approvals), resume (a second prompt in the same session).
 */
import fs from 'node:fs';
import path from 'node:path';
import { coord } from './clients.mjs';

export const SUBAGENT_MARK = 'SUBAGENT-PROBE-7f3a';
export const MIDTURN_MARK = 'MIDTURN-PING-4711';
export const BRIEFING_MARK = 'git-coord: you are me';
const POST_MARK = 'POSTCTX-MARK-2291';
const SUBCTX_MARK = 'SUBCTX-MARK-5150';
const DENY = (reason) => ({ hookSpecificOutput: { hookEventName: 'PreToolUse', permissionDecision: 'deny', permissionDecisionReason: reason } });
const HELD_TEXT = 'export const held = 1;\n';
const FREE_TEXT = 'export const free = 1;\n';

const patch = (verb, file, body) => `*** Begin Patch\n*** ${verb} File: ${file}\n${body}*** End Patch\n`;
const updateHeld = patch('Update', 'src/held.ts', '@@\n-export const held = 1;\n+export const held = 2;\n');
const updateFree = patch('Update', 'src/free.ts', '@@\n-export const free = 1;\n+export const free = 2;\n');

/** The tool result of step i, as the model saw it in the last request of the main conversation. */
function result(ctx, i) {
  const last = ctx.main.at(-1);
  return last?.view.results[i] ?? null;
}

/** A result that says git-coord stopped the call: an error naming the holder. */
function saysHeld(r) {
  return !!r && /\bother\b/.test(r.text) && /(held|hold|lock)/i.test(r.text);
}

function deniedAndUnchanged(ctx, i, file, before) {
  const r = result(ctx, i);
  const now = ctx.read(file);
  const unchanged = now === before;
  const detail = `${unchanged ? 'file unchanged' : 'FILE CHANGED'}; result: ${r ? (r.isError ? '[error] ' : '') + oneLine(r.text) : 'none came back'}`;
  return { pass: unchanged && saysHeld(r), detail };
}

function changedAndAllowed(ctx, i, file, before) {
  const r = result(ctx, i);
  const now = ctx.read(file);
  return { pass: now !== before && !saysHeld(r), detail: `${now !== before ? 'file changed' : 'FILE UNCHANGED'}; result: ${r ? oneLine(r.text) : 'none'}` };
}

export function oneLine(s, n = 160) {
  const t = String(s ?? '').replace(/\s+/g, ' ').trim();
  return t.length > n ? `${t.slice(0, n)}…` : t;
}

const read = (file) => ({ tool: 'Read', input: { file_path: file } });

/** Requests after step i's result came back: what the model saw once the tool had run. */
function after(ctx, i) {
  return ctx.main.filter((r) => r.view.results.length > i);
}

export function scenarios(repoOf) {
  const abs = (ctx, p) => path.join(ctx.repo, p);
  return [
    // ------------------------------------------------------------ Claude Code
    {
      name: 'edit held file (Edit)', client: 'claude', expect: 'PreToolUse denies; file unchanged',
      steps: (ctx) => [read(abs(ctx, 'src/held.ts')), { tool: 'edit', input: { file_path: abs(ctx, 'src/held.ts'), old_string: 'held = 1', new_string: 'held = 2' } }],
      check: (ctx) => deniedAndUnchanged(ctx, 1, 'src/held.ts', HELD_TEXT),
    },
    {
      name: 'write held file (Write)', client: 'claude', expect: 'PreToolUse denies; file unchanged',
      steps: (ctx) => [read(abs(ctx, 'src/held.ts')), { tool: 'write', input: { file_path: abs(ctx, 'src/held.ts'), content: 'x\n' } }],
      check: (ctx) => deniedAndUnchanged(ctx, 1, 'src/held.ts', HELD_TEXT),
    },
    {
      name: 'shell echo > held', client: 'claude', expect: 'PreToolUse of Bash denies (evident target); file unchanged',
      steps: () => [{ tool: 'shell', input: { command: 'echo x > src/held.ts', description: 'write' } }],
      check: (ctx) => deniedAndUnchanged(ctx, 0, 'src/held.ts', HELD_TEXT),
    },
    {
      name: 'shell sed -i held', client: 'claude', expect: 'PreToolUse of Bash denies; file unchanged',
      steps: () => [{ tool: 'shell', input: { command: "sed -i 's/held = 1/held = 2/' src/held.ts", description: 'edit' } }],
      check: (ctx) => deniedAndUnchanged(ctx, 0, 'src/held.ts', HELD_TEXT),
    },
    {
      name: 'shell python writes held', client: 'claude', expect: 'runs (not evident); PostToolUse reports held path + git restore within the turn',
      steps: () => [{ tool: 'shell', input: { command: `python3 -c "open('src/held.ts','w').write('x\\n')"`, description: 'py' } }],
      check: (ctx) => {
        const seen = after(ctx, 0).some((r) => /held\.ts[\s\S]{0,600}git restore|git restore[\s\S]{0,200}held\.ts/.test(r.view.allText.replace(/\\n/g, ' ')));
        return { pass: seen, detail: `file ${ctx.read('src/held.ts') === HELD_TEXT ? 'unchanged' : 'changed (expected: seen after)'}; report in the turn: ${seen ? 'yes' : 'NO'}` };
      },
    },
    {
      name: 'edit free file (Edit)', client: 'claude', expect: 'allowed; file changed',
      steps: (ctx) => [read(abs(ctx, 'src/free.ts')), { tool: 'edit', input: { file_path: abs(ctx, 'src/free.ts'), old_string: 'free = 1', new_string: 'free = 2' } }],
      check: (ctx) => changedAndAllowed(ctx, 1, 'src/free.ts', FREE_TEXT),
    },
    {
      name: 'session in src/ edits held', client: 'claude', cwd: 'src', userSetup: true,
      expect: 'a session started in a subdirectory is guarded (setup claude --user, as the README says): Edit denied',
      steps: (ctx) => [read(abs(ctx, 'src/held.ts')), { tool: 'edit', input: { file_path: abs(ctx, 'src/held.ts'), old_string: 'held = 1', new_string: 'held = 2' } }],
      check: (ctx) => deniedAndUnchanged(ctx, 1, 'src/held.ts', HELD_TEXT),
    },
    {
      name: 'probe: session in src/, root workspace trusted', client: 'claude', cwd: 'src', claudeTrust: true,
      expect: "trusting the repository's root makes Claude Code read its .claude/settings.json from src/ (FAILS in 2.1.332: it does not)",
      steps: (ctx) => [read(abs(ctx, 'src/held.ts')), { tool: 'edit', input: { file_path: abs(ctx, 'src/held.ts'), old_string: 'held = 1', new_string: 'held = 2' } }],
      check: (ctx) => {
        const v = deniedAndUnchanged(ctx, 1, 'src/held.ts', HELD_TEXT);
        const dirs = [...new Set(ctx.hooks.map((h) => h.env.CLAUDE_PROJECT_DIR))].map((d) => path.relative(ctx.repo, d) || '.');
        return { pass: v.pass, detail: `${v.detail}; CLAUDE_PROJECT_DIR: ${dirs.join(',')}` };
      },
    },
    {
      name: 'probe: session in src/, hooks at user level', client: 'claude', cwd: 'src', userHooks: true,
      expect: "git-coord's hooks in ~/.claude/settings.json guard a session started in a subdirectory",
      steps: (ctx) => [read(abs(ctx, 'src/held.ts')), { tool: 'edit', input: { file_path: abs(ctx, 'src/held.ts'), old_string: 'held = 1', new_string: 'held = 2' } }],
      check: (ctx) => deniedAndUnchanged(ctx, 1, 'src/held.ts', HELD_TEXT),
    },
    {
      name: 'SessionStart briefing', client: 'claude', expect: 'the first request carries the briefing',
      steps: () => [],
      check: (ctx) => {
        const first = ctx.main[0];
        const ok = !!first && first.view.allText.includes(BRIEFING_MARK);
        return { pass: ok, detail: ok ? 'briefing in first request' : 'no briefing in first request' };
      },
    },
    {
      // The workspace is trusted, as after the user's first interactive start: Claude Code ignores a
      // shared settings file's allow rules before that (see the permissions.allow probes).
      name: 'MCP status, default approvals', client: 'claude', mode: 'default', claudeTrust: true,
      expect: 'git-coord tools listed; status runs with no approval prompt (workspace trusted)',
      steps: () => [{ tool: 'mcp:status', input: {} }],
      check: (ctx) => {
        const first = ctx.main[0];
        const listed = !!first && first.view.allText.includes('mcp__git-coord__status');
        const r = result(ctx, 0);
        const ran = !!r && !r.isError;
        return { pass: listed && ran, detail: `listed: ${listed}; result: ${r ? (r.isError ? '[error] ' : '') + oneLine(r.text) : 'none'}` };
      },
    },
    {
      name: 'subagent briefed', client: 'claude', expect: 'SubagentStart adds the briefing to the subagent',
      steps: () => [{ tool: 'task', input: { description: 'probe', prompt: `${SUBAGENT_MARK}: reply done`, subagent_type: 'general-purpose' } }],
      check: (ctx) => {
        const sub = ctx.all.filter((r) => r.view.firstText.includes(SUBAGENT_MARK));
        const ok = sub.some((r) => r.view.allText.includes(BRIEFING_MARK));
        return { pass: ok, detail: `${sub.length} subagent request(s); briefing: ${ok ? 'yes' : 'NO'}` };
      },
    },
    {
      name: 'message mid-turn', client: 'claude', expect: 'a message sent during the turn reaches the model in that turn (PostToolUse)',
      steps: (ctx) => [
        { tool: 'shell', input: { command: 'true', description: 'noop' }, before: () => coord(ctx.repo, ['--agent', 'other', 'send', 'me', MIDTURN_MARK]) },
        { tool: 'shell', input: { command: 'true', description: 'noop' } },
      ],
      check: (ctx) => {
        const seen = after(ctx, 0).some((r) => r.view.allText.includes(MIDTURN_MARK));
        return { pass: seen, detail: seen ? 'message seen within the turn' : 'message not seen within the turn' };
      },
    },
    {
      name: 'resume: one briefing', client: 'claude', resume: true, compact: true,
      expect: 'after --resume the conversation holds one briefing (news only for what changed); sources startup/resume/compact/clear seen',
      steps: () => [],
      // Between the runs the agent's state changes (it takes a lock), so a second full briefing would differ.
      between: (ctx) => coord(ctx.repo, ['--agent', 'me', 'lock', 'src/free.ts', '--reason', 'resume probe']),
      check: (ctx) => {
        const resumed = ctx.main.filter((r) => r.view.allText.includes('Go on.'));
        const last = resumed.at(-1);
        const n = last ? last.view.allText.split(BRIEFING_MARK).length - 1 : 0;
        const sources = ctx.hooks.filter((h) => h.label === 'SessionStart').map((h) => h.payload.source);
        const compact = ctx.hooks.filter((h) => h.label === 'PreCompact').map((h) => h.payload.trigger);
        return { pass: n === 1, detail: `full briefings in the resumed conversation: ${n}; SessionStart sources: ${sources.join(',')}; PreCompact: ${compact.join(',') || 'none'}` };
      },
    },
    // ------------------------------------------------------------ Codex
    {
      name: 'apply_patch held file', client: 'codex', expect: 'PreToolUse (apply_patch) denies; file unchanged',
      steps: () => [{ tool: 'patch', input: { patch: updateHeld } }],
      check: (ctx) => deniedAndUnchanged(ctx, 0, 'src/held.ts', HELD_TEXT),
    },
    {
      name: 'shell-run patch held file', client: 'codex', expect: 'PreToolUse (Bash with a patch) denies; file unchanged',
      steps: () => [{ tool: 'shell', input: { command: `apply_patch <<'EOF'\n${updateHeld}EOF\n` } }],
      check: (ctx) => deniedAndUnchanged(ctx, 0, 'src/held.ts', HELD_TEXT),
    },
    {
      name: 'shell echo > held', client: 'codex', expect: 'PreToolUse (Bash) denies; file unchanged',
      steps: () => [{ tool: 'shell', input: { command: 'echo x > src/held.ts' } }],
      check: (ctx) => deniedAndUnchanged(ctx, 0, 'src/held.ts', HELD_TEXT),
    },
    {
      name: 'shell sed -i held', client: 'codex', expect: 'PreToolUse (Bash) denies; file unchanged',
      steps: () => [{ tool: 'shell', input: { command: "sed -i 's/held = 1/held = 2/' src/held.ts" } }],
      check: (ctx) => deniedAndUnchanged(ctx, 0, 'src/held.ts', HELD_TEXT),
    },
    {
      name: 'shell python writes held', client: 'codex', expect: 'runs (not evident); PostToolUse reports held path + git restore within the turn',
      steps: () => [{ tool: 'shell', input: { command: `python3 -c "open('src/held.ts','w').write('x\\n')"` } }, { tool: 'shell', input: { command: 'true' } }],
      check: (ctx) => {
        const seen = after(ctx, 0).some((r) => /held\.ts[\s\S]{0,600}git restore|git restore[\s\S]{0,200}held\.ts/.test(r.view.allText.replace(/\\n/g, ' ')));
        return { pass: seen, detail: `file ${ctx.read('src/held.ts') === HELD_TEXT ? 'unchanged' : 'changed (expected: seen after)'}; report in the turn: ${seen ? 'yes' : 'NO'}` };
      },
    },
    {
      name: 'message mid-turn', client: 'codex', expect: 'a message sent during the turn reaches the model in that turn (PostToolUse)',
      steps: (ctx) => [
        { tool: 'shell', input: { command: 'true' }, before: () => coord(ctx.repo, ['--agent', 'other', 'send', 'me', MIDTURN_MARK]) },
        { tool: 'shell', input: { command: 'true' } },
      ],
      check: (ctx) => {
        const seen = after(ctx, 0).some((r) => r.view.allText.includes(MIDTURN_MARK));
        return { pass: seen, detail: seen ? 'message seen within the turn' : 'message not seen within the turn' };
      },
    },
    {
      name: 'apply_patch held file, hooks trusted by setup codex --trust', client: 'codex', hookTrust: 'setup',
      expect: 'with no bypass flag, the hooks `setup codex --trust` trusted run: the patch is denied',
      steps: () => [{ tool: 'patch', input: { patch: updateHeld } }],
      check: (ctx) => {
        const v = deniedAndUnchanged(ctx, 0, 'src/held.ts', HELD_TEXT);
        return { pass: v.pass, detail: `${v.detail}; ${(ctx.trusted ?? []).length} hook(s) trusted: ${oneLine((ctx.trusted ?? []).join(' '), 120)}` };
      },
    },
    {
      name: 'apply_patch free file', client: 'codex', expect: 'allowed; file changed',
      steps: () => [{ tool: 'patch', input: { patch: updateFree } }],
      check: (ctx) => changedAndAllowed(ctx, 0, 'src/free.ts', FREE_TEXT),
    },
    {
      name: 'MCP listed, status runs', client: 'codex', mode: 'default', expect: 'git-coord tools in the first request; status runs under default approvals',
      steps: () => [{ tool: 'mcp:status', input: {} }],
      check: (ctx) => {
        const first = ctx.main[0];
        const listed = !!first && /git_coord/.test(first.view.allText);
        const r = result(ctx, 0);
        const ran = !!r && !/approval|denied|rejected|not allowed|unknown|unsupported/i.test(r.text) && /me|other|lock|held/i.test(r.text);
        return { pass: listed && ran, detail: `listed in first request: ${listed}; result: ${r ? oneLine(r.text) : 'none'}` };
      },
    },
    {
      name: 'subagent briefed', client: 'codex', expect: 'SubagentStart adds the briefing to the subagent',
      // The pause lets the subagent make its first request before the parent's turn ends (the
      // scripted wait_agent names no agent id, which Codex refuses).
      steps: () => [
        { tool: 'ns:multi_agent_v1:spawn_agent', query: 'spawn agent', input: { message: `${SUBAGENT_MARK}: reply done` } },
        { tool: 'shell', input: { command: 'sleep 5' } },
        { tool: 'ns:multi_agent_v1:wait_agent', input: {} },
      ],
      check: (ctx) => {
        const sub = ctx.all.filter((r) => r.view.firstText.includes(SUBAGENT_MARK));
        const ok = sub.some((r) => r.view.allText.includes(BRIEFING_MARK));
        return { pass: ok, detail: `${sub.length} subagent request(s); briefing: ${ok ? 'yes' : 'NO'}` };
      },
    },
    {
      name: 'resume: one briefing', client: 'codex', resume: true,
      expect: 'after `exec resume` the conversation holds one briefing (news only for what changed)',
      steps: () => [],
      between: (ctx) => coord(ctx.repo, ['--agent', 'me', 'lock', 'src/free.ts', '--reason', 'resume probe']),
      check: (ctx) => {
        const resumed = ctx.main.filter((r) => r.view.allText.includes('Go on.'));
        const last = resumed.at(-1);
        const n = last ? last.view.allText.split(BRIEFING_MARK).length - 1 : 0;
        const sources = ctx.hooks.filter((h) => h.label === 'SessionStart').map((h) => h.payload.source);
        return { pass: n === 1, detail: `full briefings in the resumed conversation: ${n}; SessionStart sources: ${sources.join(',')}` };
      },
    },
    {
      name: 'SessionStart briefing', client: 'codex', expect: 'the first request carries the briefing',
      steps: () => [],
      check: (ctx) => {
        const first = ctx.main[0];
        const ok = !!first && first.view.allText.includes(BRIEFING_MARK);
        return { pass: ok, detail: ok ? 'briefing in first request' : 'no briefing in first request' };
      },
    },
    // ------------------------------------------------------------ probes: what the clients do
    // No git-coord here: the recording hook at user level answers as the test says, to learn
    // whether a client honours an answer (the product's design rests on these).
    {
      name: 'probe: PostToolUse additionalContext reaches the model in the turn', client: 'claude', probe: true,
      expect: 'context from PostToolUse is in the next request of the same turn',
      answers: { PostToolUse: { hookSpecificOutput: { hookEventName: 'PostToolUse', additionalContext: POST_MARK } } },
      steps: () => [{ tool: 'shell', input: { command: 'true', description: 'noop' } }, { tool: 'shell', input: { command: 'true', description: 'noop' } }],
      check: (ctx) => where(after(ctx, 0), POST_MARK),
    },
    {
      name: 'probe: SubagentStart additionalContext reaches the subagent', client: 'claude', probe: true,
      expect: "context from SubagentStart is in the subagent's first request",
      answers: { SubagentStart: { hookSpecificOutput: { hookEventName: 'SubagentStart', additionalContext: SUBCTX_MARK } } },
      steps: () => [{ tool: 'task', input: { description: 'probe', prompt: `${SUBAGENT_MARK}: reply done`, subagent_type: 'general-purpose' } }],
      check: (ctx) => where(ctx.all.filter((r) => r.view.firstText.includes(SUBAGENT_MARK)), SUBCTX_MARK),
    },
    {
      name: 'probe: Bash PostToolUse names the files it changed', client: 'claude', probe: true,
      expect: 'tool_response.bashEditDiff.changedFiles lists a tracked file written by python, a deleted file and a new untracked one',
      steps: () => [{ tool: 'shell', input: { command: `python3 -c "open('src/held.ts','w').write('x'); open('untracked.txt','w').write('y')" && rm src/free.ts`, description: 'py' } }],
      check: (ctx) => {
        const post = ctx.hooks.find((h) => h.label === 'PostToolUse' && h.payload.tool_name === 'Bash');
        const diff = post?.payload.tool_response?.bashEditDiff;
        const files = (diff?.changedFiles ?? []).map((f) => path.relative(ctx.repo, f));
        const want = ['src/held.ts', 'src/free.ts', 'untracked.txt'];
        return { pass: want.every((f) => files.includes(f)), detail: `changedFiles: ${files.join(', ') || 'none'}; moreFiles: ${diff?.moreFiles ?? '-'}` };
      },
    },
    ...[
      ['settings.json', false, 'FAILS in 2.1.332: shared allow rules are ignored until the workspace is trusted'],
      ['settings.json', true, 'passes'],
      ['settings.local.json', false, 'passes'],
    ].map(([file, trusted, expected]) => ({
      name: `probe: permissions.allow in .claude/${file}${trusted ? ', workspace trusted' : ', workspace never trusted'}`,
      client: 'claude', mode: 'default', claudeTrust: trusted,
      expect: `status runs in default mode (${expected})`,
      afterSetup: (ctx) => {
        const f = path.join(ctx.repo, '.claude/settings.json');
        const j = JSON.parse(fs.readFileSync(f, 'utf8'));
        j.enabledMcpjsonServers = ['git-coord'];
        const allow = ['mcp__git-coord__status', 'mcp__git-coord__check', 'mcp__git-coord__inbox', 'mcp__git-coord__tasks'];
        if (file === 'settings.json') j.permissions = { allow };
        else fs.writeFileSync(path.join(ctx.repo, '.claude', file), JSON.stringify({ permissions: { allow } }, null, 2));
        fs.writeFileSync(f, JSON.stringify(j, null, 2));
      },
      steps: () => [{ tool: 'mcp:status', input: {} }],
      check: (ctx) => {
        const r = result(ctx, 0);
        return { pass: !!r && !r.isError, detail: `result: ${r ? (r.isError ? '[error] ' : '') + oneLine(r.text) : 'none'}` };
      },
    })),
    {
      name: 'probe: PreToolUse deny of Bash', client: 'claude', probe: true,
      expect: 'a deny answered for Bash stops the command',
      answers: { 'PreToolUse:Bash': DENY('probe denies this command') },
      steps: () => [{ tool: 'shell', input: { command: 'echo x > src/held.ts', description: 'write' } }],
      check: (ctx) => ({ pass: ctx.read('src/held.ts') === HELD_TEXT, detail: `file ${ctx.read('src/held.ts') === HELD_TEXT ? 'unchanged' : 'CHANGED'}; result: ${oneLine(result(ctx, 0)?.text)}` }),
    },
    {
      name: 'probe: PostToolUse additionalContext reaches the model in the turn', client: 'codex', probe: true,
      expect: 'context from PostToolUse is in the next request of the same turn',
      answers: { PostToolUse: { hookSpecificOutput: { hookEventName: 'PostToolUse', additionalContext: POST_MARK } } },
      steps: () => [{ tool: 'shell', input: { command: 'true' } }, { tool: 'shell', input: { command: 'true' } }],
      check: (ctx) => where(after(ctx, 0), POST_MARK),
    },
    {
      name: "probe: Claude Code's deny form on apply_patch", client: 'codex', probe: true,
      expect: 'the deny JSON `hook claude` prints stops an apply_patch',
      answers: { 'PreToolUse:apply_patch': DENY('probe denies this patch') },
      steps: () => [{ tool: 'patch', input: { patch: updateHeld } }],
      check: (ctx) => ({ pass: ctx.read('src/held.ts') === HELD_TEXT, detail: `file ${ctx.read('src/held.ts') === HELD_TEXT ? 'unchanged' : 'CHANGED'}; result: ${oneLine(result(ctx, 0)?.text)}` }),
    },
    {
      name: "probe: Claude Code's deny form on a shell-run patch", client: 'codex', probe: true,
      expect: 'a deny answered for Bash stops `apply_patch <<EOF` run through the shell',
      answers: { 'PreToolUse:Bash': DENY('probe denies this command') },
      steps: () => [{ tool: 'shell', input: { command: `apply_patch <<'EOF'\n${updateHeld}EOF\n` } }],
      check: (ctx) => ({ pass: ctx.read('src/held.ts') === HELD_TEXT, detail: `file ${ctx.read('src/held.ts') === HELD_TEXT ? 'unchanged' : 'CHANGED'}; result: ${oneLine(result(ctx, 0)?.text)}` }),
    },
    {
      name: 'probe: hooks run without trust', client: 'codex', probe: true, hookTrust: 'none',
      expect: 'hooks nobody trusted run (expected: they are skipped, so this FAILS: trust is needed)',
      answers: { SessionStart: { hookSpecificOutput: { hookEventName: 'SessionStart', additionalContext: POST_MARK } } },
      steps: () => [],
      check: (ctx) => {
        const ran = ctx.hooks.length > 0;
        const first = ctx.main[0];
        return { pass: ran, detail: `user-level hooks ran: ${ran} (${ctx.hooks.map((h) => h.label).join(',') || 'none'}); context in first request: ${!!first && first.view.allText.includes(POST_MARK)}` };
      },
    },
    {
      name: 'probe: hooks trusted by trusted_hash', client: 'codex', probe: true, hookTrust: 'hash',
      expect: 'with [hooks.state."<key>"] trusted_hash written from app-server hooks/list, hooks run without the bypass flag',
      answers: { SessionStart: { hookSpecificOutput: { hookEventName: 'SessionStart', additionalContext: POST_MARK } } },
      steps: () => [],
      check: (ctx) => {
        const first = ctx.main[0];
        const seen = !!first && first.view.allText.includes(POST_MARK);
        return { pass: ctx.hooks.length > 0 && seen, detail: `trusted: ${(ctx.trusted ?? []).join(',')}; hooks ran: ${ctx.hooks.map((h) => h.label).join(',') || 'none'}; context in first request: ${seen}` };
      },
    },
    {
      name: 'probe: SubagentStart for a Codex subagent', client: 'codex', probe: true,
      expect: "spawning a subagent fires SubagentStart, and its additionalContext reaches the subagent's first request",
      answers: { SubagentStart: { hookSpecificOutput: { hookEventName: 'SubagentStart', additionalContext: SUBCTX_MARK } } },
      steps: () => [{ tool: 'ns:multi_agent_v1:spawn_agent', query: 'spawn agent', input: { message: `${SUBAGENT_MARK}: reply done` } }, { tool: 'ns:multi_agent_v1:wait_agent', input: {} }],
      check: (ctx) => {
        const start = ctx.hooks.find((h) => h.label === 'SubagentStart');
        const sub = ctx.all.filter((r) => r.view.firstText.includes(SUBAGENT_MARK));
        const seen = sub.some((r) => r.view.allText.includes(SUBCTX_MARK));
        return { pass: !!start && seen, detail: `SubagentStart: ${start ? JSON.stringify(start.payload).slice(0, 300) : 'none'}; subagent requests: ${sub.length}; context: ${seen}; spawn result: ${oneLine(result(ctx, 0)?.text, 200)}` };
      },
    },
    {
      name: 'probe: SessionStart sources on resume', client: 'codex', probe: true, resume: true,
      expect: 'SessionStart fires again on `exec resume` with source resume',
      steps: () => [],
      check: (ctx) => {
        const sources = ctx.hooks.filter((h) => h.label === 'SessionStart').map((h) => h.payload.source);
        return { pass: sources.includes('resume'), detail: `SessionStart sources: ${sources.join(',') || 'none'}` };
      },
    },
  ];
}

/** Whether (and in which request part) a marker reached the model. */
function where(requests, mark) {
  const hit = requests.find((r) => r.view.allText.includes(mark));
  if (!hit) return { pass: false, detail: `not in any of ${requests.length} request(s)` };
  const s = hit.view.allText;
  const i = s.indexOf(mark);
  return { pass: true, detail: `seen: …${oneLine(s.slice(Math.max(0, i - 120), i + mark.length), 200)}` };
}
