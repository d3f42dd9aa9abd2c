/**
 * Talking to a remote: fetching refs into a local namespace, and compare-and-swap by leased,
 * atomic push. The remote applies a leased update only if the ref still holds the expected value,
 * checked inside its own ref transaction; with --atomic, all refs of one push change or none do.
 */
import { runGit, firstLine } from './run.js';
import { FailedError } from '../errors.js';
import type { Repo } from './repo.js';
import { removeStaleLock, type RefUpdate, type TransactionResult } from './refs.js';

/** Fetches `refspecs` (each `+src:dst`), pruning dst refs that are gone on the remote. */
export async function fetchRefs(repo: Repo, remote: string, refspecs: string[], timeoutMs?: number): Promise<void> {
  if (refspecs.length === 0) return;
  for (let attempt = 0; ; attempt++) {
    const r = await runGit(
      repo.cwd,
      ['fetch', '--quiet', '--no-tags', '--prune', '--no-write-fetch-head', '--no-auto-gc', '--no-recurse-submodules', '--refmap=', remote, ...refspecs],
      timeoutMs ? { timeoutMs } : {},
    );
    if (r.code === 0) return;
    // Another git-coord of this clone updating the same view refs at this moment: not the remote's fault.
    const localLock = /cannot lock ref|Unable to create '[^']*\.lock'/.test(r.stderr);
    if (localLock && attempt < 4 && !removeStaleLock(repo, r.stderr)) await new Promise((res) => setTimeout(res, 20 + Math.random() * 80));
    else if (!localLock || attempt >= 4) throw unreachable(remote, r.stderr);
  }
}

function unreachable(remote: string, stderr: string): FailedError {
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  const why = lines.find((l) => /^fatal:/.test(l)) ?? lines.find((l) => /error|denied|refused|not found|timed out/i.test(l)) ?? lines[0] ?? 'unknown error';
  return new FailedError(`cannot reach remote '${remote}': ${why.replace(/^fatal:\s*/, '')}`, { remote });
}

// Rejections that mean "someone else changed the ref first": re-read and decide again.
const LOST_RACE = /stale info|failed to update ref|fetch first|non-fast-forward|cannot lock ref|already exists|atomic push failed|incorrect old value/;

/**
 * One atomic push of every update, each leased on its expected old value (empty: must not exist).
 * Returns {ok: false} for a lost race; throws a FailedError when the remote cannot be reached or
 * refuses for another reason (a hook, a permission, custom refs not allowed).
 */
export async function pushLeased(repo: Repo, remote: string, updates: RefUpdate[]): Promise<TransactionResult> {
  if (updates.length === 0) return { ok: true };
  const args = ['push', '--porcelain', '--atomic', '--no-verify', '--quiet'];
  for (const u of updates) args.push(`--force-with-lease=${u.ref}:${u.oldOid ?? ''}`);
  args.push(remote);
  for (const u of updates) args.push(u.newOid === null ? `:${u.ref}` : `${u.newOid}:${u.ref}`);
  const r = await runGit(repo.cwd, args);
  if (r.code === 0) return { ok: true };
  const rejected = r.stdout.split('\n').filter((l) => l.startsWith('!'));
  if (rejected.length === 0) throw unreachable(remote, r.stderr);
  // With --atomic every ref is rejected once one is; the first genuine reason decides.
  const reasons = rejected.map((l) => l.split('\t')[2] ?? '');
  const real = reasons.filter((x) => !/atomic push failed/.test(x));
  const decisive = real.length > 0 ? real : reasons;
  if (decisive.every((x) => LOST_RACE.test(x))) return { ok: false, reason: decisive.join('; ') };
  // The server reports its own failed compare (inside its ref transaction) only as a failed
  // atomic transaction; the cause is on stderr ("cannot lock ref …: reference already exists",
  // "… is at X but expected Y").
  if (decisive.every((x) => /atomic transaction failed/.test(x)) && /cannot lock ref|already exists|but expected/.test(r.stderr)) {
    return { ok: false, reason: firstLine(r.stderr) };
  }
  throw new FailedError(`remote '${remote}' refused the update: ${decisive.join('; ')}${r.stderr ? ` (${firstLine(r.stderr)})` : ''}`, { remote });
}

/** The refs the remote holds that match `patterns` (for-each-ref style: prefixes ending in `/`, one-`*` globs, exact names). */
export async function listRemote(repo: Repo, remote: string, patterns: string[], timeoutMs?: number): Promise<{ ref: string; oid: string }[]> {
  const globs = patterns.map((p) => (p.endsWith('/') ? `${p}*` : p));
  const r = await runGit(repo.cwd, ['ls-remote', '--refs', remote, ...globs], timeoutMs ? { timeoutMs } : {});
  if (r.code !== 0) throw unreachable(remote, r.stderr);
  // ls-remote matches patterns against the tail of a ref name: keep only true prefix matches.
  const wanted = globs.map((g) => (g.includes('*') ? { prefix: g.slice(0, g.indexOf('*')), exact: false } : { prefix: g, exact: true }));
  const out: { ref: string; oid: string }[] = [];
  for (const line of r.stdout.split('\n')) {
    const [oid, ref] = line.split('\t');
    if (!oid || !ref) continue;
    if (wanted.some((w) => (w.exact ? ref === w.prefix : ref.startsWith(w.prefix)))) out.push({ ref, oid });
  }
  return out;
}
