/**
 * Records with their parents, as the server reads them: a lock ref's old and new records, the
 * entries a push adds to a journal (its first-parent chain) and the record each entry describes
 * (its second parent). For pre-receive's check that no lock is freed unrecorded.
 */
import { runGit, firstLine } from './run.js';
import { FailedError } from '../errors.js';
import type { Repo } from './repo.js';
import { OID } from './objects.js';

export interface RecordCommit {
  oid: string;
  parents: string[];
  /** The message after its subject line: a record's JSON. */
  body: string;
}

/**
 * The commits `oids` (those present), with parents and body. One `git log --no-walk`, each commit
 * as `<oid> <parents>` NUL `<message>` NUL: no message a record may hold has a NUL, and one that
 * does breaks the layout, which fails the read (a hook then refuses) rather than misreading it.
 */
export async function readRecordCommits(repo: Repo, oids: string[]): Promise<Map<string, RecordCommit>> {
  const out = new Map<string, RecordCommit>();
  for (const o of oids) if (!OID.test(o)) throw new FailedError(`not an object id: ${JSON.stringify(o)}`);
  const want = [...new Set(oids)];
  if (want.length === 0) return out;
  // Only commits: cat-file tells which ids are commits here (a missing or other object holds no record).
  const types = await runGit(repo.cwd, ['cat-file', '--batch-check=%(objectname) %(objecttype)'], { input: want.join('\n') + '\n' });
  if (types.code !== 0) throw new FailedError(`cannot read records: ${firstLine(types.stderr)}`);
  const commits = types.stdout.split('\n').map((l) => l.split(' ')).filter((f) => f[1] === 'commit' && OID.test(f[0]!)).map((f) => f[0]!);
  if (commits.length === 0) return out;
  const r = await runGit(repo.cwd, ['log', '--no-walk=unsorted', '--no-show-signature', '--encoding=UTF-8', '--format=%H %P%x00%B%x00', '--stdin', '--'], {
    input: commits.join('\n') + '\n',
  });
  if (r.code !== 0) throw new FailedError(`cannot read records: ${firstLine(r.stderr)}`);
  const fields = r.stdout.split('\0');
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const head = fields[i]!.replace(/^\n/, '').split(' ').filter(Boolean);
    if (head.length === 0 || !head.every((h) => OID.test(h))) throw new FailedError('cannot read records: unexpected output from git log');
    const message = fields[i + 1]!;
    const sep = message.indexOf('\n\n');
    out.set(head[0]!, { oid: head[0]!, parents: head.slice(1), body: sep < 0 ? '' : message.slice(sep + 2) });
  }
  if (out.size !== commits.length) throw new FailedError('cannot read records: unexpected output from git log');
  return out;
}

/** The entries from `tip` back along first parents, down to `base` (excluded; null: to the start), newest first. */
export async function firstParentChain(repo: Repo, tip: string, base: string | null): Promise<string[]> {
  for (const o of [tip, ...(base ? [base] : [])]) if (!OID.test(o)) throw new FailedError(`not an object id: ${JSON.stringify(o)}`);
  const r = await runGit(repo.cwd, ['rev-list', '--first-parent', '--stdin', '--'], { input: `${tip}\n${base ? `^${base}\n` : ''}` });
  if (r.code !== 0) throw new FailedError(`cannot read a journal: ${firstLine(r.stderr)}`);
  return r.stdout.split('\n').filter((l) => OID.test(l));
}

/**
 * The commits of the chains `tips` along first parents, newest first, each with the tip it was
 * reached from (`tip`: a commit two chains share is named once), leaving out everything
 * `stops` reach (ids this repository lacks are ignored: a stop on a chain since re-rooted). One
 * `git log`; a chain whose history is not all here (a broken copy) fails the read.
 */
export async function chainCommits(repo: Repo, tips: string[], stops: string[]): Promise<(RecordCommit & { tip: string })[]> {
  for (const o of [...tips, ...stops]) if (!OID.test(o)) throw new FailedError(`not an object id: ${JSON.stringify(o)}`);
  if (tips.length === 0) return [];
  const input = [...new Set(tips)].join('\n') + '\n' + [...new Set(stops)].map((s) => `^${s}\n`).join('');
  const r = await runGit(repo.cwd, ['log', '--first-parent', '--ignore-missing', '--no-show-signature', '--encoding=UTF-8', '--source', '--format=%H %S %P%x00%B%x00', '--stdin', '--'], { input });
  if (r.code !== 0) throw new FailedError(`cannot read the message chains: ${firstLine(r.stderr)}`);
  const out: (RecordCommit & { tip: string })[] = [];
  const fields = r.stdout.split('\0');
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const head = fields[i]!.replace(/^\n/, '').split(' ').filter(Boolean);
    if (head.length < 2 || !head.every((h) => OID.test(h))) throw new FailedError('cannot read the message chains: unexpected output from git log');
    const message = fields[i + 1]!;
    const sep = message.indexOf('\n\n');
    out.push({ oid: head[0]!, tip: head[1]!, parents: head.slice(2), body: sep < 0 ? '' : message.slice(sep + 2) });
  }
  return out;
}
