/**
 * git-coord as a library. One concept a module: open a session with `Coord.open`, then use
 * `Locks` for locks, `Tasks` for the task board and claims, `heartbeat` / `readBoard` for
 * presence and the board, `Messages` for messages, `history` for the log, `installHooks` for enforcement.
 *
 *   const ctx = await Coord.open({ cwd, agent: 'alice' });
 *   await new Locks(ctx).lock(['src/auth/'], { reason: 'refactor', ttlMs: 30 * 60_000 });
 *   const task = await new Tasks(ctx).claimNext();
 *
 * `operations` is what every face calls: typed input in, the command contract's JSON shapes out
 * (`await operations.locks.lock(ctx, { patterns: ['src/'], ttlMs: 30 * 60_000 })`).
 */
export { Coord, type OpenOptions } from './session/coord.js';
export { type Config } from './session/config.js';
export { ConfigFile } from './session/config-file.js';
export { parseDuration } from './session/duration.js';
export { Locks, type LockView, type Conflict, type LockOptions } from './locks/locks.js';
export { LockRecord } from './locks/schema.js';
export { Tasks, type AddOptions, type ListOptions, type ClaimOptions, type EndOptions } from './tasks/tasks.js';
export { type TaskView } from './tasks/rules.js';
export { TaskRecord } from './tasks/schema.js';
export { exportBoard, exportLines, toJsonLines, type ExportLine } from './tasks/export.js';
export { heartbeat, type Seen } from './agents/presence.js';
export { readBoard, type Board, type AgentView } from './views/board.js';
export { PresenceRecord } from './agents/schema.js';
export { history, type HistoryEntry } from './history/history.js';
export { watch, type WatchOptions } from './views/watch.js';
export { EventRecord } from './history/schema.js';
export { Messages, type SendOptions, type InboxOptions, type AckResult, type Channel } from './messages/messages.js';
export { type MessageView, type OutboxView } from './messages/rules.js';
export { MessageRecord } from './messages/schema.js';
export { installHooks, uninstallHooks } from './operations/hooks.js';
export { fillAgentHook, renderAgentHook, agentHookPath, agentHookCommand } from './operations/agent-hook-script.js';
export { checkCommit, judgeCommits, checkCommits, type TouchingCommit, type PushViolation } from './operations/commits.js';
export { verify, type VerifyInput, type VerifyResult, type VerifyConflict } from './operations/verify.js';
export * as operations from './operations/index.js';
export { VERSION } from './version.js';
export { SharedContext, type ContextView, type ChangeOptions } from './context/context.js';
export { parsePattern, type Pattern } from './patterns/pattern.js';
export { overlaps } from './patterns/overlap.js';
export { matches } from './patterns/matcher.js';
export { CoordError, UsageError, RefusedError, FailedError, EXIT } from './errors.js';
