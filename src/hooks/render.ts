/**
 * What the hooks say (the hooks' face): a refused commit, a refused push, a push of something
 * that is not a record, and a Claude Code edit denied. Conflicts come as data (operations/commits.ts,
 * the locks' covering query); the next steps are worded as commands, since a hook's reader works
 * in a shell.
 */
import { printable, shellWord } from '../printable.js';
import { REASON_MAX, cut } from '../fields.js';
import { TRAILER } from '../git/commits.js';
import { heldLine, type Held } from '../views/text.js';
import type { PushViolation, ReceiveRefusal } from '../operations/commits.js';

/** The next steps for the first conflict (the others are alike), as one line: a Claude Code denial. */
export function nextSteps(conflicts: Held[]): string {
  const c = conflicts[0];
  if (!c) return '';
  return (
    `Next: work on something else, or wait for it: git-coord lock --wait 10m ${shellWord(c.path)}; ` +
    `if ${c.agent} is gone for good, break it (recorded): git-coord unlock --force --reason "<why>" ${shellWord(c.pattern)}`
  );
}

/** Claude Code's PreToolUse denial of an edit to a held file. */
export function editDenied(tool: string, held: Held[], anonymous: boolean): string {
  return [
    `git-coord: another agent holds this file, so ${tool} is refused:`,
    ...held.map((h) => `  ${heldLine(h)}`),
    ...(anonymous ? ['You have no agent id, so you hold nothing: git-coord whoami --set <your-name>'] : []),
    nextSteps(held),
  ].join('\n');
}

export function commitRefusal(conflicts: Held[]): string {
  const lines = ['git-coord: commit refused: it touches paths that another agent holds'];
  for (const c of conflicts) lines.push(`  ${heldLine(c, 'with no expiry')}`);
  const first = conflicts[0]!;
  lines.push(
    'What you can do:',
    `  - wait until it is released, then take it: git-coord lock ${shellWord(first.path)} --wait`,
    `  - ask ${first.agent} to release it: git-coord unlock ${shellWord(first.pattern)}`,
    `  - if ${first.agent} is gone, break it (recorded in the history): git-coord unlock --force --reason "<why>" ${shellWord(first.pattern)}`,
    `  - or leave the path out of this commit: git restore --staged -- ${shellWord(first.path)}`,
  );
  return lines.join('\n');
}

export function notRecordsRefusal(refused: ReceiveRefusal['notRecords']): string {
  const lines = ["git-coord: push refused by the server: refs/coordination/ holds only git-coord's records (commits with an empty tree)"];
  for (const r of refused) lines.push(`  ${printable(r.ref)}: ${r.objects.map((o) => o.slice(0, 10)).join(', ')} ${r.objects.length === 1 ? 'is' : 'are'} not a record`);
  lines.push('Coordination refs change only through git-coord (lock, unlock, ...); push branches to refs/heads/.');
  return lines.join('\n');
}

export function pushRefusal(violations: PushViolation[], where: 'push' | 'server'): string {
  const lines = [
    where === 'server'
      ? 'git-coord: push refused by the server: commits change paths that another agent holds'
      : 'git-coord: push refused: commits change paths that another agent holds',
  ];
  for (const v of violations) {
    const c = v.conflict;
    lines.push(
      `  ${v.commit.slice(0, 10)} "${cut(printable(v.subject), 200)}" (${v.author ? `by ${printable(v.author)}` : `no ${TRAILER} trailer`}): ${printable(c.path)} ` +
        `is locked by ${c.agent} as ${printable(c.pattern)}${c.reason ? ` ("${cut(printable(c.reason), REASON_MAX)}")` : ''}, ${c.expiresAt ? `until ${c.expiresAt}` : 'with no expiry'}`,
    );
  }
  const first = violations[0]!.conflict;
  lines.push(
    'What you can do:',
    `  - ask ${first.agent} to make the change, or to release ${printable(first.pattern)} (git-coord unlock ${shellWord(first.pattern)}), then push again`,
    `  - if ${first.agent} is gone, break the lock (recorded in the history): git-coord unlock --force --reason "<why>" ${shellWord(first.pattern)}`,
    `  - or take the change out of these commits (git rebase -i) and push the rest`,
  );
  return lines.join('\n');
}

/** An agent hook's denial when the configuration cannot be read (it cannot tell what is held). */
export function configFaultDenial(tool: string, problem: string): string {
  return [
    `git-coord: ${tool} is refused: git-coord cannot read this repository's configuration, so it cannot tell whether another agent holds this file:`,
    `  ${printable(problem)}`,
    'Fix .git-coord.yml first (editing it is allowed); commits are refused until then too.',
  ].join('\n');
}

/** What the session and prompt hooks tell the agent when the configuration cannot be read. */
export function configFaultContext(problem: string): string {
  return `git-coord cannot read this repository's configuration: ${printable(problem)}. Until .git-coord.yml is fixed, edits (other than to that file) and commits are refused.`;
}
