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
  let src: string;
  let cacheFile: string | null = null;
  let cachedData: Buffer | undefined;
  try {
    src = fs.readFileSync(file, 'utf8');
    if (dir && ownedPrivate(dir)) {
      const st = fs.statSync(file);
      cacheFile = path.join(dir, `${buildId}-${st.size}-${Math.floor(st.mtimeMs)}-${process.version}-${process.arch}.bin`);
      try {
        cachedData = fs.readFileSync(cacheFile);
      } catch {
        cachedData = undefined;
      }
    }
  } catch {
    require(file);
    return;
  }
  const script = new vm.Script(M.wrap(src), {
    filename: file,
    ...(cachedData ? { cachedData } : {}),
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  if (process.env.GIT_COORD_TRACE) process.stderr.write(`trace: code cache: ${!cacheFile ? 'off' : !cachedData ? 'none yet' : script.cachedDataRejected ? 'rejected' : 'used'}\n`);
  if (cacheFile && (!cachedData || script.cachedDataRejected)) {
    const target = cacheFile;
    // Written once, at exit: by then V8 has compiled the functions this command ran as well.
    process.once('exit', () => writeCache(dir!, target, script));
  }
  const m = new Module(file, module) as Module & { filename: string; paths: string[]; loaded: boolean };
  m.filename = file;
  m.paths = M._nodeModulePaths(path.dirname(file));
  const fn = script.runInThisContext() as (exports: unknown, require: NodeJS.Require, module: unknown, filename: string, dirname: string) => void;
  const req = ((id: string) => m.require(id)) as NodeJS.Require;
  fn.call(m.exports, m.exports, req, m, file, path.dirname(file));
  m.loaded = true;
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
