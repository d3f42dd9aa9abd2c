/**
 * The watch view: the history as it happens. An async iterator of the same entries as `log
 * --json`, oldest first, from every worktree of the repository (they share its refs) and, with a
 * remote, as the view learns them.
 *
 * How it learns of a change without polling the disk: every change an agent makes writes an entry
 * on its journal ref, so the view watches (fs.watch, inotify on Linux) the directories on the way
 * to git's journal refs (`refs/coordination/journal/`, or the remote's view of it) and git's
 * `packed-refs`. A wake-up lists the journal heads (one `for-each-ref`); only when a head moved does
 * it read the newest entries and hand out the ones not handed out yet. A slow safety poll (every
 * 10 s) catches anything the watcher missed (a file system without notifications). Through a
 * remote it fetches the journals at the pace `inbox --wait` keeps (every `poll`, and never more
 * often than one read per second for every ten agents), within the forge's read limit.
 */
import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { DURATION_RE } from '../fields.js';
import { JOURNAL, ROOT, escapeComponent } from '../store/layout.js';
import type { ReadMode } from '../store/records.js';
import type { Coord } from '../session/coord.js';
import { entryOf, type HistoryEntry } from '../history/history.js';
import { EventRecord } from '../history/schema.js';
import { parseDuration } from '../session/duration.js';
import { Messages } from '../messages/messages.js';

export interface WatchOptions {
  /** First hand out what happened since this time (ms since the epoch). */
  sinceMs?: number;
  /** Ends the iteration (the iterator then returns). */
  signal?: AbortSignal;
  /** Warnings met on the way (unreadable entries, a remote that cannot be reached), each once in a row. */
  onWarning?: (msg: string) => void;
  /** How often to look even when nothing was heard (ms; default 10 s locally). */
  safetyPollMs?: number;
}

/** Entries read at first for the newest window; doubled while a read finds nothing it had seen. */
const WINDOW = 64;
const MAX_WINDOW = 65_536;
/** Commit ids remembered as handed out (the oldest are forgotten first). */
const REMEMBER = 20_000;
const DEBOUNCE_MS = 25;

/** `--since`: an ISO 8601 time, or a duration ago (`10m`, `2h`). */
export function parseSince(text: string, now: number): number {
  if (DURATION_RE.test(text.trim())) return now - parseDuration(text, '--since')!;
  const t = /^\d{4}-\d\d-\d\d/.test(text) ? Date.parse(text) : NaN;
  if (!Number.isFinite(t)) throw new UsageError(`bad --since ${JSON.stringify(text.slice(0, 100))}: use a time such as 2026-12-01T10:00:00Z, or a duration ago such as 10m`);
  return t;
}


class Remembered {
  private readonly set = new Set<string>();
  has(oid: string): boolean {
    return this.set.has(oid);
  }
  add(oid: string): void {
    this.set.add(oid);
    if (this.set.size > REMEMBER) this.set.delete(this.set.values().next().value!);
  }
}

/** Wakes the loop: on a file system event (debounced), a timer, or the end. */
class Wake {
  private resolve: (() => void) | null = null;
  private pending = false;
  private timer: NodeJS.Timeout | null = null;

  poke = (): void => {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.fire();
    }, DEBOUNCE_MS);
  };

  fire(): void {
    this.pending = true;
    const r = this.resolve;
    this.resolve = null;
    r?.();
  }

  /** Resolves at the next wake-up, or after `ms`. */
  next(ms: number): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise<void>((res) => {
      const t = setTimeout(() => this.fire(), ms);
      this.resolve = () => {
        clearTimeout(t);
        this.pending = false;
        res();
      };
    });
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.fire();
  }
}

/**
 * Watches the directories from git's common dir down to `journalDir` (each as it comes to exist),
 * reacting only to the names on that path and to `packed-refs`.
 */
class RefWatcher {
  private readonly watchers = new Map<string, fs.FSWatcher>();
  private readonly chain: { dir: string; next: string | null }[] = [];

  constructor(
    commonDir: string,
    journalRef: string,
    private readonly wake: () => void,
  ) {
    const parts = journalRef.replace(/\/$/, '').split('/');
    let dir = commonDir;
    this.chain.push({ dir, next: parts[0]! });
    for (let i = 0; i < parts.length; i++) {
      dir = path.join(dir, parts[i]!);
      this.chain.push({ dir, next: parts[i + 1] ?? null });
    }
    this.arm();
  }

