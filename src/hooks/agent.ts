/**
 * The agent hooks' shared path, for Claude Code (`hook claude`) and Codex (`hook codex`): both
 * send one JSON event on stdin with `hook_event_name`, `cwd`, `session_id` and, for tool events,
 * `tool_name`, `tool_input`, `tool_use_id`; both read Claude Code's answer form (measured:
 * scripts/real-clients/FINDINGS.md). The faces differ only in how they are registered and in a
 * few events; the decisions are made here, once:
 *
 * - PreToolUse (`preToolUseDecision`): a file tool, an `apply_patch` or a shell command that
 *   evidently writes a path another agent holds is denied, naming holder, reason, expiry and the
 *   next step. A shell command that is let through while others hold paths leaves a snapshot of
 *   those paths for its PostToolUse. Never "allow": that would skip the user's own prompt.
 * - PostToolUse: every held path a shell command did change (the client's own list of changed
 *   files, and the snapshot compared with now), with holder and `git restore`; then news.
 * - SessionStart: the briefing (startup, clear, compact), or on resume only what changed.
 * - UserPromptSubmit, PostToolUse: what changed since the session was last told (nothing when
 *   nothing did). SubagentStart: the briefing, for the subagent.
 *
 * The answer is what to print on stdout ('' for none); the exit code is always 0: an event or an
 * error it does not understand never blocks the agent (Codex takes exit 2 as "block").
 */
import { hashHex } from '../git/sha.js';
import fs from 'node:fs';
import path from 'node:path';
import { Coord } from '../session/coord.js';
import { CoordError } from '../errors.js';
import { readGitDirFile, writeGitDirFile } from '../git/worktree.js';
import { changedHeld, snapshotHeld, type Snapshot } from '../operations/agent-writes.js';
import { toolWrites } from '../agent-hooks/tool-writes.js';
import { processCwd } from '../agent-hooks/paths.js';
import { isConfigFault } from '../agent-hooks/config-fault.js';
import { judgeAcross, onlyConfigFiles } from './agent-judge.js';
import { changedReport, configFaultContext, configFaultDenial, coordCommand, editDenied, withCommand, writeDenied } from './render.js';
import type { Seen } from '../views/briefing.js';

export type Client = 'claude' | 'codex';
export type Event = Record<string, unknown>;
type Warn = (msg: string) => void;

/** What the agent of a worktree was told, when the event names no session. */
export const SEEN_FILE = 'git-coord-claude-seen';
/** Per-session state (what was told, snapshots) lives under the worktree's git dir here. */
const STATE_DIR = path.join('git-coord', 'agent-hooks');
/** The longest a session or prompt hook waits for a remote before answering from the local view. */
const REFRESH_TIMEOUT_MS = 3_000;
/** Snapshots and seen-state older than this are removed when a session starts. */
const STATE_MAX_AGE_MS = 24 * 3600_000;

/** Parses the event; null for anything that is not a JSON object. */
export function parseEvent(text: string): Event | null {
  let ev: unknown;
  try {
    ev = JSON.parse(text);
  } catch {
    return null;
  }
  return typeof ev === 'object' && ev !== null && !Array.isArray(ev) ? (ev as Event) : null;
}

/** The event's cwd, else the process's; null when neither is there (started in a deleted directory). */
export function eventCwd(event: Event): string | null {
  if (typeof event.cwd === 'string' && path.isAbsolute(event.cwd) && !event.cwd.includes('\0')) return event.cwd;
  return processCwd();
}

export function answer(hookEventName: string, fields: Record<string, string>): string {
  return JSON.stringify({ hookSpecificOutput: { hookEventName, ...fields } });
}

