/**
 * Agents' writes judged against the locks, for the agent hooks (Claude Code, Codex): one
 * operation whatever the client.
 *
 * - `judgeWrites`: the paths a tool call is about to write (absolute; a path may be a directory,
 *   which counts every held path below it) against other agents' unexpired locks.
 * - `snapshotHeld` / `changedHeld`: what the paths other agents hold look like before a shell
 *   command (git's status code and lstat of each), and which of them differ after it: for a
 *   command whose writes cannot all be named before it runs (an interpreter, a script, a build).
 *
 * Every read is of the local view (a hook never waits for a remote).
 */
import fs from 'node:fs';
import path from 'node:path';
import { Locks, type LockView } from '../locks/locks.js';
import { overlaps } from '../patterns/overlap.js';
import { PathIndex } from '../patterns/matcher.js';
import { patternFromText, type Pattern } from '../patterns/pattern.js';
import { runGit } from '../git/run.js';
import type { Coord } from '../session/coord.js';
import type { ReadMode } from '../store/records.js';
import { heldByOthers, type PublicConflict } from './locks.js';

/** The most held paths a snapshot records; past it, git's status codes alone are compared. */
export const SNAPSHOT_MAX_PATHS = 5_000;
/** The most anchors given to git status as pathspecs; past it, the whole tree is asked. */
const MAX_PATHSPECS = 500;

/**
 * `file` as a path of the work tree at `top` (`/`-separated): '' for the top itself, null when it
 * lies outside or in .git. git reports the top with symlinks resolved, so the file's existing
 * part is resolved the same way.
 */
export function insideTree(top: string | null, file: string): string | null {
  if (!top) return null;
  let base = file;
  const rest: string[] = [];
  while (!fs.existsSync(base) && path.dirname(base) !== base) {
    rest.unshift(path.basename(base));
    base = path.dirname(base);
  }
  let real: string;
  try {
    real = path.join(fs.realpathSync(base), ...rest);
  } catch {
    return null;
  }
  const rel = path.relative(top, real);
  if (rel === '') return '';
  if (rel.startsWith('..') || path.isAbsolute(rel)) return null;
  const p = rel.split(path.sep).join('/');
  return p === '.git' || p.startsWith('.git/') ? null : p;
}

function isDir(abs: string): boolean {
  try {
    return fs.statSync(abs).isDirectory();
  } catch {
    return false;
  }
}

/** Other agents' unexpired locks (the local view). */
export async function othersLocks(ctx: Coord, agent: string | null, mode: ReadMode): Promise<LockView[]> {
  return (await new Locks(ctx).list({ mode })).filter((l) => l.agent !== agent);
}

/**
 * The conflicts of writing `targets` (absolute paths; an existing directory, or one given with a
 * trailing `/`, counts everything below it) as `agent`: other agents' unexpired locks covering
 * them. Targets outside this work tree are not judged here.
 */
export async function judgeWrites(ctx: Coord, input: { targets: string[]; agent: string | null; mode: ReadMode }): Promise<PublicConflict[]> {
  const top = ctx.repo.top;
  const files: string[] = [];
  const dirs: string[] = [];
  for (const t of input.targets) {
    const rel = insideTree(top, t);
    if (rel === null) continue;
    if (rel === '' || t.endsWith('/') || isDir(t)) dirs.push(rel);
    else files.push(rel);
  }
  const out = files.length > 0 ? await heldByOthers(ctx, { paths: [...new Set(files)], agent: input.agent, mode: input.mode }) : [];
  if (dirs.length > 0) {
    const others = await othersLocks(ctx, input.agent, input.mode);
    for (const d of new Set(dirs)) {
      const mine = patternFromText(d === '' ? './' : `${d}/`);
      for (const l of others) {
        if (overlaps(mine, patternFromText(l.pattern))) out.push({ path: d === '' ? '.' : `${d}/`, pattern: l.pattern, agent: l.agent, reason: l.reason, expiresAt: l.expiresAt });
      }
    }
  }
  return out;
}

/** One held path before or after a command: git's status code and lstat (no hashing: a stat change is a write). */
interface PathState {
  xy: string;
  st: string | null;
}

export interface Snapshot {
  v: 1;
  /** The held paths and their state ('' status: clean or not there). */
  paths: Record<string, PathState>;
  /** More held paths than SNAPSHOT_MAX_PATHS: only status codes were recorded. */
  capped: boolean;
}

/** A held path that changed, with the lock covering it. */
export interface ChangedHeld extends PublicConflict {
  /** The path did not exist before (a new file: undo by removing it). */
  created: boolean;
  /** The path exists no more. */
  deleted: boolean;
}

function statOf(abs: string): string | null {
  try {
    const s = fs.lstatSync(abs, { bigint: true });
    return `${s.mode}:${s.size}:${s.ino}:${s.mtimeNs}:${s.ctimeNs}`;
  } catch {
    return null;
  }
}

