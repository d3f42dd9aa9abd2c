// Bundles the CLI (with code splitting, so a command loads only what it needs) and the library.
import { build } from 'esbuild';
import fs from 'node:fs';
import { builtinModules } from 'node:module';

// Bundled CommonJS (yaml) calls require() on node builtins: resolve those at bundle
// time to ESM re-exports, so no chunk needs a runtime require (createRequire in every chunk cost
// ~3 ms of start-up).
const builtinShims = {
  name: 'builtin-shims',
  setup(b) {
    const builtins = new Set(builtinModules);
    b.onResolve({ filter: /^[a-z_:/]+$/ }, (a) => {
      const name = a.path.replace(/^node:/, '');
      return a.kind === 'require-call' && builtins.has(name) ? { path: name, namespace: 'builtin-shim' } : undefined;
    });
    b.onLoad({ filter: /.*/, namespace: 'builtin-shim' }, (a) => ({
      contents: `import * as m from 'node:${a.path}'; export default m; export * from 'node:${a.path}';`,
      loader: 'js',
    }));
  },
};

const pkg = JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
fs.rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
await build({
  entryPoints: { cli: 'src/cli.ts', index: 'src/index.ts' },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  minify: true,
  sourcemap: false,
  legalComments: 'none',
  define: { __VERSION__: JSON.stringify(pkg.version) },
  plugins: [builtinShims],
  // The MCP SDK (and zod's classic API it builds on) load from node_modules, only in `git-coord
  // mcp`: bundled, zod's core modules they share with zod/mini would grow the chunk every command loads.
  external: ['@modelcontextprotocol/*', 'zod/v4'],
  logLevel: 'warning',
});
const cli = 'dist/cli.js';
const body = fs.readFileSync(cli, 'utf8').replace(/^#!.*\n/, '');
fs.writeFileSync(cli, `#!/usr/bin/env node\n${body}`);
fs.chmodSync(cli, 0o755);

