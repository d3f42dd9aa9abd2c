/**
 * Fanned-out trees: a set of entries (key -> bytes) kept as one git tree, so that a ref can hold
 * thousands of entries and a change rewrites only what it touches. Each entry is a blob at
 * `<d1>/<d2>/…/<key>`, where the directories are the first hex digits of the SHA-1 of the key
 * (`fan.width` digits per level, `fan.levels` levels): keys spread evenly, whatever they look like.
 *
 *   writeTree(store, base, changes)   a new tree: base (or nothing) with keys set or deleted;
 *                                     writes only the changed blobs and the trees on their paths
 *   readEntries(store, tree, keys)    some entries, in one `cat-file --batch` exchange
 *                                     (readEntriesOf: of several trees at once)
 *   listEntries(store, tree)          every entry (one exchange per level, one for the blobs;
 *                                     listEntriesOf: of several trees, the same exchanges)
 *
 * Objects are written in-process like records (git/objects.ts) and read through the store's one
 * long-lived `cat-file --batch`. Nothing here knows what the entries mean; a caller commits the
 * tree (NewRecord.tree) and swaps a ref to that commit as any other record.
 *
 * Why one hex digit a level, two levels (FAN_OUT): a change rewrites the tree of every level on
 * its path, so its cost is the sum of their sizes (about 28 bytes a subtree entry, 36 a blob
 * entry, per tree). Computed over real key hashes: 975 bytes a change at 600 entries, 1.3 kB at
 * 3,000, 5.2 kB at 30,000 (one level: 1.9, 7.2, 68 kB; two hex digits a level: 6.8-11.7 kB). Three
 * levels save little below 30,000 entries and multiply the trees a whole read fetches (4,365 vs 273).
 */
import { UsageError } from '../errors.js';
import { emptyTreeId, objectId, parseTree, treeBody, type GitObject, type TreeEntry } from '../git/objects.js';
import type { Repo } from '../git/repo.js';
import { hashHex } from '../git/sha.js';

/** What the trees need of a store (records.ts's Store has it). */
export interface TreeStore {
  readonly repo: Repo;
  objects(names: string[]): Promise<({ oid: string; type: string; body: Buffer } | null)[]>;
  writeObjects(objects: GitObject[]): Promise<string[]>;
}

/** How keys are spread: `levels` directories, each named by `width` hex digits of the key's hash. */
export interface FanOut {
  levels: number;
  width: number;
}

export const FAN_OUT: FanOut = { levels: 2, width: 1 };

/** The longest key (a tree entry name; git's own limit is the file system's). */
export const MAX_KEY_BYTES = 200;

/** A key is one tree entry name: not empty, no `/`, NUL or newline, not `.`, `..` or `.git`, at most MAX_KEY_BYTES. */
export function checkKey(key: string): void {
  if (key === '' || /[/\0\n]/.test(key) || key === '.' || key === '..' || key.toLowerCase() === '.git' || Buffer.byteLength(key) > MAX_KEY_BYTES) {
    throw new UsageError(`not a valid tree key: ${JSON.stringify(key.slice(0, 80))}`, { kind: 'bad-key' });
  }
}

/** The directories above `key`, top first. */
export function dirsOf(key: string, fan: FanOut = FAN_OUT): string[] {
  const h = hashHex('sha1', key); // no node:crypto at start-up (git/sha.ts)
  const out: string[] = [];
  for (let i = 0; i < fan.levels; i++) out.push(h.slice(i * fan.width, (i + 1) * fan.width));
  return out;
}

/** Where `key` lives in a tree: `<d1>/…/<key>`. */
export function entryPath(key: string, fan: FanOut = FAN_OUT): string {
  checkKey(key);
  return [...dirsOf(key, fan), key].join('/');
}

/** Reads tree objects by name (null: absent, or not a tree). */
async function readTrees(store: TreeStore, names: string[]): Promise<(TreeEntry[] | null)[]> {
  const hex = store.repo.objectFormat === 'sha256' ? 64 : 40;
  return (await store.objects(names)).map((o) => (o && o.type === 'tree' ? parseTree(o.body, hex) : null));
}

/**
 * `base` (a tree id, or null for none) with the entries of `changes` set (bytes) or deleted
 * (null); returns the new tree's id (the empty tree when nothing is left). Reads the trees on the
 * changed paths in one exchange and writes only the changed blobs and those trees, in one write.
 */
