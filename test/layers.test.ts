/**
 * The house's layers (docs/design.md, "The layers"): every import in src/ runs down, never up, and
 * never in a circle. Faces never import each other.
 *
 *   entry (src/cli.ts: joins the faces)
 *   faces: cli/, mcp/, hooks/, index.ts (the library)
 *   operations/
 *   views/
 *   concepts: patterns/, locks/, tasks/, messages/, agents/, history/, session/, and any new folder
 *   store/
 *   git/
 *   bottom: errors.ts, printable.ts, schemas.ts, fields.ts, time.ts, version.ts, stdin.ts, early-signals.ts
 *   (src/shell/ runs at build time only and may read any layer)
 *
 * Static imports, re-exports, type-only imports and dynamic `import()` all count. Concepts may
 * import one another (tasks use locks), but not in a circle.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers.js';

const SRC = path.join(ROOT, 'src');

const FACES = ['cli', 'mcp', 'hooks', 'board', 'index.ts'];
const RANK: Record<string, number> = { bottom: 0, git: 1, store: 2, concept: 3, views: 4, operations: 5, face: 6, entry: 7 };
const BOTTOM = new Set(['errors.ts', 'printable.ts', 'schemas.ts', 'fields.ts', 'time.ts', 'version.ts', 'stdin.ts', 'early-signals.ts']);

/**
 * Known exceptions, each while another change of issue 12 is under way (the store and concepts
 * split, the zod rules): the test fails when one is no longer there, so this list only shrinks.
 */
const ALLOWED = new Set<string>([]);

/** A file's place: its layer, and for a face or a concept which one. */
function place(file: string): { layer: keyof typeof RANK; unit: string } {
  const rel = path.relative(SRC, file).split(path.sep);
  const top = rel[0]!;
  if (rel.length === 1) {
    if (top === 'cli.ts' || top === 'app.ts') return { layer: 'entry', unit: top };
    if (top === 'index.ts') return { layer: 'face', unit: top };
    if (BOTTOM.has(top)) return { layer: 'bottom', unit: top };
    throw new Error(`src/${top}: not placed in a layer (add it to test/layers.test.ts)`);
  }
  // src/shell/ is read at build time only, to generate the shell hooks from every layer's constants.
  if (top === 'shell' || top === 'startup') return { layer: 'entry', unit: top };
  if (FACES.includes(top)) return { layer: 'face', unit: top };
  if (top === 'git' || top === 'store' || top === 'views' || top === 'operations') return { layer: top, unit: top };
  return { layer: 'concept', unit: top };
}

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sources(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

/** Every relative module a file imports: `import … from`, `export … from`, `import '…'`, `import('…')`. */
export function importsOf(text: string): string[] {
  const code = text.replace(/\/\*[^]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
  const found: string[] = [];
  for (const m of code.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])([^'"]+)\1/g)) found.push(m[2]!);
  // Static assets embedded at build time (`./assets/index.html?raw`) are not modules.
  return found.filter((s) => s.startsWith('.') && !s.endsWith('?raw'));
}

function resolve(from: string, spec: string): string {
  const target = path.resolve(path.dirname(from), spec.replace(/\.js$/, '.ts'));
  if (!fs.existsSync(target)) throw new Error(`${path.relative(ROOT, from)} imports ${spec}: no such file`);
  return target;
}

const files = sources(SRC);
const graph = new Map(files.map((f) => [f, importsOf(fs.readFileSync(f, 'utf8')).map((s) => resolve(f, s))]));
const rel = (f: string) => path.relative(ROOT, f);

/** Imports that run up a layer or across faces. */
function upward(): string[] {
  const bad: string[] = [];
  for (const [file, deps] of graph) {
    const a = place(file);
    for (const dep of deps) {
      const b = place(dep);
      const up = RANK[b.layer]! > RANK[a.layer]!;
      const acrossFaces = a.layer === 'face' && b.layer === 'face' && a.unit !== b.unit;
      if (up || acrossFaces) bad.push(`${rel(file)} -> ${rel(dep)}`);
    }
  }
  return bad;
}

/** Every circle met by a depth-first walk, as `a -> b -> a`. */
function circles(): string[] {
  const found: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (f: string) => {
    state.set(f, 'open');
    stack.push(f);
    for (const d of graph.get(f) ?? []) {
      if (state.get(d) === 'open') found.push([...stack.slice(stack.indexOf(d)), d].map(rel).join(' -> '));
      else if (!state.has(d)) visit(d);
    }
    stack.pop();
    state.set(f, 'done');
  };
  for (const f of [...files].sort()) if (!state.has(f)) visit(f);
  return found;
}

describe('layers', () => {
  it('finds the imports of every form', () => {
    expect(importsOf(`import a from './a.js';\nimport type { B } from "../b.js";\nexport { c } from './c.js';\nimport './d.js';\nconst e = () => import('./e.js');\n// import x from './x.js'\nimport z from 'node:fs';`)).toEqual(['./a.js', '../b.js', './c.js', './d.js', './e.js']);
  });

  it('no import runs up a layer, and no face imports another', () => {
    expect(upward().filter((e) => !ALLOWED.has(e))).toEqual([]);
  });

  it('no circles', () => {
    expect(circles().filter((c) => !ALLOWED.has(c))).toEqual([]);
  });

  it('every allowed exception is still there (remove it from the list once fixed)', () => {
    const found = new Set([...upward(), ...circles()]);
    expect([...ALLOWED].filter((e) => !found.has(e))).toEqual([]);
  });
});
