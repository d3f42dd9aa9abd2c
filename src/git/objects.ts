/**
 * Writing commit objects. Records are commits whose message holds the JSON; the tree is the
 * empty tree. Object ids are computed here so dependent objects (a journal entry whose parent is
 * a record written in the same step) can be written together. Where the repository allows it they
 * are written here as loose objects in git's own format (no process to start); else by git.
 */
import { hashHex } from './sha.js';
import fs from 'node:fs';
import path from 'node:path';
import { runGit, GitSession } from './run.js';
import { FailedError } from '../errors.js';
import type { Repo } from './repo.js';
import type { Writers } from './writers.js';

export const ZERO_SHA1 = '0'.repeat(40);

/** An object id as git prints it (SHA-1 or SHA-256). */
export const OID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

export function zeroOid(repo: Repo): string {
  return repo.objectFormat === 'sha256' ? '0'.repeat(64) : ZERO_SHA1;
}

export function objectId(repo: Repo, type: string, body: Buffer): string {
  return hashHex(repo.objectFormat === 'sha256' ? 'sha256' : 'sha1', `${type} ${body.length}\0`, body);
}

export function emptyTreeId(repo: Repo): string {
  return objectId(repo, 'tree', Buffer.alloc(0));
}

export interface CommitSpec {
  parents: string[];
  /** Shown as author and committer: the agent that made the change. */
  agent: string;
  timeMs: number;
  message: string;
  /** The commit's tree (default: the empty tree, as records have). */
  tree?: string;
}

export function commitBody(repo: Repo, c: CommitSpec): Buffer {
  const secs = Math.floor(c.timeMs / 1000);
  const who = `${c.agent} <${c.agent}@git-coord> ${secs} +0000`;
  const head = [`tree ${c.tree ?? emptyTreeId(repo)}`, ...c.parents.map((p) => `parent ${p}`), `author ${who}`, `committer ${who}`];
  return Buffer.from(`${head.join('\n')}\n\n${c.message}`, 'utf8');
}

const treeWritten = new Set<string>();

/** The empty tree must exist as a real object, or pushes and fsck of record commits fail. */
async function ensureEmptyTree(repo: Repo): Promise<void> {
  if (treeWritten.has(repo.commonDir)) return;
  const id = emptyTreeId(repo);
  if (!fs.existsSync(loosePath(repo, id))) {
    if (!(directWrites(repo) && writeLoose(repo, id, 'tree', Buffer.alloc(0)))) {
      const r = await runGit(repo.cwd, ['hash-object', '-w', '-t', 'tree', '--stdin']);
      if (r.code !== 0 || r.stdout.trim() !== id) throw new FailedError(`cannot write the empty tree: ${r.stderr.trim()}`);
    }
  }
  treeWritten.add(repo.commonDir);
}

function loosePath(repo: Repo, id: string): string {
  return path.join(repo.commonDir, 'objects', id.slice(0, 2), id.slice(2));
}

/**
 * Whether this process may write loose objects itself, as git would: the repository was found on
 * the file system with a plain config (git/repo.ts), objects go to `<common dir>/objects` (no
 * GIT_OBJECT_DIRECTORY, no push quarantine), and no user or system config asks for shared
 * permissions or fsync. Otherwise `hash-object` writes them.
 */
export function directWrites(repo: Repo, env: NodeJS.ProcessEnv = process.env): boolean {
  if (!repo.plain || env.GIT_OBJECT_DIRECTORY !== undefined || env.GIT_QUARANTINE_PATH !== undefined) return false;
  return userConfigPlain(env);
}

const userConfigChecked = new WeakMap<NodeJS.ProcessEnv, boolean>();

