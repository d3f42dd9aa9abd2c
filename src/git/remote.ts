/**
 * Talking to a remote: fetching refs into a local namespace, and compare-and-swap by leased,
 * atomic push. The remote applies a leased update only if the ref still holds the expected value,
 * checked inside its own ref transaction; with --atomic, all refs of one push change or none do.
 *
 * Every remote operation has a time limit (a remote that accepts the connection and never
 * answers would otherwise hang the command for ever), and the remote always follows
 * `--end-of-options`. It is a configured remote's name (see configuredRemote), or, in pre-push
 * only, the URL git itself is pushing to.
 */
import fs from 'node:fs';
import path from 'node:path';
import { runGit, firstLine, argvBytes, ARGV_BUDGET } from './run.js';
import { printable } from '../printable.js';
import { FailedError, UsageError } from '../errors.js';
import type { Repo } from './repo.js';
import { OID } from './objects.js';
import { lockFileIn, removeStaleLock, type RefUpdate, type TransactionResult } from './refs.js';

/**
 * Whether `name` is a remote configured in git (`remote.<name>.url` is set). A name that is not
 * would be taken by git as a URL or a path (a committed directory holding a repository whose
 * hooks a push would run): only configured remotes may be named. The repository's own config
 * file answers the common case without a process; anything it does not settle asks git.
 */
export async function configuredRemote(repo: Repo, name: string): Promise<boolean> {
  if (remoteInConfigFile(path.join(repo.commonDir, 'config'), name)) return true;
  const r = await runGit(repo.cwd, ['config', '--get', '--end-of-options', `remote.${name}.url`]);
  if (r.code === 0) return r.stdout.trim() !== '';
  if (r.code === 1) return false;
  throw new FailedError(`cannot read git config: ${firstLine(r.stderr)}`);
}

/**
 * A `[remote "<name>"]` section with a `url` in one config file, read only when its syntax is
 * plain (no continued lines); otherwise false, and git itself is asked.
 */
function remoteInConfigFile(file: string, name: string): boolean {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return false;
  }
  if (/\\\r?\n/.test(text)) return false;
  let inSection = false;
  for (const line of text.split('\n')) {
    const t = line.trim();
    const header = /^\[\s*remote\s+"([^"\\]*)"\s*\]$/i.exec(t);
    if (header) inSection = header[1] === name;
    else if (t.startsWith('[')) inSection = false;
    else if (inSection && /^url\s*=\s*\S/i.test(t)) return true;
  }
  return false;
}

/**
 * Fetches `refspecs` (each `+src:dst`), pruning dst refs that are gone on the remote. Over
 * protocol v2 the remote lists only the refs under each refspec's prefix (`ref-prefix`), where
 * `ls-remote <pattern>` lists every ref. `depth`: fetch only the tips' commits (a shallow
 * fetch: the history behind them stays on the remote until asked for); `deepen`: that many
 * more commits behind the shallow boundary.
 */
export async function fetchRefs(
  repo: Repo,
  remote: string,
  refspecs: string[],
  timeoutMs: number,
  opts: { depth?: number; deepen?: number } = {},
): Promise<void> {
  if (refspecs.length === 0) return;
  // Negotiate only from the refs being updated (their old values): a clone with thousands of
  // other refs would otherwise send hundreds of `have` lines on every read.
  // (Tips go on the command line: past a small budget, the usual negotiation instead.)
  const named = [...new Set(refspecs.map((r) => r.slice(r.indexOf(':') + 1)).filter(Boolean))].map((t) => `--negotiation-tip=${t}`);
  const tips = argvBytes(named) <= 64 * 1024 ? named : [];
  let depth = opts.depth ? [`--depth=${opts.depth}`] : opts.deepen ? [`--deepen=${opts.deepen}`] : [];
  for (let attempt = 0; ; attempt++) {
    // Refspecs on stdin: a query of many long patterns never meets the argument limit. --atomic:
    // the view's refs change together, so a read of the view never sees half of one fetch.
    const r = await runGit(
      repo.cwd,
      ['fetch', '--quiet', '--no-tags', '--prune', '--atomic', ...depth, ...tips, '--no-write-fetch-head', '--no-auto-gc', '--no-recurse-submodules', '--refmap=', '--stdin', '--end-of-options', remote],
      { input: refspecs.join('\n') + '\n', timeoutMs },
    );
    if (r.code === 0) return;
    // git 2.39 fails a shallow fetch that matches no ref at all with a bare "error:": nothing
    // to fetch, so nothing is lost by asking again without the depth.
    if (depth.length > 0 && /^error:\s*$/m.test(r.stderr) && !/^fatal:/m.test(r.stderr)) {
      depth = [];
      continue;
    }
    // Another git-coord of this clone updating the same view refs at this moment: not the remote's fault.
    const localLock = /cannot lock ref|Unable to create '[^']*\.lock'/.test(r.stderr);
    if (localLock && attempt < 4 && !removeStaleLock(repo, r.stderr)) await new Promise((res) => setTimeout(res, 20 + Math.random() * 80));
    else if (!localLock || attempt >= 4) throw unreachable(remote, r.stderr);
  }
}

function unreachable(remote: string, stderr: string): FailedError {
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  const why = lines.find((l) => /^fatal:/.test(l)) ?? lines.find((l) => /error|denied|refused|not found|timed out/i.test(l)) ?? lines[0] ?? 'unknown error';
  return new FailedError(`cannot reach remote '${remote}': ${printable(why.replace(/^fatal:\s*/, ''))}`, { remote });
}

