/** `npm run demo` (without --board) tells the whole story, ends with exit 0 and removes its scratch repositories. */
import { expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, runAsync } from './helpers.js';

it('the demo imports a plan, claims, is refused a commit, trades messages, briefs an agent, shows the board URL, and cleans up', async () => {
  const r = await runAsync(process.execPath, [path.join(ROOT, 'scripts', 'demo.mjs')], { cwd: ROOT });
  expect(r.code, r.stderr).toBe(0);
  const out = r.stdout;
  expect(out).toContain('git-coord task import -');
  expect(out).toMatch(/login .*\(waits for schema\)/);
  expect(out).toContain('git-coord claim schema --lock src/auth/');
  expect(out).toMatch(/git-coord claim --next\n {2}ci-cache/);
  expect(out).toContain('commit refused: it touches paths that another agent holds');
  expect(out).toMatch(/git-coord send alice .*handoff/);
  expect(out).toMatch(/git-coord reply m-\S+ 'Yes/);
  expect(out).toMatch(/task list --ready\n {2}login /);
  expect(out).toContain('git-coord prime');
  expect(out).toMatch(/http:\/\/127\.0\.0\.1:\d+\/[A-Za-z0-9_-]{43}\//);
  const scratch = /\(removed (.+)\)/.exec(out)?.[1];
  expect(scratch).toBeTruthy();
  expect(fs.existsSync(scratch!)).toBe(false);
});
