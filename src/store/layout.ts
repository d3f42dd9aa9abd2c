/**
 * The ref layout under refs/coordination/. Lock refs are laid out by the pattern's anchor (its
 * literal leading directories) so that the locks that could overlap a pattern are found by a
 * handful of prefix queries instead of a scan of every lock:
 *
 *   refs/coordination/locks/p-src/p-lib/l-<hash of pattern>    a lock anchored at src/lib
 *   refs/coordination/tokens/p-src/p-lib/t-<agent>             the highest token <agent> released there
 *   refs/coordination/journal/<agent>                          each agent's history
 *   refs/coordination/messages/...                             messages (see MESSAGES below)
 *   refs/coordination/tasks/<open|done|failed>/<task id>       a task, by status (tasks/tasks.ts)
 *   refs/coordination/tasks/queue/<priority>-<ms>-<task id>    each open task again, in claim order
 *   refs/coordination/tasks/archive/<agent>                    the tasks <agent> finished (tasks/archive.ts)
 *   refs/coordination/tasks/ready/<priority>-<ms>-<task id>    each open task whose dependencies were done (the ready index)
 *   refs/coordination/tasks/ready/indexed                      the marker: this board keeps the ready index
 *   refs/coordination/agents/<agent>                           each agent's presence
 *   refs/coordination/context/<key>                            a shared context key (context/context.ts)
 *
 * Directory components are `p-` + an escaped segment; leaves are `l-` + a hash of the pattern
 * text. Escaping keeps only [a-z0-9-] and writes every other byte as `_xx`, so names are valid
 * refs, never differ only in case (case-insensitive file systems), and a directory component
 * never collides with a leaf.
 */
import { hashHex } from '../git/sha.js';

/** What the layout needs of a pattern (the domain's Pattern has this shape). */
export interface Keyed {
  text: string;
  kind: 'file' | 'dir' | 'glob';
  anchor: string[];
}

export const ROOT = 'refs/coordination/';
export const LOCKS = `${ROOT}locks/`;
export const JOURNAL = `${ROOT}journal/`;
export const TOKENS = `${ROOT}tokens/`;
/**
 * Messages. Every ref is written by one agent only, so a send never swaps a ref another sender
 * writes (docs/design.md, Messages):
 *
 *   messages/to/<agent>/<id>        a direct message, one ref per recipient: created by the
 *                                   sender, deleted by that recipient's ack
 *   messages/bcast/<agent>          the agent's @all and channel messages: a chain, one commit a
 *                                   message, re-rooted by its sender once enough of it expired
 *   messages/all/<id>               (before the chains) an @all message, and
 *   messages/channel/<name>/<id>    a channel's: read until they expire, deleted by prune
 *   messages/acks/<agent>           the agent's acknowledgements of @all and channel messages
 *   messages/receipts/<agent>       the agent's acknowledgements of direct messages
 *   messages/out/<agent>            the agent's index of the messages it sent
 *   messages/member/<agent>         the channels the agent joined
 */
export const MESSAGES = `${ROOT}messages/`;
export const TASKS = `${ROOT}tasks/`;
export const AGENTS = `${ROOT}agents/`;
/** Shared context: one ref per key, kept after `context rm` as a tombstone so versions never repeat. */
export const CONTEXT = `${ROOT}context/`;

/**
 * Check refs, one per top namespace (`checks/tasks`, `checks/locks`, …), kept by a remote
 * authority only (store/remote.ts): a leased push sends no command for a ref it does not change,
 * so a swap that must find refs unchanged moves its namespace's check ref instead, leased on the
 * value read with them. Any two such swaps over one namespace conflict at the remote.
 */
export const CHECKS = `${ROOT}checks/`;

/** The check ref that verifications of `ref` move (null: `ref` is outside refs/coordination/<namespace>/). */
export function checkRef(ref: string): string | null {
  if (!ref.startsWith(ROOT)) return null;
  const ns = ref.slice(ROOT.length).split('/')[0];
  return ns && ns !== 'checks' && ns !== 'remotes' ? `${CHECKS}${ns}` : null;
}

