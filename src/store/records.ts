/**
 * Records: small JSON documents kept as commit messages on refs. Each change writes a new commit
 * whose parent is the state it replaced, and moves the ref by compare-and-swap; so a record's
 * history is `git log <ref>`, and a lost race is seen as a failed swap, never as lost data.
 */
import type { Repo } from '../git/repo.js';
import { readRefs, listRefs, updateRefs, hasRefs, type RefEntry, type RefUpdate, type TransactionResult } from '../git/refs.js';
import { writeCommits, writeObjects, objectId, commitBody, ObjectReader, type CommitSpec, type GitObject } from '../git/objects.js';
import { journalLog } from '../git/worktree.js';
import { chainCommits, type RecordCommit } from '../git/chain.js';
import { Writers } from '../git/writers.js';
import { looseEstimate, packAll, packObjects } from '../git/maintenance.js';
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
  /** The commit's tree (default: the empty tree); a tree of records (store/trees.ts), say. */
  tree?: string;
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
  return { parents: r.parents, agent: r.agent, timeMs: r.timeMs, message: recordMessage(r.subject, r.record), ...(r.tree ? { tree: r.tree } : {}) };
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
  /** Objects by name (an id, or `<tree>:<path>`), in order, from this repository; null where a name does not resolve. */
  objects(names: string[]): Promise<({ oid: string; type: string; body: Buffer } | null)[]>;
  /** Writes objects of any type (trees, blobs: store/trees.ts); returns their ids, in order. */
  writeObjects(objects: GitObject[]): Promise<string[]>;
  /** The records of chains (`tips`, as read) along first parents, newest first, without what `stops` reach. */
  chains(tips: string[], stops: string[]): Promise<(RecordCommit & { tip: string })[]>;
  /** When the local view of the authority was last refreshed in full (null: local, or never). */
  viewTime(): number | null;
  warm(): void;
  warmSoon(): void;
  /** Starts the object reader (`cat-file --batch`) now, for a read by id known to follow. */
  warmReader(): void;
  close(): void;
  /** Packs this repository's refs and loose objects (what `prune` wrote, and what came before); returns git's complaint, if any. */
  pack(): Promise<string | null>;
  /** Whether enough loose objects have gathered that a command that wrote should pack them. */
  packDue(): boolean;
  /** Packs the loose objects as `pack` does, not the refs (upkeep: deleting a packed live ref rewrites packed-refs). */
  packObjects(): Promise<string | null>;
}

/** Records in this repository's own refs. */
/**
 * Loose objects a repository gathers before a command that writes packs them: each is a file of
 * at least one 4 KiB block, so this keeps their space to ~8 MiB plus their bytes, and a pack run
 * (~2,000 objects) short. git's own threshold (`gc.auto`) is 6,700.
 */
export const LOOSE_LIMIT = 2048;

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

  /**
   * Starts the reader of objects by id now: its process starts while another git call runs
   * (`claim --next` lists the queue, then reads its candidates by id), not after it.
   */
  warmReader(): void {
    (this.reader ??= new ObjectReader(this.repo.cwd)).warm();
  }

  /** Starts them once the current operation has returned (for the next one). */
  warmSoon(): void {
    this.writers.warmSoon();
  }

  /** Packs refs and every loose object (git/maintenance.ts has how, and why all of them). */
  pack(): Promise<string | null> {
    return packAll(this.repo);
  }

  packObjects(): Promise<string | null> {
    return packObjects(this.repo);
  }

  /** Enough loose objects that the commands that write should pack them (about LOOSE_LIMIT). */
  packDue(): boolean {
    return looseEstimate(this.repo) >= LOOSE_LIMIT;
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

  async chains(tips: string[], stops: string[]): Promise<(RecordCommit & { tip: string })[]> {
    return chainCommits(this.repo, tips, stops);
  }

  async bodies(oids: string[]): Promise<Map<string, string>> {
    this.reader ??= new ObjectReader(this.repo.cwd);
    return this.reader.commitBodies(oids);
  }

  async objects(names: string[]): Promise<({ oid: string; type: string; body: Buffer } | null)[]> {
    this.reader ??= new ObjectReader(this.repo.cwd);
    return this.reader.objects(names);
  }

  async writeObjects(objects: GitObject[]): Promise<string[]> {
    return writeObjects(this.repo, objects);
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

export type { RefEntry, RefUpdate, TransactionResult, RecordCommit };
