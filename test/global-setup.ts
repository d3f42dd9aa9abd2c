/**
 * The suite must leave nothing behind: after the run, no temporary directory of this run (they
 * carry its id, see vitest.config.ts) may remain.
 */
import fs from 'node:fs';
import os from 'node:os';

export function teardown(): void {
  const run = process.env.GIT_COORD_TEST_RUN;
  if (!run) return;
  const left = fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith(`git-coord-${run}-`));
  if (left.length === 0) return;
  // A throw here is only logged by vitest: set the exit code so the run fails.
  process.stderr.write(`the test run left ${left.length} temporary directories behind: ${left.slice(0, 5).join(', ')}\n`);
  process.exitCode = 1;
}