/** Where a task lives: open (and claimed) tasks apart from finished ones, so the board reads only the live ones. */
export type TaskShelf = 'open' | 'done' | 'failed';
export const TASK_SHELVES: readonly TaskShelf[] = ['open', 'done', 'failed'];
/**
 * The queue: every task on the open shelf once more, named so that the names alone sort most
 * urgent first (`<priority>-<creation ms, 13 digits>-<id>`), pointing at the same record. So
 * `claim --next` orders the whole board from ref names, without reading a record.
 */
export const QUEUE = `${TASKS}queue/`;

/**
 * The ready index: each open-shelf task whose record says `unblocked` (every dependency done when
 * it was last decided) once more, under its queue name, pointing at the same record; so `claim
 * --next` and `task list --ready` list and read these and nothing blocked (tasks/ready.ts).
 */
export const READY = `${TASKS}ready/`;
/** Present once the board keeps the ready index (written with its one-time build); never a queue name (those start with a digit). */
export const READY_MARKER = `${READY}indexed`;

/**
 * The archives: one ref per finishing agent, `tasks/archive/<agent>`, a commit whose tree holds
 * one blob per finished task (store/trees.ts), parent the previous archive. A done or failed task
 * leaves the shelves (and so every push's advertisement and a first sync) in the swap that
 * finishes it. Written by its agent only (a reopen, rare, drops an entry from another's).
 */
export const ARCHIVE = `${TASKS}archive/`;

export function archiveRef(agent: string): string {
  return ARCHIVE + escapeComponent(agent);
}

/** The parts of the tasks' namespace a read of all of it means: every part but the archives (the shelves, the queue, the ready index), which are read on demand. */
export const TASK_PARTS = [...TASK_SHELVES.map((s) => `${TASKS}${s}/`), QUEUE, READY];

/** escapeComponent reversed. */
export function unescapeComponent(s: string): string {
  if (!s.includes('_')) return s;
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '_' && /^[0-9a-f]{2}$/.test(s.slice(i + 1, i + 3))) {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(...Buffer.from(s[i]!, 'utf8'));
  }
  return Buffer.from(bytes).toString('utf8');
}

export function escapeComponent(s: string): string {
  if (/^[a-z0-9-]+$/.test(s)) return s;
  let out = '';
  for (const byte of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[a-z0-9-]/.test(c) ? c : `_${byte.toString(16).padStart(2, '0')}`;
  }
  return out;
}

function dirComponent(seg: string): string {
  const e = escapeComponent(seg);
  // Ref components over ~250 bytes fail; a long segment is named by its hash instead.
  return e.length <= 200 ? `p-${e}` : `h-${hash(seg, 40)}`;
}

function hash(s: string, len: number): string {
  return sha1(s).slice(0, len);
}

// node:crypto costs ~2 ms to load: ref names are hashed in JavaScript (git/sha.ts).
function sha1(s: string): string {
  return hashHex('sha1', s);
}

/**
 * Anchor directories stop growing past this many bytes: a ref's file name must stay within the
 * file system's path limit (4,096 bytes with the git dir's own path), and a query for a deep path
 * names every ancestor. Cutting the anchor to a shorter prefix keeps every query right: a lock is
 * found under each prefix of its real anchor, and the cut is the same for every pattern sharing it.
 */
const MAX_ANCHOR_BYTES = 1024;

function anchorDir(segs: string[], root = LOCKS): string {
  let dir = root;
  for (const seg of segs) {
    const c = `${dirComponent(seg)}/`;
    if (dir.length + c.length > root.length + MAX_ANCHOR_BYTES) break;
    dir += c;
  }
  return dir;
}

export function lockRef(p: Keyed): string {
  return `${anchorDir(p.anchor)}l-${hash(p.text, 20)}`;
}

/**
 * Where the fencing tokens of `p`'s released grants are remembered: one mark per directory (a
 * file's own directory, a directory or glob's anchor) and releasing agent, `t-<agent>`, each
 * written by its own agent only, so that releases in one directory by different agents never
 * contend. The number of these refs grows with the directories ever locked times the agents
 * releasing there, not with the patterns; `prune` removes the old ones. (Before, one mark per
 * directory, `t`, which every release there raised: still read, never written.)
 */
export function tokenRef(p: Keyed, agent: string): string {
  return `${tokenDir(p)}t-${escapeComponent(agent)}`;
}

