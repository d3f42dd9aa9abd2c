/**
 * What commits change, and who made them: for pushes (pre-push, and pre-receive on a server).
 * One `git log -m --raw -z` call lists every commit with its Coord-Agent trailer and the paths
 * it changes against each parent.
 */
import { runGit, firstLine } from './run.js';
import { FailedError } from '../errors.js';
import type { Repo } from './repo.js';
import { emptyTreeId, OID } from './objects.js';
import { hashHex } from './sha.js';

export interface CommitTouch {
  oid: string;
  subject: string;
  /** The Coord-Agent trailer's value as written (the last, if several), or null when there is none. */
  agent: string | null;
  /**
   * Paths the commit itself changes: against its parent; for a merge, only paths that differ
   * from every parent (a path equal to one side was taken unchanged from it).
   */
  paths: string[];
}

export const TRAILER = 'Coord-Agent';

/**
 * Commits selected by `revs`, newest first. `revs` are commit ids, each alone or with `^` before
 * it (excluded), and go to git on stdin, so their number is unbounded; `options` are rev-list
 * options (`--not`, `--all`, `--exclude=…`, `--remotes=…`, `--ignore-missing`) of our own.
 *
 * The output can be read without trusting any commit's content: every field ends in NUL, which
 * no subject, trailer or path can contain; a commit's fields are a fixed number, and each path
 * follows its own `--raw` entry (`:<modes> <ids> <status>`), so a path can never be mistaken for
 * the next commit, whatever it holds (newlines, tabs, quotes, 40 hex digits).
 */
export async function commitTouches(repo: Repo, revs: string[], options: string[] = []): Promise<CommitTouch[]> {
  for (const rev of revs) {
    if (!OID.test(rev.replace(/^\^/, ''))) throw new FailedError(`not a commit id: ${JSON.stringify(rev)}`);
  }
  if (revs.length === 0) return [];
  const r = await runGit(
    repo.cwd,
    [
      // A user's config must not change what is listed: root commits' changes, and each parent of a merge.
      '-c',
      'log.showRoot=true',
      '-c',
      'log.diffMerges=separate',
      'log',
      `--format=%H%x00%P%x00%(trailers:key=${TRAILER},valueonly,unfold,separator=%x0A)%x00%s`,
      '-m',
      '--raw',
      '--no-abbrev',
      '--no-renames',
      '--no-ext-diff',
      '--no-color',
      '--no-show-signature',
      '--ignore-submodules=none',
      '-z',
      '--stdin',
      ...options,
      '--',
    ],
    { input: revs.join('\n') + '\n' },
  );
  if (r.code !== 0) throw new FailedError(`cannot list the commits being pushed: ${firstLine(r.stderr)}`);
  const byOid = new Map<string, { parents: string[]; agent: string | null; subject: string; diffs: Set<string>[] }>();
  const fields = r.stdout.split('\0');
  let i = 0;
  while (i < fields.length) {
    if (fields[i] === '') {
      i++;
      continue;
    }
    const oid = fields[i]!;
    if (!OID.test(oid) || i + 3 >= fields.length) throw new FailedError(`unexpected output from git log near ${JSON.stringify(oid.slice(0, 80))}`);
    const parents = fields[i + 1]!.split(' ').filter(Boolean);
    // With --if-exists replace there is one; if a message carries several, the last one counts.
    const agent = fields[i + 2]!.split('\n').map((s) => s.trim()).filter(Boolean).at(-1) ?? null;
    const subject = fields[i + 3]!;
    i += 4;
    const paths = new Set<string>();
    // Each changed path: its raw entry (starting with ':', the first after a newline), then the path.
    while (i + 1 < fields.length && /^\n?:/.test(fields[i]!)) {
      paths.add(fields[i + 1]!);
      i += 2;
    }
    const entry = byOid.get(oid) ?? { parents, agent, subject, diffs: [] };
    entry.diffs.push(paths);
    byOid.set(oid, entry);
  }
  return [...byOid.entries()].map(([oid, e]) => {
    let paths: string[];
    if (e.parents.length <= 1) paths = [...(e.diffs[0] ?? [])];
    else if (e.diffs.length < e.parents.length) paths = []; // identical to some parent: nothing of its own
    else paths = [...e.diffs[0]!].filter((p) => e.diffs.every((d) => d.has(p)));
    return { oid, subject: e.subject, agent: e.agent, paths };
  });
}

/**
 * notRecords' two reads, shared with the server's shell pre-receive (generated from these,
 * scripts/gen-shell.mjs): each object's type and id, from `<oid>` and `<oid>^{tree}` lines on
 * stdin; and `<commit> <tree>` of every commit the given tips bring that no ref reaches yet.
 */
export const OBJECT_TYPES = ['cat-file', '--batch-check=%(objecttype) %(objectname)'] as const;
export const NEW_COMMIT_TREES = ['log', '--format=%H %T', '--no-show-signature', '--stdin', '--not', '--all', '--'] as const;

/**
 * Of `tips` (what refs under refs/coordination/ are to point at), the objects that are not
 * records as git-coord writes them: each tip must be a commit whose tree is the empty tree, and
 * so must every commit it brings that no ref reaches yet (its new ancestors). So nothing but
 * records can be stored there, nor reach a branch from there unjudged.
 */
