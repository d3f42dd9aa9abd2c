#!/usr/bin/env node
/**
 * The real-client harness (issue 13). Not part of `npm test` or CI: the clients are large downloads.
 *
 *   npm run build && node scripts/real-clients/run.mjs [--only <text>] [--client claude|codex] [--out <dir>]
 *
 * Installs Claude Code and Codex from npm into REAL_CLIENTS_DIR (default /work/.cache/real-clients,
 * reused), starts a scripted model on 127.0.0.1, and runs every scenario (scenarios.mjs) with the
 * real binary in a fresh test repository set up as a user would (`git-coord setup claude`,
 * `git-coord setup codex`). Prints a table (scenario, client, pass/fail, detail) and writes
 * results.json, the model's request log (requests.jsonl) and every hook payload (hooks.jsonl) to
 * the output directory (default <REAL_CLIENTS_DIR>/out). Exit 0 when every scenario passed, else 1.
 */
import fs from 'node:fs';
import path from 'node:path';
import { startModelServer, anthropicView, openaiView } from './model-server.mjs';
import { install, makeRepo, coord, claudeHome, claudeEnv, codexHome, baseEnv, run, readJsonl, trustCodexHooks, CACHE, CLI, VERSIONS, LOGGER } from './clients.mjs';
import { scenarios, oneLine, SUBAGENT_MARK } from './scenarios.mjs';

const args = process.argv.slice(2);
const opt = (n) => {
  const i = args.indexOf(n);
  return i >= 0 ? args[i + 1] : undefined;
};
const only = opt('--only');
const clientOnly = opt('--client');
const out = path.resolve(opt('--out') ?? path.join(CACHE, 'out'));
fs.mkdirSync(out, { recursive: true });
const work = path.join(CACHE, 'work');
fs.rmSync(work, { recursive: true, force: true });
fs.mkdirSync(work, { recursive: true });
for (const f of ['requests.jsonl', 'hooks.jsonl']) fs.rmSync(path.join(out, f), { force: true });

if (!fs.existsSync(CLI)) {
  console.error(`${CLI} is missing: run npm run build first`);
  process.exit(2);
}
const bins = install();
const server = await startModelServer(path.join(out, 'requests.jsonl'));
const hookLog = path.join(out, 'hooks.jsonl');

/** Sets a repository up for Claude Code as a user would. */
function setupClaude(repo) {
  const r = coord(repo, ['setup', 'claude']);
  return r.status === 0 ? 'setup claude: ok' : `setup claude failed: ${oneLine(r.stderr)}`;
}

/**
 * Sets a repository up for Codex: `git-coord setup codex` once it exists; until then the files the
 * contract describes, written here (so the Codex side can be exercised), and says so.
 */
function setupCodex(repo) {
  const r = coord(repo, ['setup', 'codex']);
  if (r.status === 0) return 'setup codex: ok';
  // RC_CODEX_HOOK=claude registers `hook claude` instead (to see how Codex takes Claude Code's answers).
  const cmd = `'${process.execPath}' '${CLI}' hook ${process.env.RC_CODEX_HOOK ?? 'codex'}`;
  fs.mkdirSync(path.join(repo, '.codex'), { recursive: true });
  const hook = (matcher) => [{ ...(matcher ? { matcher } : {}), hooks: [{ type: 'command', command: cmd, timeout: 10 }] }];
  fs.writeFileSync(
    path.join(repo, '.codex/hooks.json'),
    JSON.stringify({ hooks: { PreToolUse: hook('apply_patch|Bash'), PostToolUse: hook('apply_patch|Bash'), SessionStart: hook(), UserPromptSubmit: hook() } }, null, 2),
  );
  fs.writeFileSync(
    path.join(repo, '.codex/config.toml'),
    `[mcp_servers.git-coord]\ncommand = "${process.execPath}"\nargs = ["${CLI}", "mcp"]\nrequired = true\n`,
  );
  return `setup codex missing (${oneLine(r.stderr, 60)}): harness wrote the contract's .codex files`;
}

function viewOf(entry) {
  if (!entry.body || typeof entry.body !== 'object') return null;
  if (entry.url.includes('/messages') && !entry.url.includes('count_tokens')) return anthropicView(entry.body);
  if (entry.url.includes('/responses')) return openaiView(entry.body);
  return null;
}

