/**
 * `setup claude`: registers git-coord with Claude Code in the project: the MCP server in
 * `.mcp.json`; the hooks, the server's approval and the read-only tools' permission in
 * `.claude/settings.json`. Every key and hook already there is kept; git-coord's own entries are
 * added, or updated in place when they name another git-coord. Run twice, the second run changes
 * nothing (files are written only when their content changes).
 *
 * With `user`, the hooks go to the user's `~/.claude/settings.json` instead (in the `--scope user`
 * form): Claude Code reads a project's `.claude/settings.json` only from the directory a session
 * starts in, so a session started in a subdirectory runs only user-level hooks (measured,
 * scripts/real-clients/FINDINGS.md).
 *
 * Files are written by the one safe-write rule (setup-files.ts).
 */
import os from 'node:os';
import path from 'node:path';
import { UsageError } from '../errors.js';
import type { Coord } from '../session/coord.js';
import { shellQuote } from '../printable.js';
import type { Runtime } from './hooks.js';
import { WRITE_TOOLS, SHELL_TOOLS } from '../agent-hooks/tool-writes.js';
import { jsonObject, mergeEventHooks, planFiles, writePlanned, type SetupFile } from './setup-files.js';
import { agentHookCommand, isAgentHookCommand, planAgentHook } from './agent-hook-script.js';

export { WRITE_TOOLS };
export type { SetupFile };

/** Claude Code waits this long (seconds) for a hook; the hook answers from the local view well within it. */
const HOOK_TIMEOUT_S = 10;
/**
 * The hooks git-coord registers, and the tools each one is for (none: every occurrence). `fast`:
 * the edit hook's shell script (agent-hook-script.ts) where there is one (a project's settings);
 * Bash keeps Node, which takes the before-snapshot PostToolUse compares against.
 */
const EVENTS: { event: string; matcher?: string; fast?: boolean }[] = [
  { event: 'PreToolUse', matcher: WRITE_TOOLS.join('|'), fast: true },
  { event: 'PreToolUse', matcher: SHELL_TOOLS.join('|') },
  // Every tool: a Bash command's writes to held paths, and news (messages, lost locks) within the turn.
  { event: 'PostToolUse' },
  { event: 'SessionStart' },
  { event: 'UserPromptSubmit' },
  { event: 'SubagentStart' },
];
const SERVER_NAME = 'git-coord';
/**
 * The tools allowed without asking: those that only read the coordination state (the MCP tools'
 * `readOnlyHint`). The others change records (locks, claims, messages) and stay the user's call.
 */
export const READ_ONLY_TOOLS = ['check', 'status', 'inbox', 'tasks'];
export const ALLOWED_TOOLS = READ_ONLY_TOOLS.map((t) => `mcp__${SERVER_NAME}__${t}`);

type Json = Record<string, unknown>;

/** The hook command: the same Node and CLI that ran setup (like the git hooks). */
export function hookCommand(rt: Runtime, scope?: 'user'): string {
  return `${shellQuote(rt.node)} ${shellQuote(rt.cli)} hook claude${scope ? ` --scope ${scope}` : ''}`;
}

/** A hook command git-coord wrote (this path or another install's, Node or the edit script), of the scope asked. */
function isOurs(command: unknown, scope?: 'user'): boolean {
  if (typeof command !== 'string') return false;
  if (!scope && isAgentHookCommand(command, 'claude')) return true;
  return scope ? /(git-coord|cli\.js)\S*'?\s+hook claude --scope user\s*$/.test(command) : /(git-coord|cli\.js)\S*'?\s+hook claude\s*$/.test(command);
}

function objectAt(parent: Json, key: string, label: string): Json {
  const v = parent[key] ?? {};
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new UsageError(`${label}: "${key}" must be an object`);
  parent[key] = v;
  return v as Json;
}

function arrayAt(parent: Json, key: string, label: string): unknown[] {
  const v = parent[key] ?? [];
  if (!Array.isArray(v)) throw new UsageError(`${label}: "${key}" must be an array`);
  parent[key] = v;
  return v;
}

/**
 * Adds git-coord's hook to each event, or brings the ones there up to date in place; keeps every
 * other hook. `fast`: the edit script's command, for the file tools' PreToolUse (else Node's).
 */
export function mergeHooks(settings: Json, command: string, label = '.claude/settings.json', scope?: 'user', fast?: string): Json {
  const out = structuredClone(settings);
  const hooks = objectAt(out, 'hooks', label);
  // Without the script (user scope: no one repository's), one PreToolUse for every tool, through Node.
  const events = fast ? EVENTS.map((e) => ({ ...e, command: e.fast ? fast : command })) : [{ event: 'PreToolUse', matcher: [...WRITE_TOOLS, ...SHELL_TOOLS].join('|'), command }, ...EVENTS.filter((e) => e.event !== 'PreToolUse').map((e) => ({ ...e, command }))];
  mergeEventHooks(hooks, events, (c) => isOurs(c, scope), label, HOOK_TIMEOUT_S);
  return out;
}

