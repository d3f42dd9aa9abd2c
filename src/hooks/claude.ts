/**
 * Claude Code's hooks: `git-coord hook claude` is registered for every event it serves, reads the
 * event's JSON on stdin and answers in Claude Code's hook format.
 *
 * - PreToolUse of a tool that writes files (Write, Edit, MultiEdit, NotebookEdit): denies writing
 *   a path another agent holds, naming holder, reason, expiry and what to do. Anything else gets
 *   no decision at all: an explicit "allow" would also skip the user's own permission prompt.
 * - SessionStart: the briefing (identity, locks, task, messages) as additional context.
 * - UserPromptSubmit: only what changed since the agent last saw it; nothing when nothing did.
 * - Any other event, or input it cannot read: exit 0, no output: it never blocks what it does
 *   not understand.
 *
 * Every answer comes from the local view of the coordination state, so a slow remote never holds
 * up an edit (the git hooks still check against the remote before a push).
 */
import fs from 'node:fs';
import path from 'node:path';
import { Coord } from '../session/coord.js';
import { CoordError } from '../errors.js';
import { readGitDirFile, writeGitDirFile } from '../git/worktree.js';
import { heldByOthers, type PublicConflict } from '../operations/locks.js';
import { owningTop, processCwd, writeTargets } from '../agent-hooks/paths.js';
import { isConfigFault, isConfigFile } from '../agent-hooks/config-fault.js';
import { WRITE_TOOLS } from '../operations/claude-setup.js';
import { configFaultContext, configFaultDenial, editDenied } from './render.js';
import type { Seen } from '../views/briefing.js';

export { WRITE_TOOLS };
/** What the agent of this worktree has been told, for telling it only what changed. */
export const SEEN_FILE = 'git-coord-claude-seen';
/** The longest a session or prompt hook waits for a remote before answering from the local view. */
const REFRESH_TIMEOUT_MS = 3_000;

type Event = Record<string, unknown>;

/** The hook's answer: what to print on stdout ('' for none). The exit code is always 0. */
export async function claudeHook(input: Promise<string>, warn: (msg: string) => void): Promise<string> {
  const sessions = new Sessions();
  try {
    let ev: unknown;
    try {
      ev = JSON.parse(await input);
    } catch {
      return '';
    }
    if (typeof ev !== 'object' || ev === null || Array.isArray(ev)) return '';
    const event = ev as Event;
    const cwd = typeof event.cwd === 'string' && path.isAbsolute(event.cwd) ? event.cwd : processCwd();
    // Started in a deleted directory, with no directory in the event: nothing to judge by.
    if (cwd === null) return '';
    switch (event.hook_event_name) {
      case 'PreToolUse':
        return await preToolUse(sessions, event, cwd, warn);
      case 'SessionStart':
        return await inSession(sessions, cwd, warn, sessionStart, 'SessionStart');
      case 'UserPromptSubmit':
        return await inSession(sessions, cwd, warn, promptSubmit, 'UserPromptSubmit');
      default:
        return '';
    }
  } catch (e) {
    // A hook that cannot read the state gives no decision: the git hooks still refuse the commit.
    warn(e instanceof CoordError ? e.message : `unexpected error: ${(e as Error)?.message ?? String(e)}`);
    return '';
  } finally {
    await sessions.dispose();
  }
}

/**
 * Sessions for the hook. Claude Code runs a hook in the session's directory, the one the event
 * names as its cwd: the repository there is found while the event is still being read, so that
 * git's start-up overlaps Node's.
 */
class Sessions {
  private early: Promise<{ ctx: Coord | null } | { error: unknown }> | null;

  /** The process's directory (null: deleted; then the event's cwd is all there is). */
  private readonly cwd = processCwd();

  constructor() {
    this.early =
      this.cwd === null
        ? null
        : openAt(this.cwd).then(
            (ctx) => ({ ctx }),
            (error: unknown) => ({ error }),
          );
  }

