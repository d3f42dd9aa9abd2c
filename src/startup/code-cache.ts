/**
 * Start-up: runs a CommonJS bundle with V8's code cache, so that a command does not parse and
 * compile the bundle again at every start (measured in docs/design.md, Start-up).
 *
 * - Node 22.1 and later: `module.enableCompileCache()`, Node's own (validated by a hash of the
 *   source), then a plain `require()`.
 * - Node 20: the bundle is compiled through `vm.Script` with `cachedData`; after the first run the
 *   code V8 compiled (the functions that run, too) is written once to the cache, and later starts
 *   reuse it. V8 checks only the source's length and its own version and flags, so the cache
 *   file's name also carries the bundle's build id, size and modification time: a changed bundle
 *   never meets an old cache.
 *
 * The cache lives in the user's own cache directory ($XDG_CACHE_HOME or ~/.cache, then
 * git-coord/v8/, mode 0700), never in a shared one: code read from it runs as the user.
 * GIT_COORD_NO_COMPILE_CACHE=1 (or Node's NODE_DISABLE_COMPILE_CACHE=1) turns it off. Any error
 * on the way (no home, a read-only disk, a rejected cache) falls back to compiling as usual.
 */
import fs from 'node:fs';
import path from 'node:path';
import Module from 'node:module';
import vm from 'node:vm';

interface NodeModuleInternals {
  wrap(src: string): string;
  _nodeModulePaths(dir: string): string[];
  enableCompileCache?: (dir?: string) => unknown;
}

/** The directory for cache files, or null when caching is off or there is no private place for it. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.GIT_COORD_NO_COMPILE_CACHE === '1' || env.NODE_DISABLE_COMPILE_CACHE === '1') return null;
  const base = env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : env.HOME && path.isAbsolute(env.HOME) ? path.join(env.HOME, '.cache') : null;
  return base ? path.join(base, 'git-coord', 'v8') : null;
}

/** Runs the CommonJS file `file` as the main program, through the code cache when there is one. */
export function runCached(file: string, buildId: string): void {
  const M = Module as unknown as NodeModuleInternals;
  const dir = cacheDir();
  if (dir && typeof M.enableCompileCache === 'function') {
    try {
      M.enableCompileCache(dir);
    } catch {
      // Runs without it.
    }
    require(file);
    return;
  }
  const safeDir = dir && ownedPrivate(dir) ? dir : null;
  if (!loadCached(file, buildId, dir, safeDir, module, '')) require(file);
}

/** The bundle's vendored dependencies (dist/vendor/, required on first use): through the cache too. */
const VENDOR = /^\.\/vendor\/[a-z0-9-]+\.js$/;
const vendored = new Map<string, unknown>();

/**
 * Compiles and runs the CommonJS file `file` with V8's code cache (`tag` names a dependency's
 * cache file apart from the bundle's: '' for the bundle), and returns its exports; false when the
 * file cannot be read (the caller requires it as usual). The cache file's name carries the build
 * id, the file's size and modification time and the Node version: a changed file never meets an
 * old cache. It is written once, at exit, so it holds the functions that ran as well.
 */
function loadCached(file: string, buildId: string, dir: string | null, safeDir: string | null, parent: NodeJS.Module, tag: string): { exports: unknown } | false {
  const M = Module as unknown as NodeModuleInternals;
  let src: string;
  let cacheFile: string | null = null;
  let cachedData: Buffer | undefined;
  try {
    src = fs.readFileSync(file, 'utf8');
    if (safeDir) {
      const st = fs.statSync(file);
      cacheFile = path.join(safeDir, `${buildId}-${tag ? `vendor-${tag}-` : ''}${st.size}-${Math.floor(st.mtimeMs)}-${process.version}-${process.arch}.bin`);
      try {
        cachedData = fs.readFileSync(cacheFile);
      } catch {
        cachedData = undefined;
      }
    }
  } catch {
    return false;
  }
  const script = new vm.Script(M.wrap(src), {
    filename: file,
    ...(cachedData ? { cachedData } : {}),
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  if (process.env.GIT_COORD_TRACE) process.stderr.write(`trace: code cache${tag ? ` (${tag})` : ''}: ${!cacheFile ? 'off' : !cachedData ? 'none yet' : script.cachedDataRejected ? 'rejected' : 'used'}\n`);
  if (cacheFile && (!cachedData || script.cachedDataRejected)) {
    const target = cacheFile;
    // Written once, at exit: by then V8 has compiled the functions this command ran as well.
    process.once('exit', () => writeCache(safeDir!, target, script));
  }
  const m = new Module(file, parent) as Module & { filename: string; paths: string[]; loaded: boolean };
  m.filename = file;
  m.paths = M._nodeModulePaths(path.dirname(file));
  const fn = script.runInThisContext() as (exports: unknown, require: NodeJS.Require, module: unknown, filename: string, dirname: string) => void;
  // The bundle's own requires of its vendored files go through the cache as well.
  const req = ((id: string) => {
    if (tag || !VENDOR.test(id)) return m.require(id);
    const target = path.join(path.dirname(file), id);
    if (!vendored.has(target)) {
      const loaded = loadCached(target, buildId, dir, safeDir, m, path.basename(id, '.js'));
      vendored.set(target, loaded ? loaded.exports : m.require(id));
    }
    return vendored.get(target);
  }) as NodeJS.Require;
  fn.call(m.exports, m.exports, req, m, file, path.dirname(file));
  m.loaded = true;
  return m;
}

/**
 * Whether `dir` (missing: its nearest existing parent) and its parent belong to this user and
 * nobody else can write into them: code read from a cache there runs as the user.
 */
function ownedPrivate(dir: string): boolean {
  if (typeof process.getuid !== 'function') return true;
  const uid = process.getuid();
  for (const d of [dir, path.dirname(dir)]) {
    let st: fs.Stats;
    try {
      st = fs.statSync(d);
    } catch {
      continue;
    }
    if (st.uid !== uid || (st.mode & 0o022) !== 0) return false;
  }
  return true;
}

/** Cache files kept (the newest): one per build and Node version in use. */
const KEEP = 8;

function writeCache(dir: string, file: string, script: vm.Script): void {
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (!ownedPrivate(dir)) return;
    // Older builds' caches go: the newest few stay (several installs may be in use).
    const old = fs.readdirSync(dir).filter((f) => f.endsWith('.bin')).map((f) => ({ f, t: fs.statSync(path.join(dir, f)).mtimeMs })).sort((a, b) => b.t - a.t);
    for (const { f } of old.slice(KEEP - 1)) fs.rmSync(path.join(dir, f), { force: true });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, script.createCachedData(), { mode: 0o600 });
    fs.renameSync(tmp, file);
    if (process.env.GIT_COORD_TRACE) process.stderr.write(`trace: code cache: written ${file}\n`);
  } catch {
    // A cache is an optimisation: never an error.
  }
}
