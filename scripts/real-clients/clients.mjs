/**
 * The real clients: installing them into a scratch directory, laying out a test repository, and
 * running one prompt through Claude Code (`claude -p`) or Codex (`codex exec`) against the
 * scripted model, each with a scratch HOME (and CODEX_HOME).
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(here, '../..');
export const CACHE = process.env.REAL_CLIENTS_DIR ?? '/work/.cache/real-clients';
export const VERSIONS = {
  claude: process.env.CLAUDE_CODE_VERSION ?? '2.1.332',
  codex: process.env.CODEX_VERSION ?? '0.171.0',
};
export const CLI = process.env.GIT_COORD_CLI ?? path.join(REPO_ROOT, 'dist/cli.js');
export const LOGGER = path.join(here, 'hook-logger.mjs');
/** A model slug Codex knows: with it Codex offers `apply_patch` as a freeform (custom) tool. */
export const CODEX_MODEL = process.env.CODEX_MODEL ?? 'gpt-5.5';

function sh(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...opts });
  if (r.status !== 0 && !opts.allowFail) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status}\n${r.stderr}${r.stdout}`);
  return r;
}

/** Installs both clients from npm into CACHE once; later runs reuse them. Returns the binaries. */
export function install() {
  fs.mkdirSync(CACHE, { recursive: true });
  const pkg = path.join(CACHE, 'package.json');
  if (!fs.existsSync(pkg)) fs.writeFileSync(pkg, '{"name":"real-clients","private":true}\n');
  const nm = path.join(CACHE, 'node_modules');
  const claude = path.join(nm, '@anthropic-ai/claude-code-linux-x64/claude');
  const codexJs = path.join(nm, '@openai/codex/bin/codex.js');
  const want = (name, file) => {
    try {
      return JSON.parse(fs.readFileSync(path.join(nm, name, 'package.json'), 'utf8')).version === file;
    } catch {
      return false;
    }
  };
  const missing = [];
  if (!want('@anthropic-ai/claude-code', VERSIONS.claude) || !fs.existsSync(claude)) missing.push(`@anthropic-ai/claude-code@${VERSIONS.claude}`);
  if (!want('@openai/codex', VERSIONS.codex)) missing.push(`@openai/codex@${VERSIONS.codex}`);
  // Codex's platform binary is an aliased optional dependency that npm skipped here: name it.
  if (!fs.existsSync(path.join(nm, '@openai/codex-linux-x64/package.json')) || !want('@openai/codex-linux-x64', `${VERSIONS.codex}-linux-x64`))
    missing.push(`@openai/codex-linux-x64@npm:@openai/codex@${VERSIONS.codex}-linux-x64`);
  if (missing.length) {
    console.error(`installing ${missing.join(' ')} into ${CACHE} ...`);
    // Claude Code's postinstall only links the platform binary, which the harness runs directly.
    sh('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', ...missing], { cwd: CACHE, stdio: 'inherit' });
  }
  return { claude, codex: [process.execPath, codexJs] };
}

/** A fresh git repository with src/held.ts held by agent "other" and src/free.ts free. */
export function makeRepo(dir) {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.join(dir, 'src'), { recursive: true });
  const git = (...a) => sh('git', a, { cwd: dir });
  git('init', '-q', '-b', 'main');
  fs.writeFileSync(path.join(dir, 'src/held.ts'), 'export const held = 1;\n');
  fs.writeFileSync(path.join(dir, 'src/free.ts'), 'export const free = 1;\n');
  fs.writeFileSync(path.join(dir, 'README.md'), '# test repo\n');
  git('add', '-A');
  git('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'init');
  coord(dir, ['--agent', 'other', 'lock', 'src/held.ts', '--reason', 'refactoring held', '--ttl', '2h']);
  return dir;
}

export function coord(cwd, args, opts = {}) {
  return sh(process.execPath, [CLI, ...args], { cwd, allowFail: true, ...opts });
}

export function baseEnv(home) {
  const env = { PATH: process.env.PATH, HOME: home, TERM: 'dumb', LANG: 'C.UTF-8', GIT_COORD_AGENT: 'me' };
  for (const k of ['TMPDIR']) if (process.env[k]) env[k] = process.env[k];
  return env;
}

/** Runs a process to its end (or a timeout), collecting its output. */
export function run(cmd, args, { cwd, env, timeoutMs = 120_000 }) {
  return new Promise((resolve) => {
    const started = Date.now();
    const p = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    const t = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('close', (code, signal) => {
      clearTimeout(t);
      resolve({ code, signal, out, err, ms: Date.now() - started });
    });
  });
}

const ALL_CLAUDE_EVENTS = ['SessionStart', 'UserPromptSubmit', 'PreToolUse', 'PostToolUse', 'SubagentStart', 'SubagentStop', 'PreCompact', 'Stop', 'SessionEnd', 'Notification'];
const ALL_CODEX_EVENTS = ['SessionStart', 'UserPromptSubmit', 'PreToolUse', 'PostToolUse', 'Stop', 'SubagentStart', 'PreCompact'];

function loggerHooks(events, hookLog, withMatcher, answers) {
  const hooks = {};
  for (const e of events) {
    const cmd = `${process.execPath} ${LOGGER} ${hookLog} ${e} ${answers}`;
    hooks[e] = [{ ...(withMatcher && /ToolUse/.test(e) ? { matcher: '*' } : {}), hooks: [{ type: 'command', command: cmd, timeout: 10 }] }];
  }
  return { hooks };
}

/** Claude Code's scratch HOME: user settings with a recording hook for every event. */
export function claudeHome(home, hookLog, answers = {}) {
  fs.mkdirSync(path.join(home, '.claude'), { recursive: true });
  const file = path.join(home, 'hook-answers.json');
  fs.writeFileSync(file, JSON.stringify(answers));
  fs.writeFileSync(path.join(home, '.claude/settings.json'), JSON.stringify(loggerHooks(ALL_CLAUDE_EVENTS, hookLog, true, file), null, 2));
}

export function claudeEnv(home, port) {
  return {
    ...baseEnv(home),
    ANTHROPIC_BASE_URL: `http://127.0.0.1:${port}`,
    ANTHROPIC_API_KEY: 'sk-ant-dummy',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    DISABLE_AUTOUPDATER: '1',
    DISABLE_TELEMETRY: '1',
    DISABLE_ERROR_REPORTING: '1',
    // Claude Code refuses bypass-permissions as root unless told it runs in a sandbox.
    IS_SANDBOX: '1',
  };
}

