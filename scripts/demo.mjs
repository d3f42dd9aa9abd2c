// npm run demo: the whole story in scratch repositories, in under a minute. Two agents in two
// worktrees of one repository: a plan imported with dependencies, claims (`claim --lock`, `claim
// --next`), a commit refused by the hooks, a message asking for a handoff and its reply, a task
// done that makes the next one ready, the briefing an agent gets (`prime`), and the live board.
// `npm run demo -- --board` keeps the board up at the end until interrupted (Ctrl-C). The scratch
// repositories are removed at the end.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GIT_ENV as env } from './git-env.mjs';

const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cli.js');
const keepBoard = process.argv.includes('--board');
const bold = (s) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const dim = (s) => (process.stdout.isTTY ? `\x1b[2m${s}\x1b[0m` : s);

function run(cwd, who, cmd, args, { show = true, expectFail = false, input } = {}) {
  const q = (a) => (/[\s"'$<>()?#;&|*]/.test(a) ? `'${a.replace(/'/g, `'\\''`)}'` : a);
  const shown = cmd === process.execPath ? `git-coord ${args.slice(1).map(q).join(' ')}` : `${cmd} ${args.map(q).join(' ')}`;
  if (show) console.log(`\n${bold(`[${who}]$ ${shown}`)}`);
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', input });
  const out = (r.stdout + r.stderr).trimEnd();
  if (show && out) console.log(out.replace(/^/gm, '  '));
  if (show) console.log(dim(`  (exit ${r.status})`));
  if ((r.status !== 0) !== expectFail) throw new Error(`demo step failed: ${shown}\n${out}`);
  return r;
}
const coord = (cwd, who, args, o) => run(cwd, who, process.execPath, [CLI, ...args], o);
const git = (cwd, who, args, o) => run(cwd, who, 'git', args, o);
const say = (s) => console.log(bold(`\n${s}`));

/** Starts `git-coord board` in `cwd` and resolves with it and its URL (the first line it prints). */
function startBoard(cwd) {
  const child = spawn(process.execPath, [CLI, 'board'], { cwd, env, stdio: ['ignore', 'pipe', 'ignore'] });
  return new Promise((resolve, reject) => {
    let buf = '';
    child.stdout.on('data', (d) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl >= 0) resolve({ child, url: buf.slice(0, nl) });
    });
    child.once('exit', (code) => reject(new Error(`git-coord board exited (${code}) before printing its URL`)));
  });
}

