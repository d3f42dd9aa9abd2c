// Writes the agents' edit hook (hooks/agent-pre-tool-use, the shell fast path of `hook claude` and
// `hook codex`) to a file of one's choosing, for the bench: the one renderer is git-coord's own
// (src/operations/agent-hook-script.ts, which `setup claude` and `setup codex` use), taken from the
// built library (dist/index.js: run `npm run build` first).
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { renderAgentHook } = createRequire(import.meta.url)(path.join(ROOT, 'dist', 'index.js'));

/** Writes the filled script to `file`, executable; `node` and `cli` are the git-coord it hands over to. */
export function writeAgentHook(file, { node = process.execPath, cli = path.join(ROOT, 'dist', 'cli.js') } = {}) {
  fs.writeFileSync(file, renderAgentHook({ node, cli, root: ROOT }), { mode: 0o755 });
  return file;
}
