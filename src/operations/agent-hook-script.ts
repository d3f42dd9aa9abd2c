/**
 * The agents' edit hook for one repository: `hooks/agent-pre-tool-use` (the shell fast path of
 * `hook claude` and `hook codex`, generated at build from hooks/agent-pre-tool-use.in and
 * src/shell/values.ts), with the two values only an install knows filled in: @NODE@ and @CLI@,
 * the node and dist/cli.js of the git-coord it hands over to. `setup claude` and `setup codex`
 * write it to `<git common dir>/git-coord/agent-pre-tool-use` (beside the husky copies of the git
 * hooks: one file for every worktree) and register `sh '<that file>' claude|codex` for PreToolUse
 * of the file tools. This is the one renderer (scripts/agent-hook.mjs, the bench and the tests use it).
 */
import fs from 'node:fs';
import path from 'node:path';
import { shellQuote } from '../printable.js';
import type { Runtime } from './hooks.js';
import { planFile, writePlanned } from './setup-files.js';

export const AGENT_HOOK = 'agent-pre-tool-use';

/** `template` with @NODE@ and @CLI@ filled (single-quoted in the script: a quote is written '\''). */
export function fillAgentHook(template: string, node: string, cli: string): string {
  const values: Record<string, string> = { NODE: node, CLI: cli };
  // Replaced by a function, so a `$&` in a path is not read as a replacement pattern.
  const out = template.replace(/@([A-Z_]+)@/g, (m, k: string) => (k in values ? shellQuote(values[k]!).slice(1, -1) : m));
  const left = out.match(/@[A-Z_]+@/);
  if (left) throw new Error(`${AGENT_HOOK}: no value for ${left[0]}`);
  return out;
}

/** The script for the git-coord of `rt` (its template read from the package's hooks/). */
export function renderAgentHook(rt: Pick<Runtime, 'node' | 'cli' | 'root'>): string {
  return fillAgentHook(fs.readFileSync(path.join(rt.root, 'hooks', AGENT_HOOK), 'utf8'), rt.node, rt.cli);
}

/** Where setup writes the script for a repository. */
export function agentHookPath(commonDir: string): string {
  return path.join(commonDir, 'git-coord', AGENT_HOOK);
}

/** The command the agents run: the script through sh (no reliance on its mode or the mount's exec flag). */
export function agentHookCommand(file: string, agent: 'claude' | 'codex'): string {
  return `sh ${shellQuote(file)} ${agent}`;
}

/** A command naming a git-coord edit-hook script for `agent` (this repository's or another's). */
export function isAgentHookCommand(command: unknown, agent: 'claude' | 'codex'): boolean {
  return typeof command === 'string' && new RegExp(`\\bsh\\s+'(?:[^']|'\\\\'')*\\/${AGENT_HOOK}'\\s+${agent}\\s*$`).test(command);
}

/**
 * Writes the script for `rt` into the common git dir by the safe-write rule, executable; plans
 * (checks and reads) it first. Returns its path and whether it changed; `dryRun` writes nothing.
 */
export function planAgentHook(commonDir: string, rt: Pick<Runtime, 'node' | 'cli' | 'root'>): { file: string; changed: boolean; write: () => void } {
  const file = agentHookPath(commonDir);
  const planned = planFile(file, file, commonDir);
  const text = renderAgentHook(rt);
  const changed = planned.current !== text;
  return {
    file,
    changed,
    write: () => {
      if (changed) writePlanned(planned, text);
      fs.chmodSync(planned.real, 0o755);
    },
  };
}
