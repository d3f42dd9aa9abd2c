/**
 * The built package: the CLI is CommonJS (no ESM loader at start-up); the library entry still
 * serves ESM importers, by path and by the package's name, with every named export.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENV, ROOT, gitSync, tmpdir } from './helpers.js';

function node(cwd: string, args: string[]) {
  return spawnSync(process.execPath, args, { cwd, env: ENV, encoding: 'utf8' });
}

describe('the built package', () => {
  it('an ESM program imports the library by path and by name, and uses it', () => {
    const dir = tmpdir('build');
    gitSync(dir, 'init', '-q', '-b', 'main');
    const program = `
      import * as byPath from ${JSON.stringify(path.join(ROOT, 'dist', 'index.js'))};
      import { Coord, Locks, LockRecord, EventRecord, ConfigFile, parsePattern, parseDuration, EXIT, RefusedError } from 'git-coord';
      const names = ['Coord', 'Locks', 'LockRecord', 'EventRecord', 'ConfigFile', 'history', 'installHooks', 'uninstallHooks',
        'checkCommit', 'parsePattern', 'overlaps', 'parseDuration', 'CoordError', 'UsageError', 'RefusedError', 'FailedError', 'EXIT'];
      const missing = names.filter((n) => byPath[n] === undefined);
      const ctx = await Coord.open({ cwd: process.argv[2], agent: 'alice' });
      const [lock] = await new Locks(ctx).lock(['src/'], { ttlMs: parseDuration('1h') });
      const other = await Coord.open({ cwd: process.argv[2], agent: 'bob' });
      let refused = false;
      try { await new Locks(other).lock(['src/a.ts']); } catch (e) { refused = e instanceof RefusedError && e.exitCode === EXIT.refused; }
      ctx.close(); other.close();
      console.log(JSON.stringify({ missing, pattern: lock.pattern, refused, schema: LockRecord.safeParse({}).success,
        config: ConfigFile.safeParse({ ttl: '1h' }).success, event: typeof EventRecord.safeParse, glob: parsePattern('a/*.ts', { top: '/', prefix: '' }).kind }));
    `;
    // As installed: node_modules/git-coord, resolved through package.json's "exports".
    fs.mkdirSync(path.join(dir, 'app', 'node_modules'), { recursive: true });
    fs.symlinkSync(ROOT, path.join(dir, 'app', 'node_modules', 'git-coord'));
    const file = path.join(dir, 'app', 'program.mjs');
    fs.writeFileSync(file, program);
    const r = node(dir, [file, dir]);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ missing: [], pattern: 'src/', refused: true, schema: false, config: true, event: 'function', glob: 'glob' });
  });

  it('a lock loads neither zod nor the yaml parser; reading another process\'s record loads zod', () => {
    const dir = tmpdir('build');
    gitSync(dir, 'init', '-q', '-b', 'main');
    const cli = path.join(ROOT, 'dist', 'cli.js');
    const loaded = (args: string[]) => {
      const r = spawnSync(process.execPath, [cli, ...args], { cwd: dir, env: { ...ENV, NODE_DEBUG: 'module', GIT_COORD_TRACE: '1', GIT_COORD_AGENT: 'alice' }, encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      // Files required as usual, and the vendored ones the loader runs through the code cache.
      return [
        ...[...r.stderr.matchAll(/^MODULE \d+: load "([^"]+)"/gm)].map((m) => path.relative(path.join(ROOT, 'dist'), m[1]!)),
        ...[...r.stderr.matchAll(/^trace: code cache \((\w+)\):/gm)].map((m) => path.join('vendor', `${m[1]}.js`)),
      ];
    };
    expect(loaded(['lock', 'a.txt'])).toEqual(['cli.js']);
    expect(loaded(['unlock', 'a.txt'])).toEqual(['cli.js', path.join('vendor', 'zod.js')]);
  });

  it('the CLI is CommonJS and starts without an ESM loader', () => {
    expect(JSON.parse(fs.readFileSync(path.join(ROOT, 'dist', 'package.json'), 'utf8')).type).toBe('commonjs');
    // A CommonJS entry has `require`; in ESM this would throw.
    const cli = JSON.stringify(path.join(ROOT, 'dist', 'cli.js'));
    const r = node(ROOT, ['-e', `process.argv = [process.argv[0], ${cli}, '--version']; require(${cli})`]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe('the code cache (src/startup/code-cache.ts)', () => {
  const cli = path.join(ROOT, 'dist', 'cli.js');
  function setup() {
    const dir = tmpdir();
    gitSync(dir, 'init', '-q', '-b', 'main');
    fs.mkdirSync(path.join(dir, 'cache'), { mode: 0o700 });
    return dir;
  }
  const run = (dir: string, args: string[], env: NodeJS.ProcessEnv = {}) =>
    spawnSync(process.execPath, [cli, ...args], { cwd: dir, env: { ...ENV, XDG_CACHE_HOME: path.join(dir, 'cache'), GIT_COORD_TRACE: '1', GIT_COORD_AGENT: 'alice', ...env }, encoding: 'utf8' });
  const state = (stderr: string) => /trace: code cache: (used|none yet|rejected|off)/.exec(stderr)?.[1];
  const files = (dir: string) => (fs.existsSync(path.join(dir, 'cache', 'git-coord', 'v8')) ? fs.readdirSync(path.join(dir, 'cache', 'git-coord', 'v8')) : []);

  it('the first command writes it in the user\'s cache directory, private; the next ones use it and answer the same', () => {
    const dir = setup();
    const first = run(dir, ['lock', 'a.txt']);
    expect(first.status, first.stderr).toBe(0);
    expect(state(first.stderr)).toBe('none yet');
    expect(files(dir)).toHaveLength(1);
    const v8dir = path.join(dir, 'cache', 'git-coord', 'v8');
    expect(fs.statSync(v8dir).mode & 0o777).toBe(0o700);
    expect(fs.statSync(path.join(v8dir, files(dir)[0]!)).mode & 0o777).toBe(0o600);
    const second = run(dir, ['locks', '--json']);
    expect(second.status, second.stderr).toBe(0);
    expect(state(second.stderr)).toBe('used');
    expect(JSON.parse(second.stdout).map((l: { pattern: string }) => l.pattern)).toEqual(['a.txt']);
    const off = run(dir, ['locks', '--json'], { GIT_COORD_NO_COMPILE_CACHE: '1' });
    expect(state(off.stderr)).toBe('off');
    expect(off.stdout).toBe(second.stdout);
    // A vendored dependency loaded on demand (zod: `locks` checks the records it reads) is cached as well.
    const vendor = /trace: code cache \(zod\): (used|none yet|rejected|off)/;
    expect(vendor.exec(second.stderr)?.[1]).toBe('none yet');
    const third = run(dir, ['locks', '--json']);
    expect(vendor.exec(third.stderr)?.[1]).toBe('used');
    expect(third.stdout).toBe(second.stdout);
    expect(vendor.exec(off.stderr)?.[1]).toBe('off');
    expect(files(dir).filter((f) => f.includes('-vendor-zod-'))).toHaveLength(1);
  });

  it('a cache that does not fit is rejected and replaced; a directory others can write into is never written', () => {
    const dir = setup();
    expect(run(dir, ['whoami']).status).toBe(0);
    // The bundle's own cache (a vendored dependency's has `-vendor-` in its name).
    const [name] = files(dir).filter((f) => !f.includes('-vendor-'));
    const file = path.join(dir, 'cache', 'git-coord', 'v8', name!);
    fs.writeFileSync(file, Buffer.alloc(fs.statSync(file).size, 7));
    const r = run(dir, ['whoami']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('alice');
    expect(state(r.stderr)).toBe('rejected');
    expect(state(run(dir, ['whoami']).stderr)).toBe('used');

    // A cache directory others can write into is neither read nor written.
    const open = setup();
    fs.mkdirSync(path.join(open, 'cache', 'git-coord', 'v8'), { recursive: true });
    fs.chmodSync(path.join(open, 'cache', 'git-coord', 'v8'), 0o777);
    expect(state(run(open, ['whoami']).stderr)).toBe('off');
    expect(files(open)).toEqual([]);
    fs.chmodSync(path.join(open, 'cache', 'git-coord', 'v8'), 0o700);
    fs.chmodSync(path.join(open, 'cache', 'git-coord'), 0o777);
    expect(state(run(open, ['whoami']).stderr)).toBe('off');
    expect(files(open)).toEqual([]);
  });
});
