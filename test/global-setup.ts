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
  if (left.length > 0) throw new Error(`the test run left ${left.length} temporary directories behind: ${left.slice(0, 5).join(', ')}`);
}
