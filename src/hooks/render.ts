/**
 * What the hooks say (the hooks' face): a refused commit, a refused push, a push of something
 * that is not a record, and a Claude Code edit denied. Conflicts come as data (operations/commits.ts,
 * the locks' covering query); the next steps are worded as commands, since a hook's reader works
 * in a shell.
 */
import fs from 'node:fs';
import path from 'node:path';
import { printable, shellQuote, shellWord } from '../printable.js';
import { REASON_MAX, cut } from '../fields.js';
import { TRAILER } from '../git/commits.js';
import { heldLine, type Held } from '../views/text.js';
import type { PushViolation, ReceiveRefusal } from '../operations/commits.js';

/** The longest wait suggested to an agent from its shell: its tool calls end after 2 minutes. */
export const SHELL_WAIT = '90s';

/**
 * The command an agent runs git-coord with from its own shell: `git-coord` when it is on PATH,
 * else this very install (`'<node>' '<cli.js>'`): the hook runs with the agent's environment.
 */
export function coordCommand(env: NodeJS.ProcessEnv = process.env): string {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir || !path.isAbsolute(dir)) continue;
    try {
      fs.accessSync(path.join(dir, 'git-coord'), fs.constants.X_OK);
      return 'git-coord';
    } catch {
      // not here
    }
  }
  const cli = process.argv[1] ? path.resolve(process.argv[1]) : null;
  return cli ? `${shellQuote(process.execPath)} ${shellQuote(cli)}` : 'git-coord';
}

/** A `git-coord …` command line as the agent can run it. */
export function withCommand(line: string, cmd: string): string {
  return cmd === 'git-coord' ? line : line.replace(/^git-coord(?= )/, cmd).replace(/ \(git-coord /g, ` (${cmd} `);
}

/** The next steps for the first conflict (the others are alike), as one line: an agent's denial. */
export function nextSteps(conflicts: Held[], cmd = 'git-coord'): string {
  const c = conflicts[0];
  if (!c) return '';
  return (
    `Next: work on something else, or ask ${c.agent}: ${cmd} send ${c.agent} "<what you need>"; ` +
    `or wait a little for it: ${cmd} lock --wait ${SHELL_WAIT} ${shellWord(c.path)}; ` +
    `if ${c.agent} is gone for good, break it (recorded): ${cmd} unlock --force --reason "<why>" ${shellWord(c.pattern)}`
  );
}

/** The PreToolUse denial of an edit (a file tool) to a held file. */
export function editDenied(tool: string, held: Held[], anonymous: boolean, cmd = 'git-coord'): string {
  return [
    `git-coord: another agent holds this file, so ${tool} is refused:`,
    ...held.map((h) => `  ${heldLine(h)}`),
    ...(anonymous ? [`You have no agent id, so you hold nothing: ${cmd} whoami --set <your-name>`] : []),
    nextSteps(held, cmd),
  ].join('\n');
}

/** The PreToolUse denial of a patch or shell command that writes held paths. */
export function writeDenied(kind: 'patch' | 'shell', held: Held[], anonymous: boolean, cmd = 'git-coord'): string {
  return [
    kind === 'patch'
      ? 'git-coord: this patch changes files another agent holds, so it is refused (nothing was applied):'
      : 'git-coord: this command writes files another agent holds, so it is refused (it did not run):',
    ...held.slice(0, 10).map((h) => `  ${heldLine(h)}`),
    ...(held.length > 10 ? [`  and ${held.length - 10} more`] : []),
    ...(anonymous ? [`You have no agent id, so you hold nothing: ${cmd} whoami --set <your-name>`] : []),
    nextSteps(held, cmd),
  ].join('\n');
}

/** PostToolUse: held paths a command changed, and how to undo each. */
export function changedReport(changed: (Held & { created: boolean; deleted: boolean })[], cmd = 'git-coord'): string {
  const shown = changed.slice(0, 10);
  const lines = [`git-coord: your command changed ${changed.length === 1 ? 'a file' : `${changed.length} files`} that another agent holds:`];
  for (const c of shown) {
    const undo = c.created ? `rm -- ${shellWord(c.path)}` : `git restore -- ${shellWord(c.path)}`;
    lines.push(`  ${heldLine(c)}. Undo it: ${undo}`);
  }
  if (changed.length > shown.length) lines.push(`  and ${changed.length - shown.length} more (git status)`);
  const first = changed[0]!;
  lines.push(`Undo these changes now, then ask ${first.agent} before changing them: ${cmd} send ${first.agent} "<what you need>"`);
  return lines.join('\n');
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
  const lines = ["git-coord: push refused by the server: refs/coordination/ holds only git-coord's records (commits with an empty tree; in an archive of finished tasks, with a tree of records)"];
  for (const r of refused) lines.push(`  ${printable(r.ref)}: ${r.objects.map((o) => o.slice(0, 10)).join(', ')} ${r.objects.length === 1 ? 'is' : 'are'} not a record`);
  lines.push('Coordination refs change only through git-coord (lock, unlock, ...); push branches to refs/heads/.');
  return lines.join('\n');
}

export function unrecordedRefusal(freed: ReceiveRefusal['unrecorded']): string {
  const lines = ["git-coord: push refused by the server: it frees locks another agent holds, without git-coord's record of it"];
  for (const f of freed) {
    lines.push(
      `  ${printable(f.pattern)}: locked by ${f.agent}, ${f.expiresAt ? `until ${f.expiresAt}` : 'with no expiry'}; ` +
        `${f.deleted ? 'deleted' : 'rewritten'} with no unlock, break or expiry in the same push`,
    );
  }
  const first = freed[0]!;
  lines.push(
    'Locks change through git-coord, which records each change in the history:',
    `  - ${first.agent} releases it: git-coord unlock ${shellWord(first.pattern)}`,
    `  - or anyone breaks it, recorded with the reason: git-coord unlock --force --reason "<why>" ${shellWord(first.pattern)}`,
  );
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

/** pre-receive refuses a push that deletes or rewinds an agent's journal (it runs in shell: src/shell/values.ts); the ref follows. */
export const JOURNAL_REWIND_REFUSAL = 'git-coord: refusing to delete or rewind a journal or an archive of finished tasks (the history only grows):';
