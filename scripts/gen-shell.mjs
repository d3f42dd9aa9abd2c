// Generates the shell hooks from their sources (hooks/*.in, templates/pre-receive.in): the
// constants, flags, queries and messages they share with TypeScript are taken from the TypeScript
// definitions (src/shell/values.ts gathers them) and written in place of each `# @GENERATED@`
// line. Run by scripts/build.mjs; the generated scripts are not kept in git (see .gitignore).
// test/shell-parity.test.ts holds them equal to their sources.
import { build } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** src/shell/values.ts, bundled in memory and loaded: the same code the tests import. */
async function values() {
  const out = await build({
    entryPoints: [path.join(root, 'src/shell/values.ts')],
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    write: false,
    define: { __VERSION__: '"0"' },
    external: ['@modelcontextprotocol/*', 'zod/v4'],
    logLevel: 'warning',
  });
  const code = out.outputFiles[0].text;
  return import(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`);
}

export async function genShell() {
  const { renderShell, SHELL_SCRIPTS } = await values();
  for (const [source, target] of Object.entries(SHELL_SCRIPTS)) {
    const text = renderShell(fs.readFileSync(path.join(root, source), 'utf8'));
    fs.writeFileSync(path.join(root, target), text, { mode: 0o755 });
    fs.chmodSync(path.join(root, target), 0o755);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await genShell();