/** The global and system config files say nothing about how objects are written (nor include others). */
function userConfigPlain(env: NodeJS.ProcessEnv): boolean {
  const known = userConfigChecked.get(env);
  if (known !== undefined) return known;
  const home = env.HOME ?? '';
  const files = [
    ...(env.GIT_CONFIG_GLOBAL !== undefined
      ? [env.GIT_CONFIG_GLOBAL]
      : [path.join(env.XDG_CONFIG_HOME || path.join(home, '.config'), 'git', 'config'), path.join(home, '.gitconfig')]),
    ...(env.GIT_CONFIG_NOSYSTEM ? [] : [env.GIT_CONFIG_SYSTEM ?? '/etc/gitconfig']),
  ];
  const plain = files.every((f) => {
    let text: string;
    try {
      text = fs.readFileSync(f, 'utf8');
    } catch {
      return true;
    }
    return !/sharedrepository|fsync|^\s*\[\s*include/im.test(text);
  });
  userConfigChecked.set(env, plain);
  return plain;
}

/**
 * Data in zlib's format with its deflate blocks stored, not compressed (RFC 1950/1951): what any
 * zlib reader, git's included, inflates. Records are a few hundred bytes, so compressing them
 * saves little, and not loading node:zlib saves a command several ms (git compresses them anyway
 * when it packs them).
 */
export function zlibStored(data: Buffer): Buffer {
  const parts: Buffer[] = [Buffer.from([0x78, 0x01])];
  for (let at = 0; ; at += 0xffff) {
    const chunk = data.subarray(at, at + 0xffff);
    const last = at + 0xffff >= data.length;
    const head = Buffer.alloc(5);
    head[0] = last ? 1 : 0;
    head.writeUInt16LE(chunk.length, 1);
    head.writeUInt16LE(~chunk.length & 0xffff, 3);
    parts.push(head, chunk);
    if (last) break;
  }
  let a = 1;
  let b = 0;
  for (const byte of data) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  const sum = Buffer.alloc(4);
  sum.writeUInt32BE(((b << 16) | a) >>> 0);
  parts.push(sum);
  return Buffer.concat(parts);
}

/**
 * Writes one loose object as git does: `<type> <size>\0<body>` in zlib's format at
 * objects/<2 hex>/<rest>, written to a temporary file beside it (git's `tmp_obj_` prefix, so
 * `git gc` removes one left by a killed process) and moved into place, read-only. Returns false
 * if it could not, so the caller lets git try (and report why).
 */
function writeLoose(repo: Repo, id: string, type: string, body: Buffer): boolean {
  const file = loosePath(repo, id);
  if (fs.existsSync(file)) return true;
  const data = zlibStored(Buffer.concat([Buffer.from(`${type} ${body.length}\0`), body]));
  const tmp = path.join(path.dirname(file), `tmp_obj_${process.pid}_${++tmpCounter}`);
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(tmp, data, { mode: 0o444 });
    fs.renameSync(tmp, file);
    return true;
  } catch {
    fs.rmSync(tmp, { force: true });
    return false;
  }
}

let tmpCounter = 0;

/**
 * Writes commits and returns their ids, in order: as loose objects written here when the
 * repository allows it (directWrites), else through one long-lived `hash-object --stdin-paths`
 * (each body in a scratch file inside the git dir: nothing is written outside the repository).
 */
export async function writeCommits(repo: Repo, commits: CommitSpec[], writers: Writers): Promise<string[]> {
  if (commits.length === 0) return [];
  await ensureEmptyTree(repo);
  const bodies = commits.map((c) => commitBody(repo, c));
  const expected = bodies.map((b) => objectId(repo, 'commit', b));
  if (directWrites(repo) && bodies.every((b, i) => writeLoose(repo, expected[i]!, 'commit', b))) return expected;
  const dir = path.join(repo.commonDir, 'git-coord', 'tmp');
  fs.mkdirSync(dir, { recursive: true });
  const files = bodies.map((b) => {
    const f = path.join(dir, `${process.pid}-${++tmpCounter}`);
    fs.writeFileSync(f, b);
    return f;
  });
  try {
    const r = await writers.hashFiles(files, expected[0]!.length);
    if (!r.ok) throw new FailedError(`cannot write records: ${r.stderr.trim()}`);
    if (r.ids.length !== expected.length || r.ids.some((g, i) => g !== expected[i])) {
      throw new FailedError('git wrote record objects with unexpected ids');
    }
  } finally {
    for (const f of files) fs.rmSync(f, { force: true });
  }
  return expected;
}

/** An object to write or as read: its type and its body (without git's `<type> <size>` header). */
export interface GitObject {
  type: 'blob' | 'tree' | 'commit';
  body: Buffer;
}

/**
 * Writes objects of any type and returns their ids, in order: loose objects written here where
 * the repository allows it (directWrites), else by `git hash-object -w --stdin-paths`, one call
 * per type (each body in a scratch file inside the git dir).
 */
export async function writeObjects(repo: Repo, objects: GitObject[]): Promise<string[]> {
  const ids = objects.map((o) => objectId(repo, o.type, o.body));
  if (directWrites(repo) && objects.every((o, i) => writeLoose(repo, ids[i]!, o.type, o.body))) return ids;
  const dir = path.join(repo.commonDir, 'git-coord', 'tmp');
  fs.mkdirSync(dir, { recursive: true });
  for (const type of ['blob', 'tree', 'commit'] as const) {
    const mine = objects.map((o, i) => ({ o, id: ids[i]! })).filter((x) => x.o.type === type);
    if (mine.length === 0) continue;
    const files = mine.map((x) => {
      const f = path.join(dir, `${process.pid}-${++tmpCounter}`);
      fs.writeFileSync(f, x.o.body);
      return f;
    });
    try {
      const r = await runGit(repo.cwd, ['hash-object', '-w', '-t', type, '--stdin-paths'], { input: files.join('\n') + '\n' });
      const got = r.stdout.split('\n').filter(Boolean);
      if (r.code !== 0) throw new FailedError(`cannot write objects: ${r.stderr.trim()}`);
      if (got.length !== mine.length || got.some((g, i) => g !== mine[i]!.id)) throw new FailedError('git wrote objects with unexpected ids');
    } finally {
      for (const f of files) fs.rmSync(f, { force: true });
    }
  }
  return ids;
}

/** One entry of a tree object: a blob (`100644`) or a tree (`40000`) under `name`. */
export interface TreeEntry {
  mode: '100644' | '40000';
  name: string;
  oid: string;
}

