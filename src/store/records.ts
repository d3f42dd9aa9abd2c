/**
 * Records: small JSON documents kept as commit messages on refs. Each change writes a new commit
 * whose parent is the state it replaced, and moves the ref by compare-and-swap; so a record's
 * history is `git log <ref>`, and a lost race is seen as a failed swap, never as lost data.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Repo } from '../git/repo.js';
import { readRefs, listRefs, updateRefs, hasRefs, type RefEntry, type RefUpdate, type TransactionResult } from '../git/refs.js';
import { writeCommits, objectId, commitBody, ObjectReader, type CommitSpec } from '../git/objects.js';
import { journalLog } from '../git/worktree.js';
import { Writers } from '../git/writers.js';
import { runGit } from '../git/run.js';
import { printable } from '../printable.js';
import { cut } from '../fields.js';
export { Writers };

/** What the store needs of a schema: the domain passes its zod schemas, the store stays generic. */
export interface Schema<T> {
  safeParse(x: unknown):
    | { success: true; data: T }
    | { success: false; error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] } };
}

export interface Stored<T> {
  ref: string;
  oid: string;
  record: T;
}

export interface Corrupt {
  ref: string;
  oid: string;
  problem: string;
  /** The ref names an object that is not there: nothing to keep, nothing to build on. */
  missing?: true;
}

export interface ReadResult<T> {
  records: Stored<T>[];
  corrupt: Corrupt[];
}

export interface NewRecord {
  subject: string;
  record: unknown;
  parents: string[];
  agent: string;
  timeMs: number;
}

/** The longest subject line a record commit gets (the record itself keeps the whole text). */
export const SUBJECT_LINE_MAX = 200;

/**
 * A record commit's message: its subject line, then the record. The subject line is built from
 * text agents gave (subjects, titles, reasons) and from records others wrote, so it is made safe
 * here, whatever the caller checked: every control character (a NUL, which git would cut the
 * message at and fsck refuses; a newline, which would forge a body; terminal escapes, which
 * `git log` would print raw) is shown as a visible escape, and the line is cut.
 */
export function recordMessage(subject: string, record: unknown): string {
  return `${cut(printable(subject), SUBJECT_LINE_MAX)}\n\n${JSON.stringify(record)}\n`;
}

export function parseBody<T>(schema: Schema<T>, body: string): { ok: true; value: T } | { ok: false; problem: string } {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { ok: false, problem: 'not JSON' };
  }
  const r = schema.safeParse(json);
  if (r.success) return { ok: true, value: r.data };
  const issue = r.error.issues[0];
  // The path can hold keys another agent wrote: escaped, since the problem is printed.
  return { ok: false, problem: issue ? `${printable(issue.path.map(String).join('.')) || 'record'}: ${issue.message}` : 'invalid record' };
}

/** Parses entries through `schema`; the ones that do not parse are returned as corrupt. */
export function decode<T>(schema: Schema<T>, entries: RefEntry[]): ReadResult<T> {
  const records: Stored<T>[] = [];
  const corrupt: Corrupt[] = [];
  for (const e of entries) {
    if (e.missing) {
      corrupt.push({ ref: e.ref, oid: e.oid, problem: 'its object is missing from the repository, or is not a commit', missing: true });
      continue;
    }
    const r = parseBody(schema, e.body);
    if (r.ok) records.push({ ref: e.ref, oid: e.oid, record: r.value });
    else corrupt.push({ ref: e.ref, oid: e.oid, problem: r.problem });
  }
  return { records, corrupt };
}

function spec(r: NewRecord): CommitSpec {
  return { parents: r.parents, agent: r.agent, timeMs: r.timeMs, message: recordMessage(r.subject, r.record) };
}

/**
 * How fresh a read must be. Local state is always current; with a remote as the authority:
 * `authority` fetches first and fails if the remote cannot be reached (decisions), `refresh`
 * fetches first but falls back to the local view with a warning, `view` reads the local view.
 */
export type ReadMode = 'authority' | 'refresh' | 'view';

/** Where records live: this repository's refs, or a remote's (see remote.ts). */
export interface Store {
  readonly repo: Repo;
  /** The authority's name when it is a remote, else null. */
  readonly remote: string | null;
  entries(patterns: string[], mode?: ReadMode): Promise<RefEntry[]>;
  /** The refs matching `patterns` and their values, without reading any record. */
  list(patterns: string[], mode?: ReadMode): Promise<{ ref: string; oid: string }[]>;
  /** Brings the view of `patterns` up to date (nothing to do for local state). */
  refresh(patterns: string[], mode: ReadMode, timeoutMs?: number): Promise<void>;
  any(prefix: string): Promise<boolean>;
  ids(records: NewRecord[]): string[];
  write(records: NewRecord[]): Promise<string[]>;
  /** `transient`: the new values are about to be replaced again (a remote's view may skip them). */
  swap(updates: RefUpdate[], opts?: { transient?: boolean }): Promise<TransactionResult>;
  history<T>(schema: Schema<T>, prefix: string, max: number, mode?: ReadMode): Promise<ReadResult<T>>;
  /** Record bodies by commit id, from the objects this repository has (ids it lacks are left out). */
  bodies(oids: string[]): Promise<Map<string, string>>;
  /** When the local view of the authority was last refreshed in full (null: local, or never). */
  viewTime(): number | null;
  warm(): void;
  warmSoon(): void;
  close(): void;
  /** Packs this repository's refs and loose objects (what `prune` wrote, and what came before); returns git's complaint, if any. */
  pack(): Promise<string | null>;
}

