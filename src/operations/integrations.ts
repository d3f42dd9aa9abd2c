/** Agents' own ways in: the briefing (`prime`) and Claude Code's setup. (Installing git's hooks: hooks.ts.) */
import { gatherBriefing, type Briefing } from '../views/briefing.js';
import { setupClaude as setup, type SetupFile } from './claude-setup.js';
import type { Runtime } from './hooks.js';
import type { CodexSetup } from './codex-setup.js';
import type { Coord } from '../session/coord.js';

export type { Runtime, SetupFile, Briefing, CodexSetup };

/** The briefing: who the agent is, what it holds, what to do next. */
export async function prime(ctx: Coord): Promise<Briefing> {
  return gatherBriefing(ctx, ctx.readMode());
}

/** Registers the MCP server and the hooks with Claude Code; `runtime`: the Node and CLI they call. */
export async function setupClaude(
  ctx: Coord,
  input: { runtime: Runtime; dryRun?: boolean; user?: boolean; local?: boolean; home?: string },
): Promise<{ ok: true; dryRun: boolean; files: SetupFile[] }> {
  const dryRun = Boolean(input.dryRun);
  return { ok: true, dryRun, files: setup(ctx, input.runtime, { dryRun, user: Boolean(input.user), local: Boolean(input.local), ...(input.home ? { home: input.home } : {}) }) };
}

/** Registers the MCP server and the hooks with Codex (`.codex/config.toml`, `.codex/hooks.json`). */
export async function setupCodex(ctx: Coord, input: { runtime: Runtime; dryRun?: boolean; trust?: boolean }): Promise<CodexSetup> {
  return (await import('./codex-setup.js')).setupCodex(ctx, input.runtime, Boolean(input.dryRun), Boolean(input.trust));
}
