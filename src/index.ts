/**
 * git-coord as a library. One concept a module: open a session with `Coord.open`, then use
 * `Locks` for locks, `history` for the log, `installHooks` for enforcement.
 *
 *   const ctx = await Coord.open({ cwd, agent: 'alice' });
 *   await new Locks(ctx).lock(['src/auth/'], { reason: 'refactor', ttlMs: 30 * 60_000 });
 */
export { Coord, type OpenOptions, type Config } from './domain/context.js';
export { Locks, type LockView, type Conflict, type LockOptions } from './domain/locks.js';
export { history, type HistoryEntry } from './domain/history.js';
export { installHooks, uninstallHooks, checkCommit } from './domain/hooks.js';
export { parsePattern, type Pattern } from './domain/patterns.js';
export { overlaps } from './domain/overlap.js';
export { parseDuration } from './domain/duration.js';
export { LockRecord, EventRecord, ConfigFile } from './domain/schemas.js';
export { CoordError, UsageError, RefusedError, FailedError, EXIT } from './errors.js';
