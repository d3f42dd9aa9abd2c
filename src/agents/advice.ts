/**
 * What an agent can do when another agent holds what it wants: the next step that goes with every
 * refusal an agent sees (an MCP tool's error, a Claude Code hook's denial). Said in the words of
 * the face the agent is using: MCP tool calls, or commands.
 */
import { printable, shellWord } from '../printable.js';

export interface Held {
  /** What was asked for: a requested pattern or a checked path. */
  path: string;
  /** The holder's lock. */
  pattern: string;
  agent: string;
  reason: string;
  expiresAt: string | null;
}

export type Face = 'tool' | 'command';

/** One line per conflict: what is held, by whom, why and until when. */
export function heldLine(c: Held): string {
  const why = c.reason ? ` ("${printable(c.reason)}")` : '';
  return `${printable(c.path)}: locked by ${c.agent} as ${printable(c.pattern)}${why}, ${c.expiresAt ? `until ${c.expiresAt}` : 'no expiry'}`;
}

/** The next steps for the first conflict (the others are alike). */
export function nextSteps(conflicts: Held[], face: Face): string {
  const c = conflicts[0];
  if (!c) return '';
  const path = JSON.stringify(c.path);
  const pattern = JSON.stringify(c.pattern);
  const wait = face === 'tool' ? `lock {"patterns":[${path}],"wait":"10m"}` : `git-coord lock --wait 10m ${shellWord(c.path)}`;
  const breakIt =
    face === 'tool'
      ? `unlock {"patterns":[${pattern}],"force":true,"reason":"<why>"}`
      : `git-coord unlock --force --reason "<why>" ${shellWord(c.pattern)}`;
  return `Next: work on something else, or wait for it: ${wait}; if ${c.agent} is gone for good, break it (recorded): ${breakIt}`;
}
