/**
 * The hooks' entry point. Kept apart from the command parser: a hook runs on every commit, so
 * it loads only what the check needs.
 */
import { CoordError, EXIT } from '../errors.js';
import { runCommitCheck, commitRefusal } from '../domain/hooks.js';

export async function runHook(name: string | undefined): Promise<number> {
  try {
    if (name !== 'pre-commit' && name !== 'pre-merge-commit') {
      process.stderr.write(`git-coord: unknown hook ${String(name)}\n`);
      return EXIT.usage;
    }
    const { conflicts, warnings } = await runCommitCheck();
    for (const w of warnings) process.stderr.write(`git-coord: warning: ${w}\n`);
    if (conflicts.length === 0) return EXIT.ok;
    process.stderr.write(commitRefusal(conflicts) + '\n');
    return EXIT.refused;
  } catch (e) {
    const err = e instanceof CoordError ? e : null;
    process.stderr.write(`git-coord: ${err ? err.message : `unexpected error: ${(e as Error)?.message ?? String(e)}`}\n`);
    return err ? err.exitCode : EXIT.failed;
  }
}
