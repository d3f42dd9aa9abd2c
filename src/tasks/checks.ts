/** Checks of a task's fields as given (ids, labels, priority, title, body): UsageError, nothing written. */
import { UsageError } from '../errors.js';
import { NOTE_MAX_BYTES, REASON_MAX, checkLine, checkText } from '../fields.js';
import { TASK_ID } from './schema.js';

export const MAX_TITLE = 500;
export const MAX_BODY = 64 * 1024;
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

// The priority rule is defined once, in fields.ts.
export { parsePriority, checkPriority as validatePriority } from '../fields.js';

export function validateTitle(title: string): string {
  const t = title.trim();
  if (t === '') throw new UsageError('a task needs a title');
  if (t.length > MAX_TITLE) throw new UsageError(`title too long (${t.length} characters; at most ${MAX_TITLE})`, { code: 'bad-text', field: 'title', max: MAX_TITLE });
  return checkLine('title', t, MAX_TITLE);
}

export function validateBody(body: string): string {
  if ((body.length > MAX_BODY ? body.length : Buffer.byteLength(body, 'utf8')) > MAX_BODY) throw new UsageError('body too long (at most 64 KiB)', { code: 'bad-text', field: 'body', max: MAX_BODY });
  return checkText('body', body, MAX_BODY);
}

/** A reason (fail, release, reopen, --force): one line, at most REASON_MAX characters. */
export function validateReason(reason: string | undefined): string | undefined {
  return reason === undefined ? undefined : checkLine('reason', reason, REASON_MAX);
}

/** A note on a finished task: text, at most NOTE_MAX_BYTES. */
export function validateNote(note: string | undefined): string | undefined {
  return note === undefined ? undefined : checkText('note', note, NOTE_MAX_BYTES);
}

export function unique<T>(xs: T[]): T[] {
  return [...new Set(xs)];
}

/** A comment's text: not empty, and text as a note is (no NUL, valid Unicode), at most MAX_COMMENT_BYTES. */
export function validateComment(text: string): string {
  if (text.trim() === '') throw new UsageError('empty comment: say something', { kind: 'empty-comment' });
  return checkText('comment', text, MAX_COMMENT_BYTES);
}