/** Records in this repository's own refs. */
export class RecordStore implements Store {
  readonly remote: string | null = null;
  private reader: ObjectReader | null = null;

  constructor(
    readonly repo: Repo,
    protected readonly writers: Writers,
  ) {}

  viewTime(): number | null {
    return null;
  }

  async refresh(_patterns: string[], _mode: ReadMode, _timeoutMs?: number): Promise<void> {}

  /** Starts the writing processes now, so they are ready when the reads are done. */
  warm(): void {
    this.writers.warm();
  }

  /** Starts them once the current operation has returned (for the next one). */
  warmSoon(): void {
    this.writers.warmSoon();
  }

  /**
   * `git pack-refs --all` (what `git gc` runs: safe beside other git processes), then every loose
   * object, reachable or not, into one new pack (`pack-objects` given their ids, `prune-packed`):
   * records rewritten whole leave their old versions unreachable, which `repack` would leave
   * loose until `git gc` prunes them weeks later. Existing packs are left as they are.
   */
  async pack(): Promise<string | null> {
    const fail = (what: string, r: { stderr: string }) => `git ${what}: ${r.stderr.trim().split('\n')[0] ?? ''}`;
    const refs = await runGit(this.repo.cwd, ['pack-refs', '--all'], { timeoutMs: 300_000 });
    if (refs.code !== 0) return fail('pack-refs', refs);
    const objects = path.join(this.repo.commonDir, 'objects');
    const ids: string[] = [];
    for (const d of fs.readdirSync(objects)) {
      if (!/^[0-9a-f]{2}$/.test(d)) continue;
      for (const f of fs.readdirSync(path.join(objects, d))) if (/^[0-9a-f]{38}$/.test(f)) ids.push(d + f);
    }
    if (ids.length === 0) return null;
    const packed = await runGit(this.repo.cwd, ['pack-objects', '-q', path.join(objects, 'pack', 'pack')], { input: ids.join('\n') + '\n', timeoutMs: 300_000 });
    if (packed.code !== 0) return fail('pack-objects', packed);
    const pruned = await runGit(this.repo.cwd, ['prune-packed', '-q'], { timeoutMs: 300_000 });
    return pruned.code === 0 ? null : fail('prune-packed', pruned);
  }

  /** Ends the writing processes (a command calls this once it is done). */
  close(): void {
    this.writers.close();
    // Closed even if never used: a read after close must not start a reader that nobody ends.
    (this.reader ??= new ObjectReader(this.repo.cwd)).close();
  }

  /** Every ref matching `patterns` (for-each-ref semantics) with its record text, undecoded. */
  async entries(patterns: string[], _mode?: ReadMode): Promise<RefEntry[]> {
    return readRefs(this.repo, patterns);
  }

  async list(patterns: string[], _mode?: ReadMode): Promise<{ ref: string; oid: string }[]> {
    return listRefs(this.repo, patterns);
  }

  async any(prefix: string): Promise<boolean> {
    return hasRefs(this.repo, prefix);
  }

  /** The ids records will have once written, so that records written together can chain. */
  ids(records: NewRecord[]): string[] {
    return records.map((r) => objectId(this.repo, 'commit', commitBody(this.repo, spec(r))));
  }

  /** Writes record commits in one git call and returns their ids. */
  async write(records: NewRecord[]): Promise<string[]> {
    return writeCommits(this.repo, records.map(spec), this.writers);
  }

  /** One atomic compare-and-swap over several refs. */
  async swap(updates: RefUpdate[], _opts?: { transient?: boolean }): Promise<TransactionResult> {
    return updateRefs(this.repo, updates, this.writers);
  }

  async bodies(oids: string[]): Promise<Map<string, string>> {
    this.reader ??= new ObjectReader(this.repo.cwd);
    return this.reader.commitBodies(oids);
  }

  /** The newest entries of every history ref matching `glob`, newest first. */
  async history<T>(schema: Schema<T>, prefix: string, max: number, _mode?: ReadMode): Promise<ReadResult<T>> {
    // hasRefs, not this.any: a remote store passes its view's prefix here already mapped.
    if (!(await hasRefs(this.repo, prefix))) return { records: [], corrupt: [] };
    const { entries, broken } = await journalLog(this.repo, `${prefix}*`, max);
    const read = decode(schema, entries.map((e) => ({ ref: prefix, oid: e.oid, body: e.body })));
    read.corrupt.push(...broken.map((b) => ({ ...b, problem: 'its object is missing from the repository', missing: true as const })));
    return read;
  }
}

export type { RefEntry, RefUpdate, TransactionResult };