  /** A session in the repository at `dir` (or its nearest existing parent); null when there is none. */
  async at(dir: string, agent?: string): Promise<Coord | null> {
    if (this.early && agent === undefined && this.cwd !== null && path.resolve(dir) === this.cwd) {
      const r = await this.early;
      this.early = null;
      if ('error' in r) throw r.error;
      return r.ctx;
    }
    return openAt(dir, agent);
  }

  /** Ends the early session if nobody took it. */
  async dispose(): Promise<void> {
    const r = await this.early;
    this.early = null;
    if (r && 'ctx' in r) r.ctx?.close();
  }
}

function answer(hookEventName: string, fields: Record<string, string>): string {
  return JSON.stringify({ hookSpecificOutput: { hookEventName, ...fields } });
}

async function openAt(dir: string, agent?: string): Promise<Coord | null> {
  let d = dir;
  while (!fs.existsSync(d) && path.dirname(d) !== d) d = path.dirname(d);
  try {
    return await Coord.open({ cwd: d, ...(agent ? { agent } : {}) });
  } catch (e) {
    // Not a repository: no decision. An unreadable configuration is not that: the caller says so.
    if (e instanceof CoordError && e.exitCode === 2 && !isConfigFault(e)) return null;
    throw e;
  }
}

/** The agent's id, or null when none is set (or the one set is invalid: then it holds nothing). */
function agentOf(ctx: Coord): string | null {
  try {
    return ctx.agent();
  } catch {
    return null;
  }
}

/** `file` as a path of the work tree at `top` (`/`-separated), or null when it lies outside, or in .git. */
function inside(top: string | null, file: string): string | null {
  if (!top) return null;
  // git reports the top with symlinks resolved: resolve the file's existing part the same way.
  let base = file;
  const rest: string[] = [];
  while (!fs.existsSync(base) && path.dirname(base) !== base) {
    rest.unshift(path.basename(base));
    base = path.dirname(base);
  }
  let real: string;
  try {
    real = path.join(fs.realpathSync(base), ...rest);
  } catch {
    return null;
  }
  const rel = path.relative(top, real);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) return null;
  const p = rel.split(path.sep).join('/');
  return p === '.git' || p.startsWith('.git/') ? null : p;
}

async function preToolUse(sessions: Sessions, ev: Event, cwd: string, warn: (msg: string) => void): Promise<string> {
  if (typeof ev.tool_name !== 'string' || !WRITE_TOOLS.includes(ev.tool_name)) return '';
  const input = ev.tool_input as Record<string, unknown> | null | undefined;
  const target = typeof input?.file_path === 'string' ? input.file_path : typeof input?.notebook_path === 'string' ? input.notebook_path : null;
  if (!target || target.includes('\0')) return '';
  const deny = (reason: string) => answer('PreToolUse', { permissionDecision: 'deny', permissionDecisionReason: reason });
  let here: Coord | null;
  try {
    here = await sessions.at(cwd);
  } catch (e) {
    if (!isConfigFault(e)) throw e;
    // A guard that cannot read its configuration lets nothing through but the fix of that file.
    return isConfigFile(cwd, path.resolve(cwd, target)) ? '' : deny(configFaultDenial(ev.tool_name, e.message));
  }
  const me = here ? agentOf(here) : null;
  try {
    // The link and where it points; each judged by the repository that holds it.
    const held: PublicConflict[] = [];
    for (const file of writeTargets(path.resolve(cwd, target))) {
      const r = await heldAt(sessions, here, file, me, warn);
      if (typeof r === 'string') return isConfigFile(cwd, file) ? '' : deny(configFaultDenial(ev.tool_name, r));
      held.push(...r);
    }
    return held.length === 0 ? '' : deny(editDenied(ev.tool_name, held, !me));
  } finally {
    here?.close();
    for (const w of here?.warnings ?? []) warn(w);
  }
}

/**
 * What other agents hold of `file` (absolute), judged by the repository that holds it: `here` when
 * that is the session's own, else a session opened there for agent `me`. A string: that
 * repository's configuration cannot be read (the problem).
 */