/**
 * The project's settings: the hooks, the `.mcp.json` server approved (`enabledMcpjsonServers`:
 * else an interactive session leaves it "pending approval"), and the read-only tools allowed
 * (`permissions.allow`). Claude Code honours both once the user has trusted the workspace.
 */
export function mergeSettings(settings: Json, command: string, fast?: string): Json {
  const out = mergeHooks(settings, command, '.claude/settings.json', undefined, fast);
  const enabled = arrayAt(out, 'enabledMcpjsonServers', '.claude/settings.json');
  if (!enabled.includes(SERVER_NAME)) enabled.push(SERVER_NAME);
  const perms = objectAt(out, 'permissions', '.claude/settings.json');
  const allow = arrayAt(perms, 'allow', '.claude/settings.json: permissions');
  for (const t of ALLOWED_TOOLS) if (!allow.includes(t)) allow.push(t);
  return out;
}

/** Adds the MCP server entry, or brings it up to date; keeps other servers and any `env` given to it. */
export function mergeMcp(config: Json, rt: Runtime): Json {
  const out = structuredClone(config);
  const servers = objectAt(out, 'mcpServers', '.mcp.json');
  const prev = servers[SERVER_NAME];
  const keep = typeof prev === 'object' && prev !== null && !Array.isArray(prev) ? (prev as Json) : {};
  servers[SERVER_NAME] = { ...keep, command: rt.node, args: [rt.cli, 'mcp'] };
  return out;
}

export interface ClaudeSetupOptions {
  dryRun: boolean;
  /** Also register the hooks in the user's ~/.claude/settings.json (sessions started in a subdirectory). */
  user?: boolean;
  /** The user's home (tests): default os.homedir(). */
  home?: string;
  /**
   * Also allow the read-only tools in `.claude/settings.local.json` (not committed): Claude Code
   * honours it before the workspace is trusted, where it ignores the shared file's allow rules.
   */
  local?: boolean;
}

/** The read-only tools allowed in `.claude/settings.local.json`, keeping everything there. */
export function mergeLocal(settings: Json): Json {
  const out = structuredClone(settings);
  const perms = objectAt(out, 'permissions', '.claude/settings.local.json');
  const allow = arrayAt(perms, 'allow', '.claude/settings.local.json: permissions');
  for (const t of ALLOWED_TOOLS) if (!allow.includes(t)) allow.push(t);
  return out;
}

export function setupClaude(ctx: Coord, rt: Runtime, opts: ClaudeSetupOptions): SetupFile[] {
  const top = ctx.repo.top;
  if (!top) throw new UsageError('setup claude needs a work tree (this repository is bare)');
  // The edit hook's script, in the common git dir (every worktree's), for this git-coord.
  const script = planAgentHook(ctx.repo.commonDir, rt);
  const fast = agentHookCommand(script.file, 'claude');
  const plans: { rel: string; file: string; root: string; next: (cur: Json) => Json }[] = [
    { rel: '.mcp.json', file: path.join(top, '.mcp.json'), root: top, next: (cur) => mergeMcp(cur, rt) },
    { rel: '.claude/settings.json', file: path.join(top, '.claude', 'settings.json'), root: top, next: (cur) => mergeSettings(cur, hookCommand(rt), fast) },
  ];
  if (opts.local) plans.push({ rel: '.claude/settings.local.json', file: path.join(top, '.claude', 'settings.local.json'), root: top, next: mergeLocal });
  if (opts.user) {
    const home = opts.home ?? os.homedir();
    const file = path.join(home, '.claude', 'settings.json');
    plans.push({ rel: file, file, root: home, next: (cur) => mergeHooks(cur, hookCommand(rt, 'user'), '~/.claude/settings.json', 'user') });
  }
  // Check, read and merge every file before writing any: a bad or unsafe file leaves them all untouched.
  const planned = planFiles(plans.map(({ rel, file, root }) => ({ file, label: rel, root })));
  const files = plans.map(({ rel, next }, k) => {
    const cur = jsonObject(planned[k]!, 'setup claude');
    const merged = next(cur);
    const content = `${JSON.stringify(merged, null, 2)}\n`;
    const changed = planned[k]!.current === null || JSON.stringify(merged) !== JSON.stringify(cur);
    return { planned: planned[k]!, path: rel, changed, content };
  });
  if (!opts.dryRun) {
    script.write();
    for (const f of files) if (f.changed) writePlanned(f.planned, f.content);
  }
  return files.map(({ path: p, changed, content }) => ({ path: p, changed, content }));
}
