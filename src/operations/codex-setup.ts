/**
 * `setup codex`: registers git-coord with Codex in the project:
 *
 * - `.codex/config.toml`: `[mcp_servers.git-coord]` (`command`, `args`, `required = true`: Codex
 *   waits for the server's start-up, so its tools are in the first request; `env_vars`:
 *   GIT_COORD_AGENT passed on, since Codex gives a server only a short list of its environment). Every other key is
 *   kept; an absent table is appended as text (comments kept), a table that differs is rewritten
 *   through the TOML parser (which drops the file's comments: the result says so).
 * - `.codex/hooks.json`: `hook codex` for PreToolUse (`apply_patch|Bash`), PostToolUse (`Bash`),
 *   SessionStart, UserPromptSubmit and SubagentStart, keeping every other hook. The command stays
 *   byte-identical across runs: Codex trusts a hook by a hash of its handler, and a changed one
 *   silently stops running until trusted again.
 *
 * Codex reads neither file until the project is trusted, and runs a hook only once it is trusted
 * itself (FINDINGS.md). Setup trusts nothing on the user's behalf unless asked (`trust`, which
 * writes the hooks' trusted_hash and returns each key written): it reports what it sees of both in
 * `$CODEX_HOME/config.toml` and says what to do.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UsageError } from '../errors.js';
import type { Coord } from '../session/coord.js';
import { shellQuote } from '../printable.js';
import type { Runtime } from './hooks.js';
import { jsonObject, mergeEventHooks, planFile, writePlanned, type SetupFile } from './setup-files.js';
import { agentHookCommand, isAgentHookCommand, planAgentHook } from './agent-hook-script.js';
import { trustCodexHooks, type TrustedHook } from './codex-trust.js';

const SERVER_NAME = 'git-coord';
/** Codex waits this long (seconds) for a hook. */
const HOOK_TIMEOUT_S = 10;
/** The hooks git-coord registers with Codex, and the tools each is for (none: every occurrence). */
export const CODEX_EVENTS: { event: string; matcher?: string; fast?: boolean }[] = [
  // apply_patch: the edit hook's shell script (agent-hook-script.ts); Bash keeps Node (the before-snapshot).
  { event: 'PreToolUse', matcher: 'apply_patch', fast: true },
  { event: 'PreToolUse', matcher: 'Bash' },
  { event: 'PostToolUse', matcher: 'Bash' },
  { event: 'SessionStart' },
  { event: 'UserPromptSubmit' },
  { event: 'SubagentStart' },
];

type Json = Record<string, unknown>;

export interface CodexSetup {
  ok: true;
  dryRun: boolean;
  files: (SetupFile & { commentsDropped?: boolean })[];
  /** What `$CODEX_HOME/config.toml` says of this project and its hooks (Codex's own trust). */
  trust: { codexHome: string; project: boolean; hooksTrusted: number; hooks: number };
  /** With `trust`: the hooks whose trusted_hash setup wrote (key and hash). */
  trusted?: TrustedHook[];
}

/** Codex's home: CODEX_HOME, else ~/.codex. */
export function codexHome(): string {
  return process.env.CODEX_HOME && path.isAbsolute(process.env.CODEX_HOME) ? process.env.CODEX_HOME : path.join(os.homedir(), '.codex');
}

export function codexHookCommand(rt: Runtime): string {
  return `${shellQuote(rt.node)} ${shellQuote(rt.cli)} hook codex`;
}

function isOurs(command: unknown): boolean {
  if (isAgentHookCommand(command, 'codex')) return true;
  return typeof command === 'string' && /(git-coord|cli\.js)\S*'?\s+hook codex\s*$/.test(command);
}

/**
 * Adds git-coord's hook to each event, or brings the ones there up to date in place; keeps every
 * other hook. `fast`: the edit script's command, for apply_patch's PreToolUse (else Node's).
 */
export function mergeCodexHooks(config: Json, command: string, fast?: string): Json {
  const out = structuredClone(config);
  const hooks = out.hooks ?? {};
  if (typeof hooks !== 'object' || hooks === null || Array.isArray(hooks)) throw new UsageError('.codex/hooks.json: "hooks" must be an object');
  out.hooks = hooks;
  // The same bytes on a rerun (the user's `GIT_COORD_AGENT=<id> ` prefix kept): the same trust.
  mergeEventHooks(hooks as Json, CODEX_EVENTS.map((e) => ({ ...e, command: e.fast && fast ? fast : command })), isOurs, '.codex/hooks.json', HOOK_TIMEOUT_S);
  return out;
}

/** Codex starts MCP servers with a short list of its environment: the agent's id must be named to reach the server. */
const PASS_ENV = ['GIT_COORD_AGENT'];

function serverEntry(rt: Runtime, prev: unknown): Json {
  const keep = typeof prev === 'object' && prev !== null && !Array.isArray(prev) ? { ...(prev as Json) } : {};
  // Registering the server means Codex starts it: an `enabled = false` left there would keep it off
  // (with `required = true`, silently) while setup reports it set up.
  if (keep.enabled === false) delete keep.enabled;
  const had = Array.isArray(keep.env_vars) ? keep.env_vars.filter((v): v is string => typeof v === 'string') : [];
  return { ...keep, command: rt.node, args: [rt.cli, 'mcp'], required: true, env_vars: [...had, ...PASS_ENV.filter((v) => !had.includes(v))] };
}

const tomlString = (s: string) => JSON.stringify(s);

