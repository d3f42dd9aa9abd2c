// Bundles the CLI and the library as CommonJS: Node starts a CommonJS entry without its ESM
// loader (measured: the ESM loader, module linking and the namespaces of node builtins cost a
// lock several ms). esbuild splits only ESM, so lazy parts stay lazy another way:
// - the CLI's own modules are one file; those it imports with `import()` (each command's module,
//   the hooks' entry, the record schemas) are wrapped by esbuild and run only when imported, so
//   start-up pays for parsing them, not for running them;
// - dependencies needed only sometimes (VENDOR: the yaml parser, zod) are bundled into files of
//   their own under dist/vendor/ and required on first use, so start-up does not even parse them;
//   a package left external (loaded from node_modules) keeps its `import()`.
// - dist/cli.js is only a loader (src/cli.ts): it runs the command line's bundle, dist/app.js,
//   through V8's code cache (src/startup/code-cache.ts), so a start does not compile it again.
//   The loader knows the bundle's build id (a hash of it), part of the cache's name.
// dist/package.json marks dist/ as CommonJS. The library (dist/index.js) is CommonJS too; ESM
// importers get its named exports through Node's CommonJS interop (test/build.test.ts).
import { build } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';

/** Dependencies loaded lazily, each bundled on its own: name -> file under dist/. */
const VENDOR = { yaml: 'vendor/yaml.js', 'zod/mini': 'vendor/zod.js' };

/**
 * An import of a vendored dependency becomes a `require()` of its file, also where the source
 * says `import()`: loading it needs no ESM loader. (Other external packages keep `import()`.)
 */
const vendorFiles = {
  name: 'vendor-files',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (a) => (a.path in VENDOR ? { path: a.path, namespace: 'vendor' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'vendor' }, (a) => ({ contents: `module.exports = require('./${VENDOR[a.path]}');`, loader: 'js' }));
    b.onResolve({ filter: /^\.\/vendor\//, namespace: 'vendor' }, (a) => ({ path: a.path, external: true }));
  },
};

/**
 * The vendored zod: only the functions our schemas call (`z.<name>` in the sources, which import
 * zod one way only), so that esbuild still leaves the rest of zod out.
 */
async function zodEntry() {
  const zod = await import('zod/mini');
  const used = new Set();
  for (const f of fs.readdirSync('src', { recursive: true })) {
    if (!f.endsWith('.ts')) continue;
    const text = fs.readFileSync(path.join('src', f), 'utf8');
    let classic = false;
    for (const [line] of text.matchAll(/^.*from 'zod[^']*'.*$/gm)) {
      // zod/v4 (the classic API, external) is the MCP server's alone: it is not vendored, and
      // its names (z.core, z.toJSONSchema: 390 KB with zod's locales) stay out of the vendored file.
      if (line === "import * as z from 'zod/v4';") classic = true;
      else if (line !== "import * as z from 'zod/mini';") throw new Error(`src/${f}: import zod as \`import * as z from 'zod/mini';\` (the build looks for z.<name>)`);
    }
    if (classic) {
      if (/^import \* as z from 'zod\/mini';$/m.test(text)) throw new Error(`src/${f}: import one zod API per file (zod/mini or zod/v4)`);
      continue;
    }
    for (const m of text.matchAll(/\bz\.(\w+)/g)) if (m[1] in zod) used.add(m[1]);
  }
  return `export { ${[...used].sort().join(', ')} } from 'zod/mini';`;
}

/**
 * `import fs from 'node:fs'` becomes `const fs = require('node:fs')` in our sources: the same
 * object, without the copy of every property esbuild's ESM interop makes at each such import
 * (measured ~1 ms of a command's start-up).
 */
const builtinDefaults = {
  name: 'builtin-defaults',
  setup(b) {
    b.onLoad({ filter: /\/src\/.*\.ts$/ }, (a) => ({
      contents: fs.readFileSync(a.path, 'utf8').replace(/^import (\w+) from '(node:[\w/]+)';$/gm, "const $1 = require('$2');"),
      loader: 'ts',
    }));
  },
};

/** `import text from './file?raw'`: the file's text, embedded (the board's page: HTML, CSS, script). */
const rawText = {
  name: 'raw-text',
  setup(b) {
    b.onResolve({ filter: /\?raw$/ }, (a) => ({ path: path.resolve(a.resolveDir, a.path.slice(0, -4)), namespace: 'raw' }));
    b.onLoad({ filter: /.*/, namespace: 'raw' }, (a) => ({ contents: fs.readFileSync(a.path, 'utf8'), loader: 'text' }));
  },
};

const pkg = JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
fs.rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
const common = {
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  minify: true,
  sourcemap: false,
  legalComments: 'none',
  define: { __VERSION__: JSON.stringify(pkg.version) },
  // The MCP SDK (and zod's classic API it builds on) load from node_modules, only in `git-coord
  // mcp`: bundled, zod's core modules they share with zod/mini would grow what every command loads.
  external: ['@modelcontextprotocol/*', 'zod/v4'],
  logLevel: 'warning',
};
await Promise.all([
  build({ ...common, entryPoints: { app: 'src/app.ts', index: 'src/index.ts' }, outdir: 'dist', plugins: [vendorFiles, builtinDefaults, rawText] }),
  build({ ...common, entryPoints: ['yaml'], outfile: `dist/${VENDOR.yaml}` }),
  build({ ...common, stdin: { contents: await zodEntry(), resolveDir: '.', loader: 'js' }, outfile: `dist/${VENDOR['zod/mini']}` }),
]);
// Generated shell hooks (another build step) go here.

// The loader, built last: it carries the bundle's build id.
const buildId = createHash('sha256').update(fs.readFileSync('dist/app.js')).digest('hex').slice(0, 16);
await build({ ...common, entryPoints: { cli: 'src/cli.ts' }, outdir: 'dist', define: { ...common.define, __BUILD_ID__: JSON.stringify(buildId) }, plugins: [builtinDefaults] });
fs.writeFileSync('dist/package.json', `${JSON.stringify({ type: 'commonjs' }, null, 2)}\n`);
const cli = 'dist/cli.js';
const body = fs.readFileSync(cli, 'utf8').replace(/^#!.*\n/, '');
fs.writeFileSync(cli, `#!/usr/bin/env node\n${body}`);
fs.chmodSync(cli, 0o755);
await (await import('./gen-shell.mjs')).genShell(); // the shell hooks, from their sources and the TypeScript definitions
await (await import('./gen-mcp-ready.mjs')).genMcpReady(); // the MCP front's answers, from the real server
