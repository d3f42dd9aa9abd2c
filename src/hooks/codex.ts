/**
 * Codex's hooks: `git-coord hook codex`, registered in `.codex/hooks.json` by `setup codex`.
 * Codex sends the same event shape as Claude Code (hook_event_name, cwd, session_id; tool events
 * tool_name, tool_input, tool_use_id) and reads Claude Code's answers (measured:
 * scripts/real-clients/FINDINGS.md), so agent.ts decides for both:
 *
 * - PreToolUse of `apply_patch` (tool_input.command is the patch) and of `Bash` (a shell command,
 *   a patch run through the shell included): denied when a path it writes is held by another
 *   agent. A shell-run patch gets no PostToolUse from Codex: it is judged here or not at all.
 * - PostToolUse of `Bash`: the held paths the command changed (against the snapshot taken before).
 * - SessionStart, UserPromptSubmit, SubagentStart: the briefing and the news, as for Claude Code
 *   (a UserPromptSubmit carrying agent_id is a subagent's, briefed at SubagentStart: news only).
 *
 * Always exit 0, whatever happens: Codex takes exit 2 (git-coord's usage error) as "block", and
 * in UserPromptSubmit that drops the user's prompt silently.
 */
import { agentHook } from './agent.js';

export function codexHook(input: Promise<string>, warn: (msg: string) => void): Promise<string> {
  return agentHook('codex', input, warn);
}
