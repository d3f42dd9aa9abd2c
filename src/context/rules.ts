/**
 * Shared context's rules, apart from any I/O: what a key and a value may be, what a change
 * expects, and the record a change writes.
 *
 * Versions: a key never set is at version 0. Every change (a set, a removal) writes the next
 * version, so versions never repeat, even after a removal (the tombstone keeps the count). An
 * expected version names the state the caller read: `0` means the key does not exist (never set,
 * or removed); `n > 0` means it exists at version n.
 */
import { RefusedError, UsageError } from '../errors.js';
import { printable } from '../printable.js';
import { ContextKey, MAX_VALUE_BYTES, type ContextRecord } from './schema.js';
import { iso } from '../time.js';

/** A key as every face shows it (the contract's JSON). */
export interface ContextView {
  key: string;
  value: string;
  version: number;
  agent: string;
  at: string;
}

export function validateKey(key: string): string {
  if (!ContextKey.safeParse(key).success) {
    throw new UsageError(`bad context key ${JSON.stringify(key)}: use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit`, { key });
  }
  return key;
}

/** Lone UTF-16 surrogates: text that has no UTF-8 form (it would reach git garbled). */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** A value: text of 1 byte to 64 KiB in UTF-8, without NUL. (Removing a key is `remove`, not an empty value.) */
export function validateValue(value: string): string {
  if (value === '') throw new UsageError('empty context value: a value has at least one character (remove a key to clear it)');
  if (value.includes('\u0000')) throw new UsageError('context value carries a NUL character: a value is text');
  if (LONE_SURROGATE.test(value)) throw new UsageError('context value is not valid Unicode text (a lone surrogate): a value is text');
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes > MAX_VALUE_BYTES) throw new UsageError(`context value too long (${bytes} bytes; at most ${MAX_VALUE_BYTES}, 64 KiB)`, { bytes, max: MAX_VALUE_BYTES });
  return value;
}

/** An expected version: a whole number, 0 or more (0: the key must not exist). */
export function validateExpect(expect: number): number {
  if (!Number.isSafeInteger(expect) || expect < 0) throw new UsageError(`bad expected version ${JSON.stringify(expect)}: a whole number, 0 or more (0: the key must not exist)`);
  return expect;
}

/** The version an expectation is compared with: the live value's, or 0 when the key does not exist. */
export function liveVersion(cur: ContextRecord | null): number {
  return cur && cur.value !== null ? cur.version : 0;
}

export function view(rec: ContextRecord): ContextView | null {
  return rec.value === null ? null : { key: rec.key, value: rec.value, version: rec.version, agent: rec.agent, at: rec.at };
}

function checkExpect(key: string, cur: ContextRecord | null, expect: number | undefined): void {
  if (expect === undefined) return;
  const live = liveVersion(cur);
  if (live === expect) return;
  const now = live === 0 ? `does not exist${cur ? ` (removed at version ${cur.version})` : ''}` : `is at version ${live}`;
  const wanted = expect === 0 ? 'expected it not to exist' : `expected version ${expect}`;
  throw new RefusedError(`context key ${printable(key)} ${now}, ${wanted}: nothing changed (read it again, then decide)`, {
    key,
    version: live,
    expected: expect,
  });
}

/** The record `set` writes over `cur` (null: never set), or a refusal when `expect` does not hold. */
export function decideSet(key: string, value: string, cur: ContextRecord | null, expect: number | undefined, me: string, now: number): ContextRecord {
  checkExpect(key, cur, expect);
  return { v: 1, type: 'context', key, value, version: (cur?.version ?? 0) + 1, agent: me, at: iso(now) };
}

/** The tombstone `remove` writes over `cur`: refused when the key does not exist or `expect` does not hold. */
export function decideRemove(key: string, cur: ContextRecord | null, expect: number | undefined, me: string, now: number): ContextRecord {
  checkExpect(key, cur, expect);
  if (liveVersion(cur) === 0) throw notSet(key, cur);
  return { v: 1, type: 'context', key, value: null, version: cur!.version + 1, agent: me, at: iso(now) };
}

/** A key that does not exist (never set, or removed): exit 3, like any state that is not there. */
export function notSet(key: string, cur: ContextRecord | null): RefusedError {
  const removed = cur && cur.value === null ? ` (removed at version ${cur.version} by ${cur.agent})` : '';
  return new RefusedError(`no context key ${printable(key)}${removed}`, { kind: 'no-key', key, version: 0 });
}

/** Keys by name. */
export function byKey(a: ContextView, b: ContextView): number {
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

/** Most recently changed first (then by key). */
export function byRecency(a: ContextView, b: ContextView): number {
  return Date.parse(b.at) - Date.parse(a.at) || byKey(a, b);
}

/** A value's first line, made printable and cut to `max` characters, for one-line listings. */
export function preview(value: string, max = 60): string {
  const first = value.split('\n', 1)[0]!;
  const more = first.length < value.length;
  const cut = first.length > max ? `${first.slice(0, max - 1)}…` : more ? `${first} …` : first;
  return printable(cut);
}

/**
 * The keys most recently set, as one briefing line within `maxChars` (for `prime`): the newest
 * first, each `key (agent)`, as many as fit, then how many more there are. Empty with no keys.
 */
export function recentKeysLine(keys: ContextView[], maxChars: number): string {
  if (keys.length === 0) return '';
  const sorted = [...keys].sort(byRecency);
  const head = 'Shared context (git-coord context get <key>): ';
  let line = head;
  let shown = 0;
  for (const [i, k] of sorted.entries()) {
    const item = `${shown ? ', ' : ''}${k.key} (${k.agent})`;
    const left = sorted.length - i - 1;
    const tail = left ? `, +${left} more` : '';
    if (line.length + item.length + tail.length > maxChars) break;
    line += item;
    shown++;
  }
  if (shown === 0) return `${sorted.length} shared context keys (git-coord context list)`.slice(0, maxChars);
  if (shown < sorted.length) line += `, +${sorted.length - shown} more`;
  return line;
}
