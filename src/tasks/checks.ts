/** Checks of a task's fields as given (ids, labels, priority, title, body): UsageError, nothing written. */
import { UsageError } from '../errors.js';
import { TASK_ID } from './schema.js';

const MAX_TITLE = 500;
const MAX_BODY = 64 * 1024;

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