async function heldAt(sessions: Sessions, here: Coord | null, file: string, me: string | null, warn: (msg: string) => void): Promise<PublicConflict[] | string> {
  const top = owningTop(file);
  if (!here || (top !== null && top !== here.repo.top)) {
    let ctx: Coord | null;
    try {
      ctx = await sessions.at(top ?? path.dirname(file), me ?? undefined);
    } catch (e) {
      if (isConfigFault(e)) return e.message;
      throw e;
    }
    const rel = ctx ? inside(ctx.repo.top, file) : null;
    // No repository there after all (a stray `.git` an agent made to hide a held file): the
    // session's own repository still judges what lies in its work tree.
    if (ctx && (rel !== null || !here)) {
      try {
        return rel === null ? [] : await heldByOthers(ctx, { paths: [rel], agent: me, mode: 'view' });
      } finally {
        ctx.close();
        for (const w of ctx.warnings) warn(w);
      }
    }
    ctx?.close();
    if (!here) return [];
  }
  const rel = inside(here.repo.top, file);
  return rel === null ? [] : heldByOthers(here, { paths: [rel], agent: me, mode: 'view' });
}

/** With a remote, the session and prompt hooks refresh an old view (locks, the agent's inbox) first, within a short bound. */
async function refreshView(ctx: Coord): Promise<void> {
  if (!ctx.store.remote) return;
  const cfg = await ctx.config();
  if (ctx.readMode(cfg.hooks.refresh) === 'view') return;
  const { briefingRefs } = await briefing();
  await ctx.store.refresh(briefingRefs(ctx), 'refresh', Math.min(cfg.hooks.timeoutMs, REFRESH_TIMEOUT_MS));
}

function readSeen(ctx: Coord): Seen | null {
  try {
    const s = JSON.parse(readGitDirFile(ctx.repo, SEEN_FILE) ?? 'null') as Seen | null;
    return s && Array.isArray(s.locks) ? s : null;
  } catch {
    return null;
  }
}

function writeSeen(ctx: Coord, seen: Seen): void {
  writeGitDirFile(ctx.repo, SEEN_FILE, `${JSON.stringify(seen)}\n`);
}

/** Runs `fn` in the session of the repository at `cwd` (none: no answer), then reports its warnings. */
async function inSession(sessions: Sessions, cwd: string, warn: (msg: string) => void, fn: (ctx: Coord) => Promise<string>, event: string): Promise<string> {
  let ctx: Coord | null;
  try {
    ctx = await sessions.at(cwd);
  } catch (e) {
    if (!isConfigFault(e)) throw e;
    warn(e.message);
    return answer(event, { additionalContext: configFaultContext(e.message) });
  }
  if (!ctx) return '';
  try {
    await refreshView(ctx);
    return await fn(ctx);
  } finally {
    ctx.close();
    for (const w of ctx.warnings) warn(w);
  }
}

// The briefing loads only for the session and prompt events: an edit's check never needs it.
const briefing = () => import('../views/briefing.js');

async function sessionStart(ctx: Coord): Promise<string> {
  const { briefingText, gatherBriefing, seenOf } = await briefing();
  const b = await gatherBriefing(ctx, 'view');
  writeSeen(ctx, seenOf(b));
  return answer('SessionStart', { additionalContext: briefingText(b) });
}

async function promptSubmit(ctx: Coord): Promise<string> {
  const { briefingText, changesSince, gatherBriefing, lockFates, lostLocks, seenOf, taskFate } = await briefing();
  const prev = readSeen(ctx);
  const b = await gatherBriefing(ctx, 'view');
  const seen = seenOf(b);
  if (JSON.stringify(seen) !== JSON.stringify(prev)) writeSeen(ctx, seen);
  // Never briefed in this worktree (SessionStart not registered, or set up mid-session): brief now.
  if (!prev) return answer('UserPromptSubmit', { additionalContext: briefingText(b) });
  const changes = changesSince(prev, b, await lockFates(ctx, lostLocks(prev, b), 'view'), await taskFate(ctx, prev, b, 'view'));
  return changes.length === 0 ? '' : answer('UserPromptSubmit', { additionalContext: changes.join('\n') });
}
