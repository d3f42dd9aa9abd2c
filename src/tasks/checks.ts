/** Checks of a task's fields as given (ids, labels, priority, title, body): UsageError, nothing written. */
import { UsageError } from '../errors.js';
import { TASK_ID } from './schema.js';

const MAX_TITLE = 500;
const MAX_BODY = 64 * 1024;
/** A comment's text: at most this many bytes in UTF-8. */
export const MAX_COMMENT_BYTES = 2048;
/** A task keeps its newest this-many comments in its record; older ones stay in its history. */
export const MAX_COMMENTS = 20;
/** A parent names at most this many children. */
export const MAX_CHILDREN = 1000;

export function validateTaskId(id: string, what = 'task id'): string {
  if (!TASK_ID.test(id)) {
    throw new UsageError(`bad ${what} ${JSON.stringify(id)}: use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit`);
  }
  return id;
}

export function validateLabel(label: string): string {
  if (!TASK_ID.test(label)) {
    throw new UsageError(`bad label ${JSON.stringify(label)}: use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit`);
  }
  return label;
}

export function parsePriority(text: string): number {
  if (!/^[0-4]$/.test(text.trim())) throw new UsageError(`bad priority ${JSON.stringify(text)}: use 0 (most urgent) to 4`);
  return Number(text.trim());
}

export function validatePriority(priority: number): number {
  if (!Number.isInteger(priority) || priority < 0 || priority > 4) throw new UsageError(`bad priority ${priority}: use 0 (most urgent) to 4`);
  return priority;
}

export function validateTitle(title: string): string {
  const t = title.trim();
  if (t === '') throw new UsageError('a task needs a title');
  if (t.length > MAX_TITLE) throw new UsageError(`title too long (${t.length} characters; at most ${MAX_TITLE})`);
  return t;
}

export function validateBody(body: string): string {
  if (Buffer.byteLength(body, 'utf8') > MAX_BODY) throw new UsageError('body too long (at most 64 KiB)');
  return body;
}

export function unique<T>(xs: T[]): T[] {
  return [...new Set(xs)];
}

/** Lone UTF-16 surrogates: text that has no UTF-8 form (it would reach git garbled). */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** A comment's text: not empty, no NUL, valid Unicode, at most MAX_COMMENT_BYTES. */
export function validateComment(text: string): string {
  if (text.trim() === '') throw new UsageError('empty comment: say something', { kind: 'empty-comment' });
  if (text.includes('\u0000') || LONE_SURROGATE.test(text)) throw new UsageError('a comment is text: no NUL, no lone surrogates', { kind: 'bad-comment' });
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_COMMENT_BYTES) {
    throw new UsageError(`comment too long (${bytes} bytes; at most ${MAX_COMMENT_BYTES}: put longer findings in the body or a file)`, { kind: 'comment-too-long', bytes, max: MAX_COMMENT_BYTES });
  }
  return text;
}
