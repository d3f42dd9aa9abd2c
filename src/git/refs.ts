/**
 * Reading and changing refs. Reads are one `for-each-ref` that returns each ref with its commit
 * message; changes are one `update-ref --stdin` transaction with an explicit expected old value
 * for every ref, so the whole change applies or none of it does.
 */
import fs from 'node:fs';
import path from 'node:path';
import { runGit, firstLine, batchByBytes } from './run.js';
import { FailedError } from '../errors.js';
import type { Repo } from './repo.js';
import { ObjectReader, zeroOid } from './objects.js';
import type { Writers } from './writers.js';

export interface RefEntry {
  ref: string;
  oid: string;
  /** The commit message body (after the subject line). */
  body: string;
  /** The ref names an object this repository does not have (or not a commit): body is empty. */
  missing?: true;
}

// Fields end in NUL and each entry in NUL + newline: JSON bodies cannot contain a raw NUL.
const FORMAT = '%(objectname) %(objecttype) %(refname)%00%(contents:body)%00';

/**
 * Lists refs matching any of `patterns` (for-each-ref semantics: a prefix up to a slash, or a
 * wildmatch glob) with their message bodies. Patterns go on the command line (git 2.39 has no
 * `for-each-ref --stdin`) in batches bounded by bytes, so no query exceeds the argument limit
 * however many or long its patterns.
 */
export async function readRefs(repo: Repo, patterns: string[]): Promise<RefEntry[]> {
  if (patterns.length === 0) return [];
  const entries: RefEntry[] = [];
  const seen = new Set<string>();
  const add = (e: RefEntry) => {
    if (seen.has(e.ref)) return;
    seen.add(e.ref);
    entries.push(e);
  };
  for (const batch of batchByBytes(patterns)) {
    const r = await runGit(repo.cwd, ['for-each-ref', `--format=${FORMAT}`, '--end-of-options', ...batch]);
    if (r.code !== 0) {
      // One ref naming a missing object fails the whole listing: read names and ids alone, then
      // the objects that exist, so such a ref is reported rather than blocking every read.
      for (const e of await readRefsOneByOne(repo, batch, r.stderr)) add(e);
      continue;
    }
    for (const rec of r.stdout.split('\0\n')) {
      if (!rec) continue;
      const nul = rec.indexOf('\0');
      const [oid, type] = rec.slice(0, nul).split(' ', 2) as [string, string];
      const ref = rec.slice(oid.length + type.length + 2, nul);
      // A ref naming a blob, a tree or a tag holds no record, and must never become a record's
      // parent (a commit with such a parent is corrupt): the same as a missing object.
      add(type === 'commit' ? { oid, ref, body: rec.slice(nul + 1) } : { oid, ref, body: '', missing: true });
    }
  }
  return entries;
}

/** Names and ids of the refs matching `patterns`, without reading their objects. */
export async function listRefs(repo: Repo, patterns: string[], failure = ''): Promise<{ ref: string; oid: string }[]> {
  if (patterns.length === 0) return [];
  const r = await runGit(repo.cwd, ['for-each-ref', '--format=%(objectname) %(refname)', '--end-of-options', ...patterns]);
  if (r.code !== 0) throw new FailedError(`cannot read coordination refs: ${firstLine(failure || r.stderr)}`);
  return r.stdout.split('\n').filter(Boolean).map((l) => ({ oid: l.slice(0, l.indexOf(' ')), ref: l.slice(l.indexOf(' ') + 1) }));
}

async function readRefsOneByOne(repo: Repo, patterns: string[], failure: string): Promise<RefEntry[]> {
  const listed = await listRefs(repo, patterns, failure);
  const reader = new ObjectReader(repo.cwd);
  try {
    const bodies = await reader.commitBodies([...new Set(listed.map((l) => l.oid))]);
    return listed.map((l) => {
      const body = bodies.get(l.oid);
      return body === undefined ? { ...l, body: '', missing: true as const } : { ...l, body };
    });
  } finally {
    reader.close();
  }
}

/** Whether any ref exists under a prefix. */
export async function hasRefs(repo: Repo, prefix: string): Promise<boolean> {
  const r = await runGit(repo.cwd, ['for-each-ref', '--count=1', '--format=x', '--end-of-options', prefix]);
  if (r.code !== 0) throw new FailedError(`cannot read coordination refs: ${firstLine(r.stderr)}`);
  return r.stdout.length > 0;
}