/** Codex's scratch CODEX_HOME: the scripted provider, outbound traffic off, recording hooks. */
export function codexHome(codexHomeDir, port, repo, hookLog, answers = {}, extraToml = '') {
  fs.mkdirSync(codexHomeDir, { recursive: true });
  const toml = [
    `model = "${CODEX_MODEL}"`,
    'model_provider = "scripted"',
    '',
    '[model_providers.scripted]',
    'name = "scripted"',
    `base_url = "http://127.0.0.1:${port}/v1"`,
    'wire_api = "responses"',
    '',
    '[analytics]',
    'enabled = false',
    '',
    '[otel]',
    'exporter = "none"',
    'trace_exporter = "none"',
    '',
    '[features]',
    'plugins = false',
    '',
    `[projects."${repo}"]`,
    'trust_level = "trusted"',
    '',
    extraToml,
  ].join('\n');
  fs.writeFileSync(path.join(codexHomeDir, 'config.toml'), toml);
  const file = path.join(codexHomeDir, 'hook-answers.json');
  fs.writeFileSync(file, JSON.stringify(answers));
  fs.writeFileSync(path.join(codexHomeDir, 'hooks.json'), JSON.stringify(loggerHooks(ALL_CODEX_EVENTS, hookLog, true, file), null, 2));
}

export function readJsonl(file) {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      try {
        return JSON.parse(l);
      } catch {
        return { unparsed: l };
      }
    });
}

/**
 * Trusts every hook Codex lists for `cwd`, as a user would by approving them in `/hooks`: asks
 * `codex app-server` (JSON-RPC on stdio: initialize, then `hooks/list`) for each hook's key and
 * current hash and writes `[hooks.state."<key>"] trusted_hash = "<hash>"` to CODEX_HOME's
 * config.toml. Returns the keys trusted.
 */
export function trustCodexHooks(codexBin, codexHomeDir, cwd, env) {
  return new Promise((resolve, reject) => {
    const [node, js] = codexBin;
    const p = spawn(node, [js, 'app-server'], { cwd, env: { ...env, CODEX_HOME: codexHomeDir }, stdio: ['pipe', 'pipe', 'ignore'] });
    let buf = '';
    const timer = setTimeout(() => {
      p.kill();
      reject(new Error('codex app-server: no answer to hooks/list'));
    }, 30_000);
    const send = (o) => p.stdin.write(JSON.stringify(o) + '\n');
    p.stdout.on('data', (d) => {
      buf += d;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        let msg;
        try {
          msg = JSON.parse(line);
        } catch {
          continue;
        }
        if (msg.id === 1) {
          send({ jsonrpc: '2.0', method: 'initialized' });
          send({ jsonrpc: '2.0', id: 2, method: 'hooks/list', params: { cwds: [cwd] } });
        } else if (msg.id === 2) {
          clearTimeout(timer);
          p.kill();
          const hooks = (msg.result?.data ?? []).flatMap((c) => c.hooks ?? []);
          const toml = hooks.map((h) => `[hooks.state.${JSON.stringify(h.key)}]\ntrusted_hash = ${JSON.stringify(h.currentHash)}\n`).join('\n');
          fs.appendFileSync(path.join(codexHomeDir, 'config.toml'), `\n${toml}`);
          resolve(hooks.map((h) => `${h.source}:${h.eventName}`));
        }
      }
    });
    send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { clientInfo: { name: 'git-coord-harness', version: '0' } } });
  });
}
