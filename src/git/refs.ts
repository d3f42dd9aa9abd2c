/**
 * Reading and changing refs. Reads are one `for-each-ref` that returns each ref with its commit
 * message; changes are one `update-ref --stdin` transaction with an explicit expected old value
 * for every ref, so the whole change applies or none of it does.
 */
import fs from 'node:fs';
import path from 'node:path';
import { runGit, firstLine } from './run.js';
import { FailedError } from '../errors.js';
import type { Repo } from './repo.js';
import { zeroOid } from './objects.js';
import type { Writers } from './writers.js';

export interface RefEntry {
  ref: string;
  oid: string;
  /** The commit message body (after the subject line). */
  body: string;
}

// Fields end in NUL and each entry in NUL + newline: JSON bodies cannot contain a raw NUL.
const FORMAT = '%(objectname) %(refname)%00%(contents:body)%00';

/**
 * Lists refs matching any of `patterns` (for-each-ref semantics: a prefix up to a slash, or a
 * wildmatch glob) with their message bodies. Patterns go on the command line in chunks so a long
 * query never exceeds the argument limit.
 */
export async function readRefs(repo: Repo, patterns: string[]): Promise<RefEntry[]> {
  if (patterns.length === 0) return [];
  const entries: RefEntry[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < patterns.length; i += 4000) {
    const chunk = patterns.slice(i, i + 4000);
    const r = await runGit(repo.cwd, ['for-each-ref', `--format=${FORMAT}`, ...chunk]);
    if (r.code !== 0) throw new FailedError(`cannot read coordination refs: ${firstLine(r.stderr)}`);
    for (const rec of r.stdout.split('\0\n')) {
      if (!rec) continue;
      const nul = rec.indexOf('\0');
      const head = rec.slice(0, nul);
      const sp = head.indexOf(' ');
      const ref = head.slice(sp + 1);
      if (seen.has(ref)) continue;
      seen.add(ref);
      entries.push({ oid: head.slice(0, sp), ref, body: rec.slice(nul + 1) });
    }
  }
  return entries;
}

/** The refs matching `patterns` (as readRefs) with their values only: no record is read. */
export async function listRefs(repo: Repo, patterns: string[]): Promise<{ ref: string; oid: string }[]> {
  if (patterns.length === 0) return [];
  const r = await runGit(repo.cwd, ['for-each-ref', '--format=%(objectname) %(refname)', ...patterns]);
  if (r.code !== 0) throw new FailedError(`cannot read coordination refs: ${firstLine(r.stderr)}`);
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => ({ oid: l.slice(0, l.indexOf(' ')), ref: l.slice(l.indexOf(' ') + 1) }));
}

/** Whether any ref exists under a prefix. */
export async function hasRefs(repo: Repo, prefix: string): Promise<boolean> {
  const r = await runGit(repo.cwd, ['for-each-ref', '--count=1', '--format=x', prefix]);
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

export type TransactionResult = { ok: true } | { ok: false; reason: string };

/** A `.lock` file older than this was left by a killed process: no live git holds one this long. */
export const STALE_LOCK_MS = 10_000;

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
          ? `delete ${u.ref}\0${u.oldOid ?? zero}\0`
          : `update ${u.ref}\0${u.newOid}\0${u.oldOid ?? zero}\0`,
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
  const m = /Unable to create '([^']+\.lock)': File exists/.exec(stderr);
  if (!m) return false;
  const file = path.resolve(repo.cwd, m[1]!);
  const refsRoot = path.join(repo.commonDir, 'refs', 'coordination') + path.sep;
  if (!file.startsWith(refsRoot)) return false;
  try {
    const age = Date.now() - fs.statSync(file).mtimeMs;
    if (age < STALE_LOCK_MS) return false;
    fs.rmSync(file, { force: true });
    return true;
  } catch {
    return false;
  }
}

/** Sets refs without checking their old values: for a local cache of state decided elsewhere. */
export async function setRefs(repo: Repo, refs: { ref: string; oid: string | null }[], writers: Writers): Promise<void> {
  if (refs.length === 0) return;
  const input = refs.map((r) => (r.oid === null ? `delete ${r.ref}\0\0` : `update ${r.ref}\0${r.oid}\0\0`)).join('');
  const r = await writers.transact(input);
  if (!r.ok) throw new FailedError(`cannot update the local view: ${firstLine(r.stderr)}`);
}