function stopBoard(board) {
  if (!board || board.child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    board.child.once('exit', () => resolve());
    board.child.kill('SIGTERM');
  });
}

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'git-coord-demo-'));
let board = null;
try {
  const main = path.join(scratch, 'project');
  const wt = path.join(scratch, 'project-bob');
  fs.mkdirSync(path.join(main, 'src', 'auth'), { recursive: true });
  fs.mkdirSync(path.join(main, 'ci'), { recursive: true });
  fs.writeFileSync(path.join(main, 'src', 'auth', 'login.ts'), 'export const login = () => true;\n');
  fs.writeFileSync(path.join(main, 'ci', 'cache.yml'), 'cache: none\n');
  fs.writeFileSync(path.join(main, 'README.md'), '# project\n');
  console.log(bold(`A scratch repository at ${main}, with a second worktree at ${wt}.`));
  git(main, 'setup', ['init', '-q', '-b', 'main'], { show: false });
  git(main, 'setup', ['add', '-A'], { show: false });
  git(main, 'setup', ['commit', '-q', '-m', 'init'], { show: false });
  git(main, 'setup', ['worktree', 'add', '-q', '-b', 'bob-work', wt], { show: false });

  say('1. Each worktree gets its own agent identity; the hooks go in once for both.');
  coord(main, 'alice', ['whoami', '--set', 'alice']);
  coord(wt, 'bob', ['whoami', '--set', 'bob']);
  coord(main, 'alice', ['install-hooks']);
  coord(main, 'alice', ['channel', 'join', 'auth'], { show: false });
  coord(wt, 'bob', ['channel', 'join', 'auth'], { show: false });

  board = await startBoard(main);
  say(`The live board of this repository (read-only, this machine only) is at:\n  ${board.url}`);
  console.log(dim('  (open it in a browser to watch every step below appear within a second)'));

  say('2. Alice imports the plan: four tasks, with dependencies (JSON Lines on stdin).');
  const plan = [
    { id: 'schema', title: 'Design the session schema', priority: 1, labels: ['auth'] },
    { id: 'login', title: 'Rewrite the login flow on the new schema', priority: 1, labels: ['auth'], dependsOn: ['schema'] },
    { id: 'ci-cache', title: 'Cache dependencies in CI', priority: 2, labels: ['ci'] },
    { id: 'docs', title: 'Document the new login', priority: 3, dependsOn: ['login'] },
  ];
  coord(main, 'alice', ['task', 'import', '-'], { input: plan.map((t) => JSON.stringify(t)).join('\n') });
  coord(main, 'alice', ['task', 'list']);

  say('3. Alice claims the schema task and locks src/auth/ with it, in one all-or-nothing step.');
  coord(main, 'alice', ['claim', 'schema', '--lock', 'src/auth/', '--ttl', '2h']);

  say('4. Bob asks for the most urgent ready task: the schema is taken, the login waits for it, so he gets the CI task.');
  coord(wt, 'bob', ['claim', '--next']);
  coord(wt, 'bob', ['status']);

  say('5. Bob also touches the login code and commits: refused, naming who holds it, why, until when.');
  fs.writeFileSync(path.join(wt, 'src', 'auth', 'login.ts'), 'export const login = () => cached(); // bob\n');
  git(wt, 'bob', ['add', 'src/auth/login.ts']);
  git(wt, 'bob', ['commit', '-m', 'bob: use the cache in login'], { expectFail: true });

  say('6. Bob asks Alice for a handoff; Alice reads her inbox and answers in the thread.');
  const sent = coord(wt, 'bob', ['send', 'alice', 'I need src/auth/login.ts for the CI cache. Can you hand src/auth/ over when the schema is done?', '--subject', 'handoff of src/auth/?', '--ack']);
  const msgId = sent.stdout.trim().split(/\s+/).pop();
  coord(main, 'alice', ['inbox']);
  coord(main, 'alice', ['reply', msgId, 'Yes: the schema is done now, src/auth/ is yours.']);
  coord(main, 'alice', ['ack', msgId], { show: false });
  coord(wt, 'bob', ['thread', msgId]);

  say('7. Alice finishes the schema: its lock goes with it, and the login task becomes ready.');
  coord(main, 'alice', ['task', 'done', 'schema', '--note', 'schema v2 in src/auth/schema.ts']);
  coord(main, 'alice', ['task', 'list', '--ready']);
  coord(main, 'alice', ['send', '#auth', 'Session schema v2 is in: login can start.', '--subject', 'schema v2']);

  say('8. Bob\'s commit goes through now, and he finishes his task.');
  git(wt, 'bob', ['commit', '-q', '-m', 'bob: use the cache in login']);
  coord(wt, 'bob', ['task', 'done', 'ci-cache']);

  say('9. What an agent sees at the start of a session (or through MCP): prime, its briefing.');
  coord(wt, 'bob', ['prime']);
  coord(wt, 'bob', ['claim', 'login', '--lock', 'src/auth/']);

  say('10. The history, kept in refs/coordination/ like everything else.');
  coord(main, 'alice', ['log', '-n', '14']);

  if (keepBoard) {
    say(`The board stays up at ${board.url}\nPress Ctrl-C to stop it and remove the scratch repositories.`);
    await new Promise((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
  }
  say('Done.');
} finally {
  await stopBoard(board);
  fs.rmSync(scratch, { recursive: true, force: true, maxRetries: 3 });
  console.log(dim(`(removed ${scratch})`));
}