export interface RefUpdate {
  ref: string;
  /** New value; null deletes the ref; equal to oldOid only verifies it (both null: it must not exist). */
  newOid: string | null;
  /** Expected current value; null means the ref must not exist. */
  oldOid: string | null;
}

/**
 * A lost race, or a refused change: `lockFile` is the lock file git could not create (another
 * git updating that ref at this moment, or one killed mid-update that left it behind).
 */
export type TransactionResult = { ok: true } | { ok: false; reason: string; lockFile?: string };

/**
 * Each change applies to the ref itself: a symbolic ref under refs/coordination/ (pointing at a
 * branch, say) is replaced, not followed, so no record is ever written onto what it points at.
 */
const NO_DEREF = 'option no-deref\0';

/** A `.lock` file older than this was left by a killed process: no live git holds one this long. */
export const STALE_LOCK_MS = 10_000;
/** The same for packed-refs.lock, which a pack-refs of many refs holds longer. */
export const PACKED_STALE_LOCK_MS = 60_000;

/**
 * Applies every update atomically, each checked against its expected old value. A lost race is
 * an ordinary result ({ok: false}), not an exception: the caller re-reads and decides again.
 */
export async function updateRefs(repo: Repo, updates: RefUpdate[], writers: Writers): Promise<TransactionResult> {
  if (updates.length === 0) return { ok: true };
  const zero = zeroOid(repo);
  const input = updates
    .map((u) =>
      u.newOid === u.oldOid
        ? `verify ${u.ref}\0${u.oldOid ?? zero}\0`
        : u.newOid === null
          ? `${NO_DEREF}delete ${u.ref}\0${u.oldOid ?? zero}\0`
          : `${NO_DEREF}update ${u.ref}\0${u.newOid}\0${u.oldOid ?? zero}\0`,
    )
    .join('');
  for (let attempt = 0; ; attempt++) {
    const r = await writers.transact(input);
    if (r.ok) return { ok: true };
    const reason = firstLine(r.stderr);
    if (attempt < 2 && removeStaleLock(repo, r.stderr)) continue;
    return { ok: false, reason };
  }
}

/**
 * git creates `<ref>.lock` before changing a ref and renames it after; a process killed in
 * between leaves the file and the ref refuses every update. Only our own namespace is cleaned,
 * and only once the file is clearly older than any live update.
 */
export function removeStaleLock(repo: Repo, stderr: string): boolean {
  const named = lockFileIn(stderr);
  if (named === null) return false;
  const file = path.resolve(repo.cwd, named);
  const refsRoot = path.join(repo.commonDir, 'refs', 'coordination') + path.sep;
  // A transaction that deletes a ref also locks packed-refs: a git killed there blocks every
  // deletion (an unlock, a task finished) until the file goes. git holds it no longer than it
  // takes to rewrite packed-refs, so it is left a minute.
  const packed = file === path.join(repo.commonDir, 'packed-refs.lock');
  if (!file.startsWith(refsRoot) && !packed) return false;
  try {
    const age = Date.now() - fs.statSync(file).mtimeMs;
    if (age < (packed ? PACKED_STALE_LOCK_MS : STALE_LOCK_MS)) return false;
    fs.rmSync(file, { force: true });
    return true;
  } catch {
    return false;
  }
}

/** The lock file git's message says it could not create, if it says so (git quotes the path as it is: it may hold quotes). */
export function lockFileIn(stderr: string): string | null {
  return /Unable to create '([\s\S]+?\.lock)': File exists/.exec(stderr)?.[1] ?? null;
}

/** Sets refs without checking their old values: for a local cache of state decided elsewhere. */
export async function setRefs(repo: Repo, refs: { ref: string; oid: string | null }[], writers: Writers): Promise<void> {
  if (refs.length === 0) return;
  const input = refs.map((r) => (r.oid === null ? `${NO_DEREF}delete ${r.ref}\0\0` : `${NO_DEREF}update ${r.ref}\0${r.oid}\0\0`)).join('');
  const r = await writers.transact(input);
  if (!r.ok) throw new FailedError(`cannot update the local view: ${firstLine(r.stderr)}`);
}