  /** Starts a watcher on each directory of the chain that exists and has none yet. */
  arm(): void {
    for (const [i, { dir, next }] of this.chain.entries()) {
      if (this.watchers.has(dir)) continue;
      let w: fs.FSWatcher;
      try {
        w = fs.watch(dir, { persistent: false }, (_event, name) => {
          const n = name?.toString() ?? null;
          if (i === 0 && n !== null && n !== 'packed-refs' && n !== next) return;
          if (i > 0 && next !== null && n !== null && n !== next) return;
          if (next !== null) this.arm();
          this.wake();
        });
      } catch {
        break; // not there yet: its parent's watcher arms it when it appears
      }
      w.on('error', () => {
        w.close();
        this.watchers.delete(dir);
      });
      this.watchers.set(dir, w);
    }
  }

  close(): void {
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
  }
}

/**
 * The coordination events as they happen: `log --json` entries, oldest first. With `sinceMs`,
 * first those since then. Ends when `signal` aborts.
 */
export async function* watch(ctx: Coord, opts: WatchOptions = {}): AsyncGenerator<HistoryEntry, void, undefined> {
  const store = ctx.store;
  const remote = store.remote;
  const wake = new Wake();
  const seen = new Remembered();
  let lastWarning = '';
  const warnings = () => {
    for (const w of ctx.drain().warnings) {
      if (w !== lastWarning) opts.onWarning?.(w);
      lastWarning = w;
    }
  };
  const onAbort = () => wake.close();
  opts.signal?.addEventListener('abort', onAbort);
  const journalPath = remote ? `${ROOT}remotes/${escapeComponent(remote)}/journal/` : JOURNAL;
  const watcher = new RefWatcher(ctx.repo.commonDir, journalPath, wake.poke);
  const pause = remote ? await new Messages(ctx).waitPauses() : () => opts.safetyPollMs ?? 10_000;
  const fetchMode: ReadMode = remote ? 'refresh' : 'view';

  /** The newest entries not handed out yet, oldest first, read from the local refs or view. */
  const fresh = async (sinceMs: number | null): Promise<HistoryEntry[]> => {
    for (let max = WINDOW; ; max *= 2) {
      const { records, corrupt } = await store.history(EventRecord, JOURNAL, max, 'view');
      for (const c of corrupt) ctx.warn(`skipping unreadable history entry ${c.oid.slice(0, 10)}: ${c.problem}`);
      const unseen = records.filter((r) => !seen.has(r.oid));
      const reachedOld = sinceMs === null ? unseen.length < records.length : records.some((r) => Date.parse(r.record.at) < sinceMs);
      if (reachedOld || records.length < max || max >= MAX_WINDOW) {
        const out = unseen.filter((r) => sinceMs === null || Date.parse(r.record.at) >= sinceMs);
        for (const r of records) seen.add(r.oid);
        // git lists newest first; within one millisecond (a join and the change it came with) the
        // journal's own order stands: reversed, then a stable sort by time.
        return out
          .reverse()
          .sort((a, b) => Date.parse(a.record.at) - Date.parse(b.record.at))
          .map((r) => entryOf(r.record));
      }
    }
  };

  const heads = async (mode: ReadMode): Promise<string> =>
    (await store.list([JOURNAL], mode))
      .map((h) => `${h.ref} ${h.oid}`)
      .sort()
      .join('\n');

  try {
    let last = await heads(fetchMode);
    if (opts.sinceMs !== undefined) {
      for (const e of await fresh(opts.sinceMs)) {
        if (opts.signal?.aborted) return;
        yield e;
      }
    } else {
      // Everything already there counts as handed out.
      await fresh(Infinity);
    }
    warnings();
    for (let round = 0; !opts.signal?.aborted; round++) {
      await wake.next(pause(round));
      if (opts.signal?.aborted) break;
      watcher.arm();
      const now = await heads(fetchMode);
      warnings();
      if (now === last) continue;
      last = now;
      round = -1;
      for (const e of await fresh(null)) {
        yield e;
        if (opts.signal?.aborted) return;
      }
      warnings();
    }
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    watcher.close();
    wake.close();
  }
}