export async function notRecords(repo: Repo, tips: string[]): Promise<string[]> {
  for (const tip of tips) if (!OID.test(tip)) throw new FailedError(`not an object id: ${JSON.stringify(tip)}`);
  if (tips.length === 0) return [];
  const empty = emptyTreeId(repo);
  const bad = new Set<string>();
  // Each tip's type, then its tree (`<tip>^{tree}` peels a tag too: the type line catches that).
  const types = await runGit(repo.cwd, [...OBJECT_TYPES], {
    input: tips.map((t) => `${t}\n${t}^{tree}\n`).join(''),
  });
  if (types.code !== 0) throw new FailedError(`cannot read the objects being pushed: ${firstLine(types.stderr)}`);
  const lines = types.stdout.split('\n');
  tips.forEach((tip, k) => {
    if (lines[2 * k] !== `commit ${tip}` || lines[2 * k + 1] !== `tree ${empty}`) bad.add(tip);
  });
  const fresh = tips.filter((t) => !bad.has(t));
  if (fresh.length > 0) {
    const r = await runGit(repo.cwd, [...NEW_COMMIT_TREES], { input: fresh.join('\n') + '\n' });
    if (r.code !== 0) throw new FailedError(`cannot list the commits being pushed: ${firstLine(r.stderr)}`);
    for (const line of r.stdout.split('\n')) {
      const [oid, tree] = line.split(' ');
      if (oid && tree !== empty) bad.add(oid);
    }
  }
  return [...bad];
}

/** The largest entry an archive's tree may hold (a task record is at most about 60 kB). */
export const ARCHIVE_ENTRY_MAX = 1024 * 1024;

/**
 * Of `tips` (what archive refs, refs/coordination/tasks/archive/, are to point at), the objects
 * that are not archives as git-coord writes them (store/trees.ts): each tip, and every commit it
 * brings that no ref reaches yet, a commit whose tree is empty or holds only `<h>/<h>/<key>` blobs
 * (`h` one hex digit of the SHA-1 of the key, the key an escaped id) of at most ARCHIVE_ENTRY_MAX
 * bytes. So an archive stores nothing but records either.
 */
export async function notArchives(repo: Repo, tips: string[]): Promise<string[]> {
  for (const tip of tips) if (!OID.test(tip)) throw new FailedError(`not an object id: ${JSON.stringify(tip)}`);
  if (tips.length === 0) return [];
  const bad = new Set<string>();
  const types = await runGit(repo.cwd, [...OBJECT_TYPES], { input: tips.map((t) => `${t}\n`).join('') });
  if (types.code !== 0) throw new FailedError(`cannot read the objects being pushed: ${firstLine(types.stderr)}`);
  const lines = types.stdout.split('\n');
  tips.forEach((tip, k) => {
    if (lines[k] !== `commit ${tip}`) bad.add(tip);
  });
  const fresh = tips.filter((t) => !bad.has(t));
  if (fresh.length === 0) return [...bad];
  const r = await runGit(repo.cwd, [...NEW_COMMIT_TREES], { input: fresh.join('\n') + '\n' });
  if (r.code !== 0) throw new FailedError(`cannot list the commits being pushed: ${firstLine(r.stderr)}`);
  // Each tip's own tree too: a tip the repository has already (a branch's commit) brings no new
  // commit, so only its tree tells whether it is an archive.
  const own = await runGit(repo.cwd, ['log', '--no-walk', '--format=%H %T', '--no-show-signature', '--stdin', '--'], { input: fresh.join('\n') + '\n' });
  if (own.code !== 0) throw new FailedError(`cannot list the commits being pushed: ${firstLine(own.stderr)}`);
  const judged = new Map<string, boolean>();
  for (const line of [...own.stdout.split('\n'), ...r.stdout.split('\n')]) {
    const [oid, tree] = line.split(' ');
    if (!oid || !tree) continue;
    if (!judged.has(tree)) {
      const ls = await runGit(repo.cwd, ['ls-tree', '-r', '-t', '-l', '-z', '--end-of-options', tree]);
      let ok = ls.code === 0;
      for (const entry of ok ? ls.stdout.split('\0').filter(Boolean) : []) {
        const m = /^(\d+) (\w+) [0-9a-f]+ +(-|\d+)\t(.*)$/s.exec(entry);
        const parts = m?.[4]!.split('/') ?? [];
        const dirsOk = parts.slice(0, -1).every((d) => /^[0-9a-f]$/.test(d));
        if (!m || !dirsOk) ok = false;
        else if (m[2] === 'tree') ok &&= m[1] === '040000' && parts.length <= 2 && /^[0-9a-f]$/.test(parts[parts.length - 1]!);
        else {
          const key = parts[2] ?? '';
          const h = hashHex('sha1', key);
          ok &&= m[1] === '100644' && m[2] === 'blob' && parts.length === 3 && /^[a-z0-9_-]{1,200}$/.test(key) && parts[0] === h[0] && parts[1] === h[1] && Number(m[3]) <= ARCHIVE_ENTRY_MAX;
        }
        if (!ok) break;
      }
      judged.set(tree, ok);
    }
    if (!judged.get(tree)) bad.add(oid);
  }
  return [...bad];
}
