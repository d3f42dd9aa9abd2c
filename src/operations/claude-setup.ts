/**
 * `setup claude`: registers git-coord with Claude Code in the project: the MCP server in
 * `.mcp.json` and the hooks in `.claude/settings.json`. Every key and hook already there is kept;
 * git-coord's own entries are added, or updated in place when they name another git-coord. Run
 * twice, the second run changes nothing (files are written only when their content changes).
 *
 * This is the one command that writes into the working tree besides the config file: the user
 * asks for exactly these two files.
 */
import path from 'node:path';
import { UsageError } from '../errors.js';
import type { Coord } from '../session/coord.js';
import { shellQuote } from '../printable.js';
import type { Runtime } from './hooks.js';
import { envPrefix, planFiles, writePlanned } from './setup-files.js';

/** Claude Code's tools that write files: the PreToolUse hook checks each. */
export const WRITE_TOOLS = ['Write', 'Edit', 'MultiEdit', 'NotebookEdit'];

/** Claude Code waits this long (seconds) for a hook; the hook answers from the local view well within it. */
const HOOK_TIMEOUT_S = 10;
/** The hooks git-coord registers, and the tools each one is for (none: every occurrence). */
const EVENTS: { event: string; matcher?: string }[] = [
  { event: 'PreToolUse', matcher: WRITE_TOOLS.join('|') },
  { event: 'SessionStart' },
  { event: 'UserPromptSubmit' },
];
const SERVER_NAME = 'git-coord';

export interface SetupFile {
  /** Relative to the top of the work tree. */
  path: string;
  changed: boolean;
  /** The file's content after setup. */
  content: string;
}

type Json = Record<string, unknown>;

/** The hook command: the same Node and CLI that ran setup (like the git hooks). */
export function hookCommand(rt: Runtime): string {
  return `${shellQuote(rt.node)} ${shellQuote(rt.cli)} hook claude`;
}

/** A hook command git-coord wrote (this path or another install's). */
function isOurs(command: unknown): boolean {
  return typeof command === 'string' && /(git-coord|cli\.js)\S*'?\s+hook claude\s*$/.test(command);
}

function parseObject(text: string | null, label: string): Json {
  if (text === null) return {};
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${label} is not valid JSON (${(e as Error).message}): fix it, then run setup claude again`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new UsageError(`${label} must hold a JSON object`);
  return v as Json;
}

function objectAt(parent: Json, key: string, label: string): Json {
  const v = parent[key] ?? {};
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new UsageError(`${label}: "${key}" must be an object`);
  parent[key] = v;
  return v as Json;
}

/** Adds git-coord's hook to each event, or brings the one there up to date; keeps every other hook. */
export function mergeSettings(settings: Json, command: string): Json {
  const out = structuredClone(settings);
  const hooks = objectAt(out, 'hooks', '.claude/settings.json');
  for (const { event, matcher } of EVENTS) {
    const groups = hooks[event] ?? [];
    if (!Array.isArray(groups)) throw new UsageError(`.claude/settings.json: hooks.${event} must be an array`);
    hooks[event] = groups;
    const entry = { type: 'command', command, timeout: HOOK_TIMEOUT_S };
    const group = groups.find((g: Json) => Array.isArray(g?.hooks) && (g.hooks as Json[]).some((h) => isOurs(h?.command)));
    if (!group) {
      groups.push({ ...(matcher ? { matcher } : {}), hooks: [entry] });
      continue;
    }
    const list = group.hooks as Json[];
    const i = list.findIndex((h) => isOurs(h?.command));
    // Keep what the user put before the command (`GIT_COORD_AGENT=<id> `, as the README says).
    list[i] = { ...list[i], ...entry, command: `${envPrefix(list[i]!.command)}${command}` };
    if (matcher) group.matcher = matcher;
  }
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

export function setupClaude(ctx: Coord, rt: Runtime, dryRun: boolean): SetupFile[] {
  const top = ctx.repo.top;
  if (!top) throw new UsageError('setup claude needs a work tree (this repository is bare)');
  const plans: { rel: string; next: (cur: Json) => Json }[] = [
    { rel: '.mcp.json', next: (cur) => mergeMcp(cur, rt) },
    { rel: path.join('.claude', 'settings.json'), next: (cur) => mergeSettings(cur, hookCommand(rt)) },
  ];
  // Check, read and merge both before writing either: a bad or unsafe file leaves both untouched.
  const planned = planFiles(top, plans.map((p) => p.rel));
  const files = plans.map(({ next }, k) => {
    const plan = planned[k]!;
    const cur = parseObject(plan.text, plan.rel);
    const merged = next(cur);
    const changed = plan.text === null || JSON.stringify(merged) !== JSON.stringify(cur);
    return { plan, path: plan.rel, changed, content: `${JSON.stringify(merged, null, 2)}\n` };
  });
  if (!dryRun) writePlanned(files.filter((f) => f.changed));
  return files.map(({ path: p, changed, content }) => ({ path: p, changed, content }));
}
