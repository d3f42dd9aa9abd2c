/**
 * Claude Code's hooks: `git-coord hook claude` is registered for every event it serves, reads the
 * event's JSON on stdin and answers in Claude Code's hook format (agent.ts decides, for Claude
 * Code and Codex alike):
 *
 * - PreToolUse of a tool that writes files (Write, Edit, MultiEdit, NotebookEdit) and of Bash:
 *   denies writing a path another agent holds (a shell command's evident targets), naming holder,
 *   reason, expiry and what to do. Anything else gets no decision at all: an explicit "allow"
 *   would also skip the user's own permission prompt.
 * - PostToolUse: the held paths a Bash command changed (Claude Code's `bashEditDiff`, and the
 *   snapshot PreToolUse took), then news; nothing when nothing changed.
 * - SessionStart: the briefing (identity, locks, task, messages); on resume only what changed;
 *   after compaction the whole briefing again. SubagentStart: the briefing, for the subagent.
 * - UserPromptSubmit: only what changed since the session last saw it; nothing when nothing did.
 * - Any other event, or input it cannot read: exit 0, no output: it never blocks what it does
 *   not understand.
 *
 * `--scope user` is the form `setup claude --user` registers in ~/.claude/settings.json, which
 * Claude Code reads wherever a session starts (it reads a project's .claude/settings.json only
 * from the directory the session started in): it answers only inside a repository set up for
 * git-coord, and only when the session's own project settings do not register git-coord already
 * (so nothing is answered twice).
 *
 * Every answer comes from the local view of the coordination state, so a slow remote never holds
 * up an edit (the git hooks still check against the remote before a push).
 */
import fs from 'node:fs';
import path from 'node:path';
import { agentHook, SEEN_FILE, type Event } from './agent.js';
import { WRITE_TOOLS } from '../agent-hooks/tool-writes.js';

export { WRITE_TOOLS, SEEN_FILE };

/** The hook's answer: what to print on stdout ('' for none). The exit code is always 0. */
export async function claudeHook(input: Promise<string>, warn: (msg: string) => void, args: string[] = []): Promise<string> {
  const user = args.includes('--scope') && args[args.indexOf('--scope') + 1] === 'user';
  return agentHook('claude', input, warn, user ? { skip: (_ev: Event, cwd: string) => !userScopeApplies(cwd) } : {});
}

/** Whether `file` (a Claude Code settings file) registers git-coord's project hook. */
function registersProjectHook(file: string): boolean {
  try {
    const st = fs.statSync(file);
    if (!st.isFile() || st.size > 1024 * 1024) return false;
    return /hook claude(?!\s*--scope)/.test(fs.readFileSync(file, 'utf8'));
  } catch {
    return false;
  }
}

/** The nearest directory at or above `dir` holding `.git` (the work tree's top), or null. */
function topOf(dir: string): string | null {
  let d = path.resolve(dir);
  for (;;) {
    if (fs.existsSync(path.join(d, '.git'))) return d;
    const up = path.dirname(d);
    if (up === d) return null;
    d = up;
  }
}

/** The user-level hook answers when the repository is set up for git-coord and the session's project settings do not answer already. */
function userScopeApplies(cwd: string): boolean {
  const project = process.env.CLAUDE_PROJECT_DIR && path.isAbsolute(process.env.CLAUDE_PROJECT_DIR) ? process.env.CLAUDE_PROJECT_DIR : cwd;
  if (registersProjectHook(path.join(project, '.claude', 'settings.json'))) return false;
  const top = topOf(cwd);
  return top !== null && registersProjectHook(path.join(top, '.claude', 'settings.json'));
}