/** Runs the agent hook for `client` on the event text: its answer, or '' (also on any error of its own). */
export async function agentHook(client: Client, input: Promise<string>, warn: Warn, opts: { skip?: (ev: Event, cwd: string) => boolean } = {}): Promise<string> {
  const sessions = new Sessions();
  try {
    const event = parseEvent(await input);
    if (!event) return '';
    const cwd = eventCwd(event);
    // Started in a deleted directory, with no directory in the event: nothing to judge by.
    if (cwd === null) return '';
    if (opts.skip?.(event, cwd)) return '';
    switch (event.hook_event_name) {
      case 'PreToolUse':
        return await preToolUse(sessions, event, cwd, warn);
      case 'PostToolUse':
        return await inSession(sessions, cwd, warn, (ctx) => postToolUse(ctx, event));
      case 'SessionStart':
        return await inSession(sessions, cwd, warn, (ctx) => sessionStart(ctx, event), { refresh: true, event: 'SessionStart' });
      case 'UserPromptSubmit':
        return await inSession(sessions, cwd, warn, (ctx) => promptSubmit(ctx, event), { refresh: true, event: 'UserPromptSubmit' });
      case 'SubagentStart':
        return await inSession(sessions, cwd, warn, (ctx) => subagentStart(ctx, event), { event: 'SubagentStart' });
      default:
        return '';
    }
  } catch (e) {
    // A hook that cannot read the state gives no decision: the git hooks still refuse the commit.
    warn(e instanceof CoordError ? e.message : `unexpected error: ${(e as Error)?.message ?? String(e)}`);
    return '';
  } finally {
    await sessions.dispose().catch(() => undefined);
  }
}

/**
 * Sessions for the hook. A client runs a hook in the session's directory, the one the event
 * names as its cwd: the repository there is found while the event is still being read, so that
 * git's start-up overlaps Node's.
 */
