/**
 * What commits change, and who made them: for pushes (pre-push, and pre-receive on a server).
 * One `git log -m --name-only` call lists every commit with its Coord-Agent trailer and the paths
 * it changes against each parent.
 */
import { runGit, firstLine } from './run.js';
import { FailedError } from '../errors.js';
import type { Repo } from './repo.js';

export interface CommitTouch {
  oid: string;
  subject: string;
  /** The Coord-Agent trailer, or null when the commit carries none. */
  agent: string | null;
  /**
   * Paths the commit itself changes: against its parent; for a merge, only paths that differ
   * from every parent (a path equal to one side was taken unchanged from it).
   */
  paths: string[];
}

export const TRAILER = 'Coord-Agent';

/** Commits selected by `revs` (rev-list arguments, such as `<new> --not --all`), newest first. */
export async function commitTouches(repo: Repo, revs: string[]): Promise<CommitTouch[]> {
  const r = await runGit(repo.cwd, [
    'log',
    `--format=%x01%H %P%x00%(trailers:key=${TRAILER},valueonly,separator=%x2C)%x00%s%x00`,
    '-m',
    '--name-only',
    '--no-renames',
    '--no-ext-diff',
    '-z',
    ...revs,
    '--',
  ]);
  if (r.code !== 0) throw new FailedError(`cannot list the commits being pushed: ${firstLine(r.stderr)}`);
  const byOid = new Map<string, { parents: string[]; agent: string | null; subject: string; diffs: Set<string>[] }>();
  for (const chunk of r.stdout.split('\x01')) {
    if (!chunk) continue;
    const fields = chunk.split('\0');
    const [oid, ...parents] = fields[0]!.split(' ').filter(Boolean);
    const agent = fields[1]!.split(',').map((s) => s.trim()).filter(Boolean).at(-1) ?? null;
    const paths = fields.slice(3).map((p) => p.replace(/^\n/, '')).filter(Boolean);
    const entry = byOid.get(oid!) ?? { parents, agent, subject: fields[2] ?? '', diffs: [] };
    entry.diffs.push(new Set(paths));
    byOid.set(oid!, entry);
  }
  return [...byOid.entries()].map(([oid, e]) => {
    let paths: string[];
    if (e.parents.length <= 1) paths = [...(e.diffs[0] ?? [])];
    else if (e.diffs.length < e.parents.length) paths = []; // identical to some parent: nothing of its own
    else paths = [...e.diffs[0]!].filter((p) => e.diffs.every((d) => d.has(p)));
    return { oid, subject: e.subject, agent: e.agent, paths };
  });
}
