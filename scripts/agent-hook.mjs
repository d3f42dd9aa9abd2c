// Writes hooks/agent-pre-tool-use with its placeholders filled (the agent hooks' shell fast path).
// PHASE 2: these constants are to come from the TypeScript definitions through the shell-hook
// generator (LOCKS and MAX_ANCHOR_BYTES in src/store/layout.ts, WRITE_TOOLS in src/hooks/claude.ts);
// test/agent-hook-shell.test.ts checks that they equal the TypeScript ones meanwhile.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export const AGENT_HOOK_CONSTANTS = {
  LOCKS_REF_PREFIX: 'refs/coordination/locks/',
  MAX_COMPONENT: 200,
  MAX_ANCHOR_BYTES: 1024,
  MAX_QUERY_BYTES: 65536,
  MAX_INPUT_BYTES: 262144,
  WRITE_TOOLS: 'Write Edit MultiEdit NotebookEdit',
};

/** The script's text with every placeholder filled; `node` and `cli` are the git-coord it hands over to. */
export function renderAgentHook({ node = process.execPath, cli = path.join(ROOT, 'dist', 'cli.js') } = {}) {
  const values = { ...AGENT_HOOK_CONSTANTS, NODE: node, CLI: cli };
  const text = fs.readFileSync(path.join(ROOT, 'hooks', 'agent-pre-tool-use'), 'utf8');
  // Single-quoted in the script: a quote in a path is written as '\''.
  const out = text.replace(/@([A-Z_]+)@/g, (m, k) => (k in values ? String(values[k]).replace(/'/g, `'\\''`) : m));
  const left = out.match(/@[A-Z_]+@/);
  if (left) throw new Error(`agent-pre-tool-use: no value for ${left[0]}`);
  return out;
}

/** Writes the filled script to `file`, executable. */
export function writeAgentHook(file, opts) {
  fs.writeFileSync(file, renderAgentHook(opts), { mode: 0o755 });
  return file;
}