/** The new text of `.codex/config.toml`, or null when it already says what git-coord needs. */
async function mergeConfigToml(current: string | null, rt: Runtime): Promise<{ text: string; commentsDropped: boolean } | null> {
  const toml = await import('smol-toml');
  let cur: Json = {};
  if (current !== null) {
    try {
      cur = toml.parse(current) as Json;
    } catch (e) {
      throw new UsageError(`.codex/config.toml is not valid TOML (${(e as Error).message.split('\n')[0]}): fix it, then run setup codex again`);
    }
  }
  const servers = cur.mcp_servers ?? {};
  if (typeof servers !== 'object' || servers === null || Array.isArray(servers)) throw new UsageError('.codex/config.toml: mcp_servers must be a table');
  const prev = (servers as Json)[SERVER_NAME];
  const want = serverEntry(rt, prev);
  if (prev !== undefined && JSON.stringify(prev) === JSON.stringify(want)) return null;
  if (prev === undefined) {
    // Appended as text: the file's comments and layout are kept.
    const table = [
      `[mcp_servers.${SERVER_NAME}]`,
      `command = ${tomlString(rt.node)}`,
      `args = [${tomlString(rt.cli)}, "mcp"]`,
      'required = true',
      `env_vars = [${PASS_ENV.map(tomlString).join(', ')}]`,
      '',
    ].join('\n');
    const text = current === null || current.trim() === '' ? table : `${current.replace(/\n*$/, '\n')}\n${table}`;
    try {
      const back = toml.parse(text) as Json;
      if (JSON.stringify((back.mcp_servers as Json | undefined)?.[SERVER_NAME]) === JSON.stringify(want)) return { text, commentsDropped: false };
    } catch {
      // the file defines mcp_servers inline: rewrite it whole below
    }
  }
  const next = structuredClone(cur);
  next.mcp_servers = { ...(servers as Json), [SERVER_NAME]: want };
  return { text: `${toml.stringify(next)}\n`, commentsDropped: current !== null && /^\s*#/m.test(current) };
}

/** What CODEX_HOME's config.toml says about this project's trust and its hooks' trust. */
async function trustOf(top: string, hooksFile: string): Promise<CodexSetup['trust']> {
  const home = codexHome();
  const out = { codexHome: home, project: false, hooksTrusted: 0, hooks: CODEX_EVENTS.length };
  let text: string;
  try {
    const file = path.join(home, 'config.toml');
    if (fs.statSync(file).size > 4 * 1024 * 1024) return out;
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return out;
  }
  try {
    const cfg = (await import('smol-toml')).parse(text) as Json;
    const projects = (cfg.projects ?? {}) as Record<string, Json>;
    out.project = projects[top]?.trust_level === 'trusted';
    const state = ((cfg.hooks as Json | undefined)?.state ?? {}) as Record<string, Json>;
    out.hooksTrusted = Object.entries(state).filter(([k, v]) => k.startsWith(`${hooksFile}:`) && typeof v?.trusted_hash === 'string').length;
  } catch {
    // an unreadable user config: report nothing trusted
  }
  return out;
}

/**
 * `trust`: after writing, trust git-coord's hooks in Codex (codex-trust.ts: asks `codex app-server`
 * for their hashes and writes them to `$CODEX_HOME/config.toml`). Not with `dryRun`.
 */
export async function setupCodex(ctx: Coord, rt: Runtime, dryRun: boolean, trust = false): Promise<CodexSetup> {
  const top = ctx.repo.top;
  if (!top) throw new UsageError('setup codex needs a work tree (this repository is bare)');
  const cfgPlan = planFile(path.join(top, '.codex', 'config.toml'), '.codex/config.toml', top);
  const hooksPlan = planFile(path.join(top, '.codex', 'hooks.json'), '.codex/hooks.json', top);
  // Read and merge both before writing either: a bad file leaves both untouched.
  const cfg = await mergeConfigToml(cfgPlan.current, rt);
  const script = planAgentHook(ctx.repo.commonDir, rt);
  const curHooks = jsonObject(hooksPlan, 'setup codex');
  const hooks = mergeCodexHooks(curHooks, codexHookCommand(rt), agentHookCommand(script.file, 'codex'));
  const hooksChanged = hooksPlan.current === null || JSON.stringify(hooks) !== JSON.stringify(curHooks);
  const hooksText = `${JSON.stringify(hooks, null, 2)}\n`;
  if (!dryRun) {
    script.write();
    if (cfg) writePlanned(cfgPlan, cfg.text);
    if (hooksChanged) writePlanned(hooksPlan, hooksText);
  }
  let trusted: TrustedHook[] | undefined;
  if (trust) {
    if (dryRun) throw new UsageError('trusting the hooks writes to Codex\'s config: not with a dry run');
    trusted = await trustCodexHooks({ top, hooksFile: path.join(top, '.codex', 'hooks.json'), codexHome: codexHome(), isOurs });
  }
  return {
    ok: true,
    dryRun,
    ...(trusted ? { trusted } : {}),
    files: [
      { path: '.codex/config.toml', changed: cfg !== null, content: cfg?.text ?? cfgPlan.current ?? '', ...(cfg?.commentsDropped ? { commentsDropped: true } : {}) },
      { path: '.codex/hooks.json', changed: hooksChanged, content: hooksText },
    ],
    trust: await trustOf(top, path.join(top, '.codex', 'hooks.json')),
  };
}
