/**
 * What an agent's tool call writes, read from a hook event's `tool_name` and `tool_input`, for
 * Claude Code and Codex alike:
 *
 * - a file tool (Claude Code's Write, Edit, MultiEdit, NotebookEdit): its `file_path` /
 *   `notebook_path`;
 * - `apply_patch` (Codex's edit tool; `tool_input.command` is the patch text): every path the patch
 *   adds, updates, deletes or moves to;
 * - a shell tool (`Bash`: both clients name it so; `tool_input.command` a string, or an argv array
 *   `["bash", "-lc", script]` from an older Codex): its evident write targets (shell-writes.ts,
 *   which also reads a patch anywhere in the command), and whether it may write more (`unclear`).
 *
 * Any other tool: `kind: 'other'` (nothing to judge). Pure and total: never throws.
 */
import path from 'node:path';
import { patchPaths } from './patch.js';
import { shellWrites } from './shell-writes.js';

/** Claude Code's tools that write files: the PreToolUse hook checks each. */
export const WRITE_TOOLS = ['Write', 'Edit', 'MultiEdit', 'NotebookEdit'];
/** The shell tool, as both clients name it in hook events. */
export const SHELL_TOOLS = ['Bash'];
/** Codex's edit tool. */
export const PATCH_TOOLS = ['apply_patch'];

export interface ToolWrites {
  kind: 'file' | 'patch' | 'shell' | 'other';
  /** Absolute paths (`/`-separated) the call writes; a path may name a directory (all below it). */
  targets: string[];
  /** The call may write more than `targets` (a shell command with an interpreter, a glob, ...). */
  unclear: boolean;
}

const NONE: ToolWrites = { kind: 'other', targets: [], unclear: false };

/** The script of an argv-form command (`["bash", "-lc", script]`), or the argv joined. */
function commandText(command: unknown): string | null {
  if (typeof command === 'string') return command;
  if (!Array.isArray(command) || !command.every((c) => typeof c === 'string')) return null;
  const argv = command as string[];
  const i = argv.findIndex((a) => a === '-c' || a === '-lc' || a === '-ic');
  if (i >= 0 && i + 1 < argv.length) return argv[i + 1]!;
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** What the call `toolName(toolInput)` made in `cwd` (absolute) writes. */
export function toolWrites(toolName: unknown, toolInput: unknown, cwd: string): ToolWrites {
  if (typeof toolName !== 'string') return NONE;
  const input = typeof toolInput === 'object' && toolInput !== null && !Array.isArray(toolInput) ? (toolInput as Record<string, unknown>) : {};
  if (WRITE_TOOLS.includes(toolName)) {
    const t = typeof input.file_path === 'string' ? input.file_path : typeof input.notebook_path === 'string' ? input.notebook_path : null;
    if (!t || t.includes('\0')) return { kind: 'file', targets: [], unclear: false };
    return { kind: 'file', targets: [path.resolve(cwd, t).split(path.sep).join('/')], unclear: false };
  }
  if (PATCH_TOOLS.includes(toolName)) {
    const text = typeof input.command === 'string' ? input.command : typeof input.patch === 'string' ? input.patch : typeof input.input === 'string' ? input.input : null;
    const r = patchPaths(text, cwd);
    return { kind: 'patch', targets: r.paths, unclear: r.truncated };
  }
  if (SHELL_TOOLS.includes(toolName)) {
    const text = commandText(input.command);
    if (text === null) return { kind: 'shell', targets: [], unclear: true };
    const workdir = typeof input.workdir === 'string' && input.workdir ? path.resolve(cwd, input.workdir) : cwd;
    const r = shellWrites(text, workdir);
    return { kind: 'shell', targets: r.targets, unclear: r.unclear };
  }
  return NONE;
}
