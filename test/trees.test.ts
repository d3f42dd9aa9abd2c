/**
 * Fanned-out trees (src/store/trees.ts): entries set and deleted on a base tree, read back by key
 * and listed whole; what git itself reads (ls-tree, fsck --strict) agrees; a change rewrites
 * only the trees on its path; objects written by git (a repository that asks for it) are the same.
 */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { discover } from '../src/git/repo.js';
import { RecordStore, Writers } from '../src/store/records.js';
import { FAN_OUT, checkKey, dirsOf, entryPath, listEntries, readEntries, writeTree } from '../src/store/trees.js';
import { ENV, gitRun, gitSync, makeRepo } from './helpers.js';

function storeIn(dir: string): RecordStore {
  const repo = discover(fs.realpathSync(dir), ENV);
  if (!repo) throw new Error('no repository');
  const s = new RecordStore(repo, new Writers(repo.cwd));
  return s;
}

const b = (s: string) => Buffer.from(s, 'utf8');
const text = (m: Map<string, Buffer>) => Object.fromEntries([...m].map(([k, v]) => [k, v.toString('utf8')]).sort());

describe('fanned-out trees', () => {
  it('sets, reads, lists and deletes entries; git reads the same tree', async () => {
    const dir = makeRepo();
    const store = storeIn(dir);
    try {
      const keys = Array.from({ length: 300 }, (_, i) => `k-${i}`);
      const t1 = await writeTree(store, null, new Map(keys.map((k) => [k, b(`v ${k}\n`)])));
      // git sees each entry at its fanned-out path, and nothing else.
      const ls = gitSync(dir, 'ls-tree', '-r', '--name-only', t1).trim().split('\n').sort();
      expect(ls).toEqual(keys.map((k) => entryPath(k)).sort());
      expect(gitSync(dir, 'cat-file', 'blob', `${t1}:${entryPath('k-7')}`)).toBe('v k-7\n');
      const fsck = gitRun(dir, ['fsck', '--strict', '--no-dangling', '--no-progress']);
      expect(fsck.code, fsck.stderr).toBe(0);

      expect(text(await readEntries(store, t1, ['k-1', 'k-299', 'absent']))).toEqual({ 'k-1': 'v k-1\n', 'k-299': 'v k-299\n' });
      expect((await listEntries(store, t1)).size).toBe(300);

      // A change on the base: one set, one replaced, one deleted; the rest kept.
      const t2 = await writeTree(store, t1, new Map<string, Buffer | null>([['new', b('n')], ['k-1', b('changed')], ['k-2', null]]));
      const all = await listEntries(store, t2);
      expect(all.size).toBe(300);
      expect(all.get('new')!.toString()).toBe('n');
      expect(all.get('k-1')!.toString()).toBe('changed');
      expect(all.has('k-2')).toBe(false);
      expect(all.get('k-3')!.toString()).toBe('v k-3\n');
      // The base is untouched (objects are immutable).
      expect((await readEntries(store, t1, ['k-2'])).size).toBe(1);

      // Deleting everything leaves the empty tree; empty directories are dropped.
      const t3 = await writeTree(store, t2, new Map([...all.keys()].map((k) => [k, null])));
      expect(gitSync(dir, 'ls-tree', t3).trim()).toBe('');
      expect(t3).toBe(gitSync(dir, 'hash-object', '-t', 'tree', '/dev/null').trim());
    } finally {
      store.close();
    }
  });

  it('a change rewrites only the trees on its path (one per level) and its blob', async () => {
    const dir = makeRepo();
    const store = storeIn(dir);
    try {
      const keys = Array.from({ length: 2000 }, (_, i) => `t-${i}`);
      const t1 = await writeTree(store, null, new Map(keys.map((k) => [k, b(k)])));
      const before = new Set(gitSync(dir, 'ls-tree', '-r', '-t', t1).trim().split('\n').map((l) => l.split(/\s+/)[2]));
      const t2 = await writeTree(store, t1, new Map([['t-5', b('done')]]));
      const after = gitSync(dir, 'ls-tree', '-r', '-t', t2).trim().split('\n').map((l) => l.split(/\s+/)[2]);
      const fresh = after.filter((id) => !before.has(id));
      // The top tree is not listed by ls-tree: the new objects below it are one tree a level and the blob.
      expect(fresh.length).toBe(FAN_OUT.levels + 1);
      const dirs = dirsOf('t-5');
      expect(dirs).toHaveLength(FAN_OUT.levels);
      expect(dirs.every((d) => d.length === FAN_OUT.width)).toBe(true);
    } finally {
      store.close();
    }
  });

  it('objects written by git (shared repository permissions) are the same', async () => {
    const dir = makeRepo();
    gitSync(dir, 'config', 'core.sharedRepository', 'group');
    const store = storeIn(dir);
    try {
      expect(store.repo.plain).toBe(false);
      const t = await writeTree(store, null, new Map([['a', b('1')], ['b', b('2')]]));
      expect(gitSync(dir, 'cat-file', '-t', t).trim()).toBe('tree');
      expect(text(await listEntries(store, t))).toEqual({ a: '1', b: '2' });
    } finally {
      store.close();
    }
  });

  it('refuses keys that are no tree entry name', () => {
    for (const k of ['', 'a/b', '.', '..', '.git', 'a\nb', 'x'.repeat(201)]) expect(() => checkKey(k)).toThrow(/not a valid tree key/);
    expect(() => checkKey('t-abc123')).not.toThrow();
  });
});