async function runScenario(sc, index) {
  const dir = path.join(work, `${index}-${sc.client}`);
  const repo = makeRepo(path.join(dir, 'repo'));
  const home = path.join(dir, 'home');
  fs.mkdirSync(home, { recursive: true });
  const setup = sc.probe ? 'probe: no project setup' : sc.client === 'claude' ? setupClaude(repo) : setupCodex(repo);
  const ctx = { repo, read: (p) => { try { return fs.readFileSync(path.join(repo, p), 'utf8'); } catch { return null; } } };
  sc.afterSetup?.(ctx);
  const steps = sc.steps(ctx);
  const fired = new Set();
  const script = {
    name: `${sc.client}: ${sc.name}`,
    next(view) {
      if (view.firstText.includes(SUBAGENT_MARK)) return { text: 'done' };
      const n = view.results.length;
      if (n >= steps.length) return { text: 'done' };
      const step = steps[n];
      if (step.before && !fired.has(n)) {
        fired.add(n);
        step.before();
      }
      return step;
    },
  };
  const seen = server.use(script);
  const hooksFrom = readJsonl(hookLog).length;
  const cwd = sc.cwd ? path.join(repo, sc.cwd) : repo;
  const runs = [];
  if (sc.client === 'claude') {
    claudeHome(home, hookLog, sc.answers);
    // userHooks: git-coord's hooks (as setup claude wrote them for the project) registered at user level too.
    if (sc.userHooks) {
      const f = path.join(home, '.claude/settings.json');
      const user = JSON.parse(fs.readFileSync(f, 'utf8'));
      const project = JSON.parse(fs.readFileSync(path.join(repo, '.claude/settings.json'), 'utf8'));
      for (const [event, groups] of Object.entries(project.hooks ?? {})) user.hooks[event] = [...(user.hooks[event] ?? []), ...groups];
      fs.writeFileSync(f, JSON.stringify(user, null, 2));
    }
    // userSetup: `setup claude --user` as the README says for sessions started in a subdirectory (into the scratch HOME).
    if (sc.userSetup) {
      const r = coord(repo, ['setup', 'claude', '--user'], { env: { ...process.env, HOME: home } });
      if (r.status !== 0) throw new Error(`setup claude --user: ${r.stderr}`);
    }
    // claudeTrust: the workspace-trust dialog accepted for the repository, as after a first interactive start.
    if (sc.claudeTrust) fs.writeFileSync(path.join(home, '.claude.json'), JSON.stringify({ projects: { [repo]: { hasTrustDialogAccepted: true, enabledMcpjsonServers: [] } } }));
    const env = claudeEnv(home, server.port);
    const perm = sc.mode === 'default' ? [] : ['--permission-mode', 'bypassPermissions'];
    const first = await run(bins.claude, ['-p', 'Do the task.', '--output-format', 'json', ...perm], { cwd, env });
    runs.push(first);
    if (sc.resume) {
      let sid = null;
      try {
        sid = JSON.parse(first.out).session_id;
      } catch {}
      if (sid) {
        sc.between?.(ctx);
        runs.push(await run(bins.claude, ['-p', 'Go on.', '--resume', sid, '--output-format', 'json', ...perm], { cwd, env }));
        // Then compaction and a clear in the same session: their SessionStart sources and PreCompact payload.
        if (sc.compact) for (const p of ['/compact', '/clear']) runs.push(await run(bins.claude, ['-p', p, '--resume', sid, '--output-format', 'json', ...perm], { cwd, env }));
      }
    }
  } else {
    const codexHomeDir = path.join(dir, 'codex-home');
    codexHome(codexHomeDir, server.port, repo, hookLog, sc.answers);
    const env = { ...baseEnv(home), CODEX_HOME: codexHomeDir };
    const sandbox = sc.mode === 'default' ? [] : ['-s', 'danger-full-access'];
    const [node, js] = bins.codex;
    // Hook trust: 'bypass' (default) passes --dangerously-bypass-hook-trust; 'none' trusts nothing;
    // 'hash' writes each hook's trusted_hash (from `codex app-server` hooks/list) as a user's approval would.
    if (sc.hookTrust === 'hash') ctx.trusted = await trustCodexHooks(bins.codex, codexHomeDir, cwd, env).catch((e) => [`error: ${e.message}`]);
    // 'setup': the user runs `git-coord setup codex --trust` (git-coord asks codex app-server for the hashes).
    if (sc.hookTrust === 'setup') {
      const r = coord(repo, ['setup', 'codex', '--trust'], { env: { ...process.env, ...env, GIT_COORD_CODEX: `${node} ${js}` } });
      ctx.trusted = r.status === 0 ? r.stdout.split('\n').filter((l) => l.startsWith('trusted ')) : [`setup codex --trust failed: ${oneLine(r.stderr)}`];
    }
    const trust = ['none', 'hash', 'setup'].includes(sc.hookTrust) ? [] : ['--dangerously-bypass-hook-trust'];
    const first = await run(node, [js, 'exec', '--json', '--skip-git-repo-check', ...trust, ...sandbox, '-C', cwd, 'Do the task.'], { cwd, env });
    runs.push(first);
    if (sc.resume) {
      const tid = /"thread_id":"([^"]+)"/.exec(first.out)?.[1];
      sc.between?.(ctx);
      if (tid) runs.push(await run(node, [js, 'exec', '--json', '--skip-git-repo-check', ...trust, ...sandbox, '-C', cwd, 'resume', tid, 'Go on.'], { cwd, env }));
    }
  }
  const requests = seen().map((e) => ({ entry: e, view: viewOf(e) })).filter((r) => r.view);
  ctx.all = requests;
  ctx.main = requests.filter((r) => (sc.client === 'claude' ? r.view.tools.includes('Bash') : r.view.tools.length > 0) && !r.view.firstText.includes(SUBAGENT_MARK));
  ctx.hooks = readJsonl(hookLog).slice(hooksFrom);
  ctx.runs = runs;
  let verdict;
  try {
    verdict = sc.check(ctx);
  } catch (e) {
    verdict = { pass: false, detail: `check threw: ${e.message}` };
  }
  if (ctx.main.length === 0) verdict.detail = `no model request: the turn ended before it (a UserPromptSubmit hook exiting 2 drops a Codex prompt: is \`hook codex\` there?); ${verdict.detail}`;
  const exit = runs.map((r) => `${r.code ?? r.signal}`).join('/');
  return {
    scenario: sc.name,
    client: sc.client,
    expect: sc.expect,
    pass: verdict.pass,
    detail: verdict.detail,
    setup,
    exit,
    requests: requests.length,
    hookEvents: ctx.hooks.map((h) => h.label),
    stderr: runs.map((r) => oneLine(r.err, 300)).filter(Boolean),
    stdout: runs.map((r) => r.out.slice(-3000)),
  };
}