// Rejections that mean "someone else changed the ref first": re-read and decide again.
const LOST_RACE = /stale info|failed to update ref|fetch first|non-fast-forward|cannot lock ref|already exists|atomic push failed|incorrect old value/;

/**
 * One atomic push of every update, each leased on its expected old value (empty: must not exist).
 * Returns {ok: false} for a lost race; throws a FailedError when the remote cannot be reached or
 * refuses for another reason (a hook, a permission, custom refs not allowed).
 *
 * A push that times out may still have been applied by the remote: like a connection lost
 * mid-push, the caller reports a failure, and what it wrote expires by its lease.
 */
export async function pushLeased(repo: Repo, remote: string, updates: RefUpdate[], timeoutMs: number): Promise<TransactionResult> {
  if (updates.length === 0) return { ok: true };
  const args = ['push', '--porcelain', '--atomic', '--no-verify', '--quiet'];
  for (const u of updates) args.push(`--force-with-lease=${u.ref}:${u.oldOid ?? ''}`);
  args.push('--end-of-options', remote);
  for (const u of updates) args.push(u.newOid === null ? `:${u.ref}` : `${u.newOid}:${u.ref}`);
  // git push reads neither refspecs nor leases from stdin, and one change must be one push.
  if (argvBytes(args) > ARGV_BUDGET) {
    // Worded by what changes, not by what the caller was given: each concept may say it in its own terms.
    throw new UsageError(`too many records to change in one step through remote '${remote}' (${updates.length} refs): change fewer at once`, {
      code: 'too-many-refs',
      remote,
      refs: updates.length,
    });
  }
  const r = await runGit(repo.cwd, args, { timeoutMs });
  if (r.code === 0) return { ok: true };
  const rejected = r.stdout.split('\n').filter((l) => l.startsWith('!'));
  if (rejected.length === 0) throw unreachable(remote, r.stderr);
  // With --atomic every ref is rejected once one is; the first genuine reason decides.
  const reasons = rejected.map((l) => l.split('\t')[2] ?? '');
  const real = reasons.filter((x) => !/atomic push failed/.test(x));
  const decisive = real.length > 0 ? real : reasons;
  // A ref locked on the remote: named, so that a lock file left there by a killed git (which no
  // round will ever get past) can be told from a writer that held it for a moment.
  const lockFile = lockFileIn(r.stderr);
  const lost = (reason: string): TransactionResult => (lockFile === null ? { ok: false, reason } : { ok: false, reason, lockFile: printable(lockFile) });
  if (decisive.every((x) => LOST_RACE.test(x))) return lost(decisive.join('; '));
  // A lock file git could not create is a lost round whatever the rejection says: a deletion's
  // packed-refs.lock (held by a pack-refs or gc --auto there) surfaces only as a failed atomic
  // transaction. One left for good is named by the store after a few seconds (store/remote.ts).
  if (lockFile !== null) return lost(firstLine(r.stderr));
  // The server reports its own failed compare (inside its ref transaction) only as a failed
  // atomic transaction; the cause is on stderr ("cannot lock ref …: reference already exists",
  // "… is at X but expected Y").
  if (decisive.every((x) => /atomic transaction failed/.test(x)) && /cannot lock ref|already exists|but expected/.test(r.stderr)) {
    return lost(firstLine(r.stderr));
  }
  throw new FailedError(`remote '${remote}' refused the update: ${printable(decisive.join('; '))}${r.stderr ? ` (${firstLine(r.stderr)})` : ''}`, { remote });
}


/**
 * The refs the remote holds that match `patterns` (for-each-ref style: prefixes ending in `/`,
 * one-`*` globs, exact names); every ref when `patterns` is empty.
 */
export async function listRemote(repo: Repo, remote: string, patterns: string[], timeoutMs: number): Promise<{ ref: string; oid: string }[]> {
  const globs = patterns.map((p) => (p.endsWith('/') ? `${p}*` : p));
  // ls-remote reads no patterns from stdin: past the argument budget, ask for their common
  // prefix instead (the remote sends more; the filter below keeps what was asked for).
  const asked = argvBytes(globs) > ARGV_BUDGET ? [`${commonPrefix(globs)}*`] : globs;
  const r = await runGit(repo.cwd, ['ls-remote', '--refs', '--end-of-options', remote, ...asked], { timeoutMs });
  if (r.code !== 0) throw unreachable(remote, r.stderr);
  // ls-remote matches patterns against the tail of a ref name: keep only true prefix matches.
  const wanted = globs.map((g) => (g.includes('*') ? { prefix: g.slice(0, g.indexOf('*')), exact: false } : { prefix: g, exact: true }));
  const out: { ref: string; oid: string }[] = [];
  for (const line of r.stdout.split('\n')) {
    const [oid, ref] = line.split('\t');
    if (!oid || !ref || !OID.test(oid)) continue;
    if (wanted.length === 0 || wanted.some((w) => (w.exact ? ref === w.prefix : ref.startsWith(w.prefix)))) out.push({ ref, oid });
  }
  return out;
}

function commonPrefix(strings: string[]): string {
  let prefix = strings[0] ?? '';
  for (const s of strings) {
    let i = 0;
    while (i < prefix.length && i < s.length && prefix[i] === s[i]) i++;
    prefix = prefix.slice(0, i);
  }
  // Up to a slash, and never past a wildcard.
  const star = prefix.indexOf('*');
  if (star >= 0) prefix = prefix.slice(0, star);
  return prefix.slice(0, prefix.lastIndexOf('/') + 1);
}
