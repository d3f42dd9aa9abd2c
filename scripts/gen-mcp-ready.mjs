// Records what `git-coord mcp`'s real server answers to the opening of a session (initialize for
// each protocol version, tools/list) into dist/mcp-ready.json, for the front (src/mcp/front.ts)
// to answer before the MCP SDK is loaded. The answers come from running the server as built from
// src/mcp/tools.ts now (src/mcp/handshake.ts), never from a copy. Run by scripts/build.mjs.
import { build } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export async function genMcpReady() {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  // Written inside the package (not a data: URL), so that the SDK and zod resolve from node_modules.
  const tmp = path.join(root, 'dist', `.mcp-handshake-${process.pid}.mjs`);
  await build({
    entryPoints: [path.join(root, 'src/mcp/handshake.ts')],
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    outfile: tmp,
    define: { __VERSION__: JSON.stringify(pkg.version) },
    // The same packages as the CLI's bundle loads from node_modules, plus zod/mini (vendored there).
    external: ['@modelcontextprotocol/*', 'zod', 'zod/*', 'yaml'],
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    logLevel: 'warning',
  });
  try {
    const { recordHandshakes } = await import(pathToFileURL(tmp).href);
    const ready = await recordHandshakes();
    fs.writeFileSync(path.join(root, 'dist', 'mcp-ready.json'), JSON.stringify(ready));
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await genMcpReady();
