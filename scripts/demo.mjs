// npm run demo: the main job end to end in a scratch repository. Two worktrees, two agents, a
// lock, a refused commit with its message, the unlock, the commit going through, the history.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GIT_ENV as env } from './git-env.mjs';

const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cli.js');
const bold = (s) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const dim = (s) => (process.stdout.isTTY ? `\x1b[2m${s}\x1b[0m` : s);

function run(cwd, who, cmd, args, { show = true, expectFail = false } = {}) {
  const q = (a) => (/[\s"'$]/.test(a) ? `'${a}'` : a);
  const shown = cmd === process.execPath ? `git-coord ${args.slice(1).map(q).join(' ')}` : `${cmd} ${args.map(q).join(' ')}`;
  if (show) console.log(`\n${bold(`[${who}]$ ${shown}`)}`);
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8' });
  const out = (r.stdout + r.stderr).trimEnd();
  if (show && out) console.log(out.replace(/^/gm, '  '));
  if (show) console.log(dim(`  (exit ${r.status})`));
  if ((r.status !== 0) !== expectFail) throw new Error(`demo step failed: ${shown}\n${out}`);
  return r;
}
const coord = (cwd, who, args, o) => run(cwd, who, process.execPath, [CLI, ...args], o);
const git = (cwd, who, args, o) => run(cwd, who, 'git', args, o);

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'git-coord-demo-'));
const main = path.join(scratch, 'project');
const wt = path.join(scratch, 'project-bob');
fs.mkdirSync(path.join(main, 'src', 'auth'), { recursive: true });
fs.writeFileSync(path.join(main, 'src', 'auth', 'login.ts'), 'export const login = () => true;\n');
fs.writeFileSync(path.join(main, 'README.md'), '# project\n');
console.log(bold(`A scratch repository at ${main}, with a second worktree at ${wt}.`));
git(main, 'setup', ['init', '-q', '-b', 'main'], { show: false });
git(main, 'setup', ['add', '-A'], { show: false });
git(main, 'setup', ['commit', '-q', '-m', 'init'], { show: false });
git(main, 'setup', ['worktree', 'add', '-q', '-b', 'bob-work', wt], { show: false });

console.log(bold('\n1. Each worktree gets its own agent identity, and the hooks go in once for both.'));
coord(main, 'alice', ['whoami', '--set', 'alice']);
coord(wt, 'bob', ['whoami', '--set', 'bob']);
coord(main, 'alice', ['install-hooks']);

console.log(bold('\n2. Alice locks the auth module before she starts.'));
coord(main, 'alice', ['lock', 'src/auth/', '--reason', 'rewriting the login flow', '--ttl', '2h']);

console.log(bold('\n3. Bob, in his worktree, edits a file in it and tries to commit: refused, with who, why, until when, and what to do.'));
fs.writeFileSync(path.join(wt, 'src', 'auth', 'login.ts'), 'export const login = () => false; // bob\n');
git(wt, 'bob', ['add', 'src/auth/login.ts']);
git(wt, 'bob', ['commit', '-m', 'bob: tweak login'], { expectFail: true });

console.log(bold('\n4. Bob could have asked first; agents should:'));
coord(wt, 'bob', ['check', 'src/auth/login.ts'], { expectFail: true });
coord(wt, 'bob', ['status']);

console.log(bold('\n5. Alice finishes and releases the lock; Bob takes it and his commit goes through.'));
coord(main, 'alice', ['unlock', 'src/auth/']);
coord(wt, 'bob', ['lock', 'src/auth/login.ts', '--reason', 'small fix']);
git(wt, 'bob', ['commit', '-q', '-m', 'bob: tweak login']);
coord(wt, 'bob', ['unlock', '--all']);

console.log(bold('\n6. The history, kept in refs/coordination/ like everything else.'));
coord(main, 'alice', ['log']);
git(main, 'alice', ['for-each-ref', '--format=%(refname)', 'refs/coordination/']);
console.log(bold(`\nDone. The scratch repository is still at ${scratch} to poke at.`));