export async function writeTree(store: TreeStore, base: string | null, changes: Map<string, Buffer | null>, fan: FanOut = FAN_OUT): Promise<string> {
  for (const k of changes.keys()) checkKey(k);
  // Every directory on a changed path, by its path ('' is the top).
  const dirs = new Set<string>(['']);
  for (const k of changes.keys()) {
    const d = dirsOf(k, fan);
    for (let i = 1; i <= d.length; i++) dirs.add(d.slice(0, i).join('/'));
  }
  const order = [...dirs];
  const read = base === null ? order.map(() => null) : await readTrees(store, order.map((d) => (d === '' ? base : `${base}:${d}`)));
  const trees = new Map<string, Map<string, TreeEntry>>(order.map((d, i) => [d, new Map((read[i] ?? []).map((e) => [e.name, e]))]));
  // Ids are computed here; every object is written at the end, in one write.
  const writes: GitObject[] = [];
  for (const [k, body] of changes) {
    const leaf = trees.get(dirsOf(k, fan).join('/'))!;
    if (body === null) leaf.delete(k);
    else {
      writes.push({ type: 'blob', body });
      leaf.set(k, { mode: '100644', name: k, oid: objectId(store.repo, 'blob', body) });
    }
  }
  // Bottom up: deepest directories first, each named in its parent (or dropped when empty).
  const byDepth = order.filter((d) => d !== '').sort((a, b) => b.split('/').length - a.split('/').length);
  const ids = new Map<string, string>();
  for (const d of [...byDepth, '']) {
    const entries = [...trees.get(d)!.values()];
    const body = treeBody(entries);
    const id = objectId(store.repo, 'tree', body);
    writes.push({ type: 'tree', body });
    ids.set(d, id);
    if (d === '') break;
    const at = d.lastIndexOf('/');
    const parent = trees.get(at < 0 ? '' : d.slice(0, at))!;
    const name = d.slice(at + 1);
    if (entries.length === 0) parent.delete(name);
    else parent.set(name, { mode: '40000', name, oid: id });
  }
  await store.writeObjects(writes);
  return ids.get('') ?? emptyTreeId(store.repo);
}

/** The entries of `tree` among `keys` (missing keys are left out), in one exchange. */
export async function readEntries(store: TreeStore, tree: string, keys: string[], fan: FanOut = FAN_OUT): Promise<Map<string, Buffer>> {
  const wanted = [...new Set(keys)];
  const got = await readEntriesOf(store, wanted.map((key) => ({ tree, key })), fan);
  const out = new Map<string, Buffer>();
  wanted.forEach((k, i) => {
    const body = got[i];
    if (body) out.set(k, body);
  });
  return out;
}

/** Entries asked of several trees (a tree, or a commit: its tree), in order, in one exchange; null where absent. */
export async function readEntriesOf(store: TreeStore, asks: { tree: string; key: string }[], fan: FanOut = FAN_OUT): Promise<(Buffer | null)[]> {
  const got = await store.objects(asks.map((q) => `${q.tree}:${entryPath(q.key, fan)}`));
  return got.map((o) => (o && o.type === 'blob' ? o.body : null));
}

/** Every entry of `tree` (see listEntriesOf). */
export async function listEntries(store: TreeStore, tree: string, fan: FanOut = FAN_OUT, only?: Set<string>): Promise<Map<string, Buffer>> {
  return (await listEntriesOf(store, [tree], fan, only))[0]!;
}

/**
 * Every entry of each of `trees` (with `only`, those of these keys, each where its key hashes to,
 * as readEntries finds it: an entry elsewhere, in a tree made by hand, is not the key's): one
 * exchange per level of directories for all of them, then one for the blobs.
 */
export async function listEntriesOf(store: TreeStore, trees: string[], fan: FanOut = FAN_OUT, only?: Set<string>): Promise<Map<string, Buffer>[]> {
  let level: { root: number; dir: string; oid: string }[] = trees.map((oid, root) => ({ root, dir: '', oid }));
  for (let i = 0; i < fan.levels && level.length > 0; i++) {
    const read = await readTrees(store, level.map((t) => t.oid));
    level = read.flatMap((t, k) => (t ?? []).filter((e) => e.mode === '40000').map((e) => ({ root: level[k]!.root, dir: `${level[k]!.dir}${e.name}/`, oid: e.oid })));
  }
  const read = await readTrees(store, level.map((t) => t.oid));
  const leaves = read.flatMap((t, k) =>
    (t ?? [])
      .filter((e) => e.mode !== '40000' && (!only || (only.has(e.name) && `${level[k]!.dir}${e.name}` === entryPath(e.name, fan))))
      .map((e) => ({ root: level[k]!.root, e })),
  );
  const bodies = await store.objects(leaves.map((l) => l.e.oid));
  const out = trees.map(() => new Map<string, Buffer>());
  leaves.forEach((l, i) => {
    const o = bodies[i];
    if (o && o.type === 'blob') out[l.root]!.set(l.e.name, o.body);
  });
  return out;
}