/** The directory of `p`'s token marks (a prefix ending in `/`). */
export function tokenDir(p: Keyed): string {
  const dir = p.kind === 'file' ? p.anchor.slice(0, -1) : p.anchor;
  return anchorDir(dir, TOKENS);
}

/** A query for every token mark in `p`'s directory (each agent's, and the old shared one). */
export function tokenQuery(p: Keyed): string {
  return `${tokenDir(p)}t*`;
}

/**
 * for-each-ref patterns that find every lock that could overlap `p`: locks anchored at each
 * ancestor of p's anchor (and at the anchor itself), plus, when p covers more than one path,
 * everything anchored below it. Two patterns can only overlap when one anchor is a prefix of the
 * other (every matched path starts with its anchor), so nothing else can conflict.
 */
export function overlapQuery(p: Keyed): string[] {
  const q: string[] = [];
  for (let k = 0; k <= p.anchor.length; k++) q.push(`${anchorDir(p.anchor.slice(0, k))}l-*`);
  if (p.kind !== 'file') q.push(anchorDir(p.anchor));
  return q;
}

/**
 * for-each-ref patterns that find every lock that could cover any of `paths` (concrete files):
 * for each directory holding such a path, everything below it (the files' own anchors among
 * them), plus the locks anchored at each ancestor directory. One prefix per directory instead
 * of one pattern per file keeps a thousand-file commit's query short.
 */
export function coveringQuery(paths: string[]): string[] {
  const q = new Set<string>();
  for (const p of paths) {
    const segs = p.split('/');
    const dirs = segs.slice(0, -1);
    for (let k = 0; k <= dirs.length; k++) q.add(`${anchorDir(dirs.slice(0, k))}l-*`);
    // At the top, a prefix would be every lock: name the file's own anchor instead.
    q.add(dirs.length === 0 ? `${anchorDir(segs)}l-*` : anchorDir(dirs));
  }
  return [...q];
}

export function journalRef(agent: string): string {
  return JOURNAL + escapeComponent(agent);
}

/** Where a message lives for one of its addresses: an agent id, `@all`, or `#<channel>`. */
export function deliveryRef(address: string, id: string): string {
  if (address === '@all') return `${MESSAGES}all/${id}`;
  if (address.startsWith('#')) return `${channelPrefix(address.slice(1))}${id}`;
  return `${inboxPrefix(address)}${id}`;
}

/** The direct messages waiting for `agent`. */
export function inboxPrefix(agent: string): string {
  return `${MESSAGES}to/${escapeComponent(agent)}/`;
}

/** Broadcasts and channel messages of the layout before the chains (one ref each): read until they expire. */
export const BROADCASTS = `${MESSAGES}all/`;
export const CHANNELS = `${MESSAGES}channel/`;
/** Each sender's chain of @all and channel messages (written by that sender only). */
export const BCAST = `${MESSAGES}bcast/`;

export function bcastRef(agent: string): string {
  return BCAST + escapeComponent(agent);
}

export function channelPrefix(name: string): string {
  return `${CHANNELS}${escapeComponent(name)}/`;
}

/** One of an agent's own message records: `acks`, `receipts`, `out` or `member`. */
export function agentMessagesRef(kind: 'acks' | 'receipts' | 'out' | 'member', agent: string): string {
  return `${MESSAGES}${kind}/${escapeComponent(agent)}`;
}

export function taskShelf(shelf: TaskShelf): string {
  return `${TASKS}${shelf}/`;
}

export function taskRef(shelf: TaskShelf, id: string): string {
  return taskShelf(shelf) + escapeComponent(id);
}

export function queueRef(t: { priority: number; createdAt: string; id: string }): string {
  return `${QUEUE}${t.priority}-${String(Date.parse(t.createdAt)).padStart(13, '0')}-${escapeComponent(t.id)}`;
}

/** The task's name in the ready index: its queue name, under READY. */
export function readyRef(t: { priority: number; createdAt: string; id: string }): string {
  return READY + queueRef(t).slice(QUEUE.length);
}

export function presenceRef(agent: string): string {
  return AGENTS + escapeComponent(agent);
}

export function contextRef(key: string): string {
  return CONTEXT + escapeComponent(key);
}