const list = scenarios().filter((s) => (!only || s.name.includes(only)) && (!clientOnly || s.client === clientOnly));
const results = [];
for (const [i, sc] of list.entries()) {
  process.stderr.write(`[${i + 1}/${list.length}] ${sc.client}: ${sc.name} ... `);
  const r = await runScenario(sc, i);
  process.stderr.write(`${r.pass ? 'PASS' : 'FAIL'}\n`);
  results.push(r);
}
await server.close();

const rows = [['scenario', 'client', 'result', 'detail'], ...results.map((r) => [r.scenario, r.client, r.pass ? 'PASS' : 'FAIL', r.detail])];
const widths = [0, 1, 2].map((c) => Math.max(...rows.map((row) => row[c].length)));
for (const row of rows) console.log(row.map((cell, c) => (c < 3 ? cell.padEnd(widths[c]) : cell)).join(' | '));
const passed = results.filter((r) => r.pass).length;
console.log(`\n${passed}/${results.length} passed (Claude Code ${VERSIONS.claude}, Codex ${VERSIONS.codex}, git-coord ${CLI})`);
const doc = { at: new Date().toISOString(), versions: VERSIONS, cli: CLI, logger: LOGGER, passed, total: results.length, results };
fs.writeFileSync(path.join(out, 'results.json'), JSON.stringify(doc, null, 2));
console.log(`results: ${path.join(out, 'results.json')}; model requests: ${path.join(out, 'requests.jsonl')}; hook payloads: ${hookLog}`);
process.exit(passed === results.length ? 0 : 1);