/** The pathspecs covering every path the locks can match: each lock's anchor, literally. */
function pathspecs(locks: Pattern[]): string[] {
  const anchors = new Set<string>();
  for (const p of locks) {
    const a = p.anchor.join('/');
    if (a === '') return []; // a pattern anchored at the top (`*.md`, `./`): the whole tree
    anchors.add(a);
  }
  return anchors.size > MAX_PATHSPECS ? [] : [...anchors].map((a) => `:(literal)${a}`);
}

/** git's status of the paths below the anchors: path -> XY. */
async function statusOf(top: string, specs: string[]): Promise<Map<string, string>> {
  const r = await runGit(top, ['--no-optional-locks', 'status', '--porcelain=v1', '-z', '--untracked-files=all', '--no-renames', '--ignore-submodules=all', '--', ...(specs.length ? specs : ['.'])]);
  const out = new Map<string, string>();
  if (r.code !== 0) return out;
  for (const entry of r.stdout.split('\0')) {
    if (entry.length < 4) continue;
    out.set(entry.slice(3), entry.slice(0, 2));
  }
  return out;
}

interface Held {
  index: PathIndex<LockView>;
  patterns: Pattern[];
  literal: string[];
}

function heldIndex(others: LockView[]): Held {
  const items = others.map((l) => ({ pattern: patternFromText(l.pattern), item: l }));
  return { index: new PathIndex(items), patterns: items.map((i) => i.pattern), literal: items.filter((i) => i.pattern.kind === 'file').map((i) => i.pattern.anchor.join('/')) };
}

async function stateOf(top: string, held: Held): Promise<{ paths: Map<string, PathState>; capped: boolean }> {
  const status = await statusOf(top, pathspecs(held.patterns));
  const candidates = new Set([...held.literal, ...status.keys()]);
  const paths = new Map<string, PathState>();
  let capped = false;
  for (const p of candidates) {
    if (held.index.covering(p).length === 0) continue;
    if (paths.size >= SNAPSHOT_MAX_PATHS) {
      capped = true;
      break;
    }
    paths.set(p, { xy: status.get(p) ?? '', st: statOf(path.join(top, p)) });
  }
  return { paths, capped };
}

/** The state of every path other agents hold, or null when they hold nothing (nothing to compare). */
export async function snapshotHeld(ctx: Coord, input: { agent: string | null; mode: ReadMode }): Promise<Snapshot | null> {
  const top = ctx.repo.top;
  if (!top) return null;
  const others = await othersLocks(ctx, input.agent, input.mode);
  if (others.length === 0) return null;
  const { paths, capped } = await stateOf(top, heldIndex(others));
  return { v: 1, paths: Object.fromEntries(paths), capped };
}

function conflictOf(p: string, l: LockView): PublicConflict {
  return { path: p, pattern: l.pattern, agent: l.agent, reason: l.reason, expiresAt: l.expiresAt };
}

/**
 * The held paths that changed since `before` (null: no snapshot was taken; then every held path
 * git shows as changed counts), plus `named`: paths the client itself says the command changed
 * (absolute; Claude Code's `bashEditDiff.changedFiles`), those held by others.
 */
export async function changedHeld(ctx: Coord, input: { before: Snapshot | null; named?: string[]; agent: string | null; mode: ReadMode }): Promise<ChangedHeld[]> {
  const top = ctx.repo.top;
  if (!top) return [];
  const others = await othersLocks(ctx, input.agent, input.mode);
  if (others.length === 0) return [];
  const held = heldIndex(others);
  const now = await stateOf(top, held);
  const prev = new Map(Object.entries(input.before?.paths ?? {}));
  const changed = new Map<string, ChangedHeld>();
  const add = (p: string, created: boolean, deleted: boolean) => {
    const l = held.index.covering(p)[0];
    if (l && !changed.has(p)) changed.set(p, { ...conflictOf(p, l), created, deleted });
  };
  for (const p of new Set([...prev.keys(), ...now.paths.keys()])) {
    const a = prev.get(p);
    const b = now.paths.get(p);
    if (!input.before) {
      if (b && b.xy !== '') add(p, b.xy === '??', b.st === null);
      continue;
    }
    const same = a && b ? a.xy === b.xy && (input.before.capped || a.st === b.st) : (a?.xy ?? '') === (b?.xy ?? '') && (a?.st ?? null) === (b?.st ?? null);
    if (!same) add(p, (a?.st ?? null) === null && (b?.st ?? null) !== null, (b?.st ?? null) === null && (a?.st ?? null) !== null);
  }
  for (const f of input.named ?? []) {
    const rel = insideTree(top, f);
    if (!rel) continue;
    const st = now.paths.get(rel);
    // Named by the client: new when git does not track it and it was not there before; deleted when gone.
    const exists = fs.existsSync(path.join(top, rel));
    add(rel, exists && st?.xy === '??' && !prev.get(rel)?.st, !exists);
  }
  return [...changed.values()];
}