/** A tree object's body for `entries` (any order; names must be unique), sorted as git sorts them. */
export function treeBody(entries: TreeEntry[]): Buffer {
  // git compares names byte-wise, a tree's name as if it ended in '/'.
  const key = (e: TreeEntry) => Buffer.from(e.mode === '40000' ? `${e.name}/` : e.name, 'utf8');
  const sorted = [...entries].sort((a, b) => Buffer.compare(key(a), key(b)));
  return Buffer.concat(sorted.flatMap((e) => [Buffer.from(`${e.mode} ${e.name}\0`, 'utf8'), Buffer.from(e.oid, 'hex')]));
}

/** The entries of a tree object's body (`hexLength`: 40 for SHA-1, 64 for SHA-256). */
export function parseTree(body: Buffer, hexLength: number): TreeEntry[] {
  const out: TreeEntry[] = [];
  const raw = hexLength / 2;
  let at = 0;
  while (at < body.length) {
    const sp = body.indexOf(32, at);
    const nul = body.indexOf(0, sp);
    if (sp < 0 || nul < 0 || nul + 1 + raw > body.length) throw new FailedError('a tree object does not parse');
    const mode = body.subarray(at, sp).toString('latin1');
    out.push({ mode: mode === '40000' ? '40000' : '100644', name: body.subarray(sp + 1, nul).toString('utf8'), oid: body.subarray(nul + 1, nul + 1 + raw).toString('hex') });
    at = nul + 1 + raw;
  }
  return out;
}

/**
 * A parser of `cat-file --batch` output fed chunk by chunk (GitSession.stream): only the bytes of
 * an object not yet complete are kept, so an answer of thousands of objects is parsed in one pass.
 */
function batchParser(count: number): { feed: (chunk: Buffer) => void; done: () => boolean; objects: ({ oid: string; type: string; body: Buffer } | null)[] } {
  const objects: ({ oid: string; type: string; body: Buffer } | null)[] = [];
  let pending: Buffer = Buffer.alloc(0);
  const feed = (chunk: Buffer): void => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    let at = 0;
    while (objects.length < count) {
      const nl = pending.indexOf(10, at);
      if (nl < 0) break;
      const [oid, type, size] = pending.subarray(at, nl).toString('utf8').split(' ');
      if (size === undefined || type === 'missing' || type === 'ambiguous') {
        objects.push(null);
        at = nl + 1;
        continue;
      }
      const n = Number(size);
      if (nl + 1 + n + 1 > pending.length) break;
      objects.push({ oid: oid!, type: type!, body: Buffer.from(pending.subarray(nl + 1, nl + 1 + n)) });
      at = nl + 1 + n + 1;
    }
    pending = pending.subarray(at);
  };
  return { feed, done: () => objects.length >= count, objects };
}

/**
 * Reads commit message bodies (after the subject line) by id, through one long-lived
 * `cat-file --batch` process: after the first, a read costs no process start. Ids not present
 * locally are missing from the result.
 */
export class ObjectReader {
  private session: GitSession | null = null;
  private closed = false;

  constructor(private readonly cwd: string) {}

  warm(): void {
    if (this.closed) return;
    if (!this.session?.alive) this.session = new GitSession(this.cwd, ['cat-file', '--batch'], { binary: true });
  }

  async commitBodies(oids: string[], timeoutMs?: number): Promise<Map<string, string>> {
    const bodies = new Map<string, string>();
    const got = await this.batch(oids, 'records', timeoutMs);
    got.forEach((o) => {
      if (o?.type !== 'commit') return;
      const content = o.body.toString('utf8');
      const message = content.slice(content.indexOf('\n\n') + 2);
      const sep = message.indexOf('\n\n');
      bodies.set(o.oid, sep < 0 ? '' : message.slice(sep + 2));
    });
    return bodies;
  }

  /**
   * Objects by name (an id, or `<tree>:<path>`), in order, in one exchange; null for a name that
   * does not resolve. Bodies are bytes, as stored.
   */
  objects(names: string[], timeoutMs?: number): Promise<({ oid: string; type: string; body: Buffer } | null)[]> {
    return this.batch(names, 'objects', timeoutMs);
  }

  /** One exchange with the long-lived `cat-file --batch`, parsed as it streams (`what` names it in errors). */
  private async batch(names: string[], what: 'records' | 'objects', timeoutMs?: number): Promise<({ oid: string; type: string; body: Buffer } | null)[]> {
    if (names.length === 0) return [];
    // A closed reader never starts a process again (it would outlive its owner).
    if (this.closed) throw new FailedError(`the session is closed: cannot read ${what}`, { kind: 'closed' });
    if (names.some((n) => /[\n\0]/.test(n))) throw new FailedError('an object name holds a newline');
    this.warm();
    const parser = batchParser(names.length);
    const r = await this.session!.stream(names.join('\n') + '\n', parser.feed, parser.done, timeoutMs);
    if (!r.ok) {
      this.session = null;
      throw new FailedError(`cannot read ${what}: ${r.stderr.trim()}`);
    }
    return parser.objects;
  }

  close(): void {
    this.closed = true;
    this.session?.close();
    this.session = null;
  }
}
