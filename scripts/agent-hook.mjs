// Writes the agents' edit hook (hooks/agent-pre-tool-use, the shell fast path of `hook claude` and
// `hook codex`) for an install: the script the build generated from hooks/agent-pre-tool-use.in
// (its constants, limits and query come from the TypeScript definitions through
// scripts/gen-shell.mjs and src/shell/values.ts), with the two values only an install knows filled
// in: @NODE@ and @CLI@, the node and dist/cli.js of the git-coord it hands over to.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The script's text with every placeholder filled; `node` and `cli` are the git-coord it hands over to. */
export function renderAgentHook({ node = process.execPath, cli = path.join(ROOT, 'dist', 'cli.js') } = {}) {
  const values = { NODE: node, CLI: cli };
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