export class Sessions {
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

/** A file name for an id the client chose: kept when plain, else hashed. */
function safeName(id: unknown): string | null {
  if (typeof id !== 'string' || id === '') return null;
  return /^[A-Za-z0-9_-]{1,128}$/.test(id) ? id : `h-${hashHex('sha1', id)}`;
}

function stateDir(ctx: Coord, session: string): string {
  return path.join(ctx.repo.gitDir, STATE_DIR, session);
}

function writeState(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}

function readState(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

/**
 * The one PreToolUse decision, for both clients: the reason to deny the call, or null (no
 * decision). Each path written (and where a link among them lands) is judged by the repository
 * that holds it (agent-judge.ts). A repository whose configuration cannot be read lets nothing
 * through but the fix of that file. A shell command let through while others hold paths leaves
 * its snapshot.
 */
export async function preToolUseDecision(sessions: Sessions, ev: Event, cwd: string, warn: Warn): Promise<string | null> {
  const w = toolWrites(ev.tool_name, ev.tool_input, cwd);
  if (w.kind === 'other') return null;
  if (w.targets.length === 0 && w.kind !== 'shell') return null;
  const tool = String(ev.tool_name);
  let here: Coord | null;
  try {
    here = await sessions.at(cwd);
  } catch (e) {
    if (!isConfigFault(e)) throw e;
    // A shell command that names no file it writes has nothing to judge: it is let through.
    return onlyConfigFiles(w.targets) ? null : configFaultDenial(tool, e.message);
  }
  const me = here ? agentOf(here) : null;
  try {
    const j = w.targets.length > 0 ? await judgeAcross(sessions, here, w.targets, me, warn) : { held: [] };
    if ('configFault' in j) return configFaultDenial(tool, j.configFault);
    if (j.held.length > 0) return w.kind === 'file' ? editDenied(tool, j.held, !me, coordCommand()) : writeDenied(w.kind, j.held, !me, coordCommand());
    if (w.kind === 'shell' && here) await takeSnapshot(here, ev, me);
    return null;
  } finally {
    here?.close();
    for (const m of here?.warnings ?? []) warn(m);
  }
}

async function preToolUse(sessions: Sessions, ev: Event, cwd: string, warn: Warn): Promise<string> {
  const reason = await preToolUseDecision(sessions, ev, cwd, warn);
  return reason === null ? '' : answer('PreToolUse', { permissionDecision: 'deny', permissionDecisionReason: reason });
}

function snapshotFile(ctx: Coord, ev: Event): string | null {
  const session = safeName(ev.session_id) ?? 'no-session';
  const id = safeName(ev.tool_use_id);
  return id ? path.join(stateDir(ctx, session), `${id}.json`) : null;
}

async function takeSnapshot(ctx: Coord, ev: Event, me: string | null): Promise<void> {
  const file = snapshotFile(ctx, ev);
  if (!file || !ctx.repo.top) return;
  const snap = await snapshotHeld(ctx, { agent: me, mode: 'view' });
  if (snap) writeState(file, JSON.stringify(snap));
}

/** The snapshot PreToolUse left for this call (removed as it is read), or null. */
function takeBack(ctx: Coord, ev: Event): Snapshot | null {
  const file = snapshotFile(ctx, ev);
  if (!file) return null;
  const text = readState(file);
  if (text === null) return null;
  fs.rmSync(file, { force: true });
  try {
    const s = JSON.parse(text) as Snapshot;
    return s && s.v === 1 && typeof s.paths === 'object' && s.paths !== null ? s : null;
  } catch {
    return null;
  }
}

/** Claude Code's own list of the files a Bash command changed (absolute), when complete. */
function namedChanges(ev: Event): string[] | undefined {
  const r = ev.tool_response as { bashEditDiff?: { changedFiles?: unknown; moreFiles?: unknown } } | null | undefined;
  const d = typeof r === 'object' && r !== null ? r.bashEditDiff : undefined;
  if (!d || !Array.isArray(d.changedFiles)) return undefined;
  return d.changedFiles.filter((f): f is string => typeof f === 'string' && path.isAbsolute(f) && !f.includes('\0')).slice(0, 10_000);
}

async function postToolUse(ctx: Coord, ev: Event): Promise<string> {
  const parts: string[] = [];
  if (ev.tool_name === 'Bash' && ctx.repo.top) {
    const me = agentOf(ctx);
    const before = takeBack(ctx, ev);
    const named = namedChanges(ev);
    // With neither a snapshot nor the client's list, what git shows changed may predate the command.
    if (before || named) {
      const changed = await changedHeld(ctx, { before, named, agent: me, mode: 'view' });
      if (changed.length > 0) parts.push(changedReport(changed, coordCommand()));
    }
  }
  const news = await newsFor(ctx, ev, { briefIfNew: false });
  if (news) parts.push(news);
  return parts.length === 0 ? '' : answer('PostToolUse', { additionalContext: parts.join('\n') });
}

/** With a remote, the session and prompt hooks refresh an old view (locks, the agent's inbox) first, within a short bound. */
async function refreshView(ctx: Coord): Promise<void> {
  if (!ctx.store.remote) return;
  const cfg = await ctx.config();
  if (ctx.readMode(cfg.hooks.refresh) === 'view') return;
  const { briefingRefs } = await briefing();
  await ctx.store.refresh(briefingRefs(ctx), 'refresh', Math.min(cfg.hooks.timeoutMs, REFRESH_TIMEOUT_MS));
}

/**
 * What a session was told; a subagent (its events carry `agent_id`) keeps its own, started at
 * SubagentStart, so news told to one is still news to the other.
 */
function seenFile(ctx: Coord, ev: Event): string | null {
  const session = safeName(ev.session_id);
  const sub = safeName(ev.agent_id);
  return session ? path.join(stateDir(ctx, session), sub ? `seen-${sub}.json` : 'seen.json') : null;
}

function readSeen(ctx: Coord, ev: Event): Seen | null {
  try {
    const file = seenFile(ctx, ev);
    const text = file ? readState(file) : readGitDirFile(ctx.repo, SEEN_FILE);
    const s = JSON.parse(text ?? 'null') as Seen | null;
    return s && Array.isArray(s.locks) ? s : null;
  } catch {
    return null;
  }
}

function writeSeen(ctx: Coord, ev: Event, seen: Seen): void {
  const file = seenFile(ctx, ev);
  if (file) writeState(file, `${JSON.stringify(seen)}\n`);
  else writeGitDirFile(ctx.repo, SEEN_FILE, `${JSON.stringify(seen)}\n`);
}

/**
 * Runs `fn` in the session of the repository at `cwd` (none: no answer), then reports its
 * warnings. When the configuration cannot be read, an `event` that briefs says so to the agent.
 */
async function inSession(sessions: Sessions, cwd: string, warn: Warn, fn: (ctx: Coord) => Promise<string>, opts: { refresh?: boolean; event?: string } = {}): Promise<string> {
  let ctx: Coord | null;
  try {
    ctx = await sessions.at(cwd);
  } catch (e) {
    if (!isConfigFault(e) || !opts.event) throw e;
    warn(e.message);
    return answer(opts.event, { additionalContext: configFaultContext(e.message) });
  }
  if (!ctx) return '';
  try {
    if (opts.refresh) await refreshView(ctx);
    return await fn(ctx);
  } finally {
    ctx.close();
    for (const w of ctx.warnings) warn(w);
  }
}

// The briefing loads only for the session and prompt events: an edit's check never needs it.
const briefing = () => import('../views/briefing.js');

async function fullBriefing(ctx: Coord, ev: Event): Promise<string> {
  const { briefingText, gatherBriefing, seenOf } = await briefing();
  const b = await gatherBriefing(ctx, 'view');
  writeSeen(ctx, ev, seenOf(b));
  return briefingText({ ...b, next: b.next.map((c) => withCommand(c, coordCommand())) });
}

/**
 * What changed since this session was last told, as text ('' for nothing), and the seen-state
 * brought up to date. Never told before: the whole briefing when `briefIfNew`, else
 * nothing (the state is recorded, so the next change is news).
 */
async function newsFor(ctx: Coord, ev: Event, opts: { briefIfNew: boolean }): Promise<string> {
  const { briefingText, changesSince, gatherBriefing, lockFates, lostLocks, seenOf, taskFate } = await briefing();
  const prev = readSeen(ctx, ev);
  const b = await gatherBriefing(ctx, 'view');
  const seen = seenOf(b);
  if (JSON.stringify(seen) !== JSON.stringify(prev)) writeSeen(ctx, ev, seen);
  if (!prev) return opts.briefIfNew ? briefingText({ ...b, next: b.next.map((c) => withCommand(c, coordCommand())) }) : '';
  const changes = changesSince(prev, b, await lockFates(ctx, lostLocks(prev, b), 'view'), await taskFate(ctx, prev, b, 'view'), coordCommand());
  return changes.join('\n');
}

function cleanOldState(ctx: Coord): void {
  const root = path.join(ctx.repo.gitDir, STATE_DIR);
  let names: string[];
  try {
    names = fs.readdirSync(root);
  } catch {
    return;
  }
  const cutoff = Date.now() - STATE_MAX_AGE_MS;
  for (const n of names.slice(0, 1000)) {
    const dir = path.join(root, n);
    try {
      if (fs.lstatSync(dir).mtimeMs < cutoff) fs.rmSync(dir, { recursive: true, force: true });
    } catch {
      // another hook removed it
    }
  }
}

async function sessionStart(ctx: Coord, ev: Event): Promise<string> {
  cleanOldState(ctx);
  // A resumed session still holds its briefing: tell it only what changed since (nothing when nothing did).
  if (ev.source === 'resume' && readSeen(ctx, ev)) {
    const news = await newsFor(ctx, ev, { briefIfNew: false });
    return news ? answer('SessionStart', { additionalContext: news }) : '';
  }
  // startup, clear (a new session), compact (the summary may have dropped the briefing): all of it.
  return answer('SessionStart', { additionalContext: await fullBriefing(ctx, ev) });
}

async function promptSubmit(ctx: Coord, ev: Event): Promise<string> {
  // A Codex subagent's first prompt (it carries agent_id) was briefed at SubagentStart: news only.
  const text = await newsFor(ctx, ev, { briefIfNew: true });
  return text ? answer('UserPromptSubmit', { additionalContext: text }) : '';
}

async function subagentStart(ctx: Coord, ev: Event): Promise<string> {
  return answer('SubagentStart', { additionalContext: await fullBriefing(ctx, ev) });
}
