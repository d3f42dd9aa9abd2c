/**
 * The hooks' entry point. Kept apart from the command parser: a hook runs on every commit (and
 * Claude Code's on every edit), so it loads only what the check needs.
 */
import { CoordError, EXIT } from '../errors.js';
import { InputTooLarge, readStdin, readStdinBytes } from '../stdin.js';
import type * as Commits from '../operations/commits.js';
import { commitRefusal, pushRefusal, notRecordsRefusal, unrecordedRefusal } from './render.js';

/** The git hooks' checks, loaded only by them: the agent hooks need neither them nor their schemas at start. */
const commits = (): Promise<typeof Commits> => import('../operations/commits.js');

/** The largest event `hook claude` and `hook codex` read (a Write's whole content, or a patch, rides in it). */
export const HOOK_EVENT_MAX_BYTES = 64 * 1024 * 1024;

function warn(warnings: string[]): void {
  for (const w of warnings) process.stderr.write(`git-coord: warning: ${w}\n`);
}

/**
 * Claude Code's and Codex's hooks answer on stdout and ALWAYS exit 0, also on their own errors:
 * Codex takes exit 2 as "block" (see agent.ts).
 */
async function agentHookEntry(name: 'claude' | 'codex', args: string[]): Promise<number> {
  try {
    // Past its cap the event is not read: no decision, and a note saying why (see README, Limits).
    const input = process.stdin.isTTY
      ? Promise.resolve('')
      : readStdinBytes(HOOK_EVENT_MAX_BYTES, 'hook event on stdin').then(
          (b) => b.toString('utf8'),
          (e: unknown) => {
            if (e instanceof InputTooLarge) process.stderr.write(`git-coord: warning: ${e.message}: no decision (the git hooks still check the commit)\n`);
            return '';
          },
        );
    const out =
      name === 'claude'
        ? await (await import('./claude.js')).claudeHook(input, (w) => warn([w]), args)
        : await (await import('./codex.js')).codexHook(input, (w) => warn([w]));
    if (out) process.stdout.write(`${out}\n`);
  } catch (e) {
    process.stderr.write(`git-coord: warning: hook ${name}: ${(e as Error)?.message ?? String(e)}\n`);
  }
  return EXIT.ok;
}

export async function runHook(name: string | undefined, args: string[]): Promise<number> {
  try {
    if (name === 'claude' || name === 'codex') return await agentHookEntry(name, args);
    if (name === 'pre-commit' || name === 'pre-merge-commit') {
      const { conflicts, warnings } = await (await commits()).runCommitCheck();
      warn(warnings);
      if (conflicts.length === 0) return EXIT.ok;
      process.stderr.write(commitRefusal(conflicts) + '\n');
      return EXIT.refused;
    }
    if (name === 'pre-push') {
      // git passes the remote's name (or the URL pushed to, when there is no name) and its URL.
      const { violations, warnings } = await (await commits()).runPushCheck(args[0] ?? 'origin', args[1] ?? args[0] ?? 'origin', await readStdin());
      warn(warnings);
      if (violations.length === 0) return EXIT.ok;
      process.stderr.write(pushRefusal(violations, 'push') + '\n');
      return EXIT.refused;
    }
    if (name === 'pre-receive') {
      const { violations, notRecords, unrecorded } = await (await commits()).runReceiveCheck(await readStdin());
      if (violations.length === 0 && notRecords.length === 0 && unrecorded.length === 0) return EXIT.ok;
      if (notRecords.length > 0) process.stderr.write(notRecordsRefusal(notRecords) + '\n');
      if (unrecorded.length > 0) process.stderr.write(unrecordedRefusal(unrecorded) + '\n');
      if (violations.length > 0) process.stderr.write(pushRefusal(violations, 'server') + '\n');
      return EXIT.refused;
    }
    process.stderr.write(`git-coord: unknown hook ${String(name)}\n`);
    return EXIT.usage;
  } catch (e) {
    const err = e instanceof CoordError ? e : null;
    process.stderr.write(`git-coord: ${err ? err.message : `unexpected error: ${(e as Error)?.message ?? String(e)}`}\n`);
    return err ? err.exitCode : EXIT.failed;
  }
}
