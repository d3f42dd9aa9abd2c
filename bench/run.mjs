// npm run bench [-- --only <section>[,<section>...]] [-- --quick] [-- --list]
//
// Performance targets (issue 14) as ratios measured side by side in one run, since absolute times
// on shared machines mean little: each figure is a median over interleaved repetitions, and every
// timed process runs in the environment a user has (lib.mjs: NODE_EXTRA_CA_CERTS and NODE_OPTIONS
// removed, the `node -e 0` baseline included). The run removes every directory it made.
// BENCH_REPS=<n> sets the repetitions (15; 5 with --quick).
import os from 'node:os';
import { spawnSync } from 'node:child_process';
import { ENV, REMOVED, QUICK, REPS, results, cleanup } from './lib.mjs';

/** The sections, in the order they run: each file's default export runs it. */
const SECTIONS = [
  ['startup', './sections/startup.mjs', 'node -e 0, --version, a command with and without the code cache (information)'],
  ['commands', './sections/commands.mjs', 'lock, claim --next, send, inbox, heartbeat vs node -e 0'],
  ['agent-hook', './sections/agent-hook.mjs', 'hook claude / hook codex PreToolUse, 1,000 foreign locks: nothing near (shell fast path), held (denied)'],
  ['commit-hooks', './sections/commit-hooks.mjs', 'hooks added to a 1,000-file commit, 1,000 foreign locks'],
  ['mcp', './sections/mcp.mjs', 'git-coord mcp ready vs node -e 0; a lock through a running server vs update-ref'],
  ['tasks', './sections/tasks.mjs', 'claim --next / task list --ready, 5,000 open tasks vs 10; 8 agents claiming at once'],
  ['scale', './sections/scale.mjs', '10,000 locks, 10,000 messages, 8 senders at once'],
  ['remote', './sections/remote.mjs', 'agents in separate clones through a file:// remote'],
  ['contention', './sections/contention.mjs', '8 agents looping over overlapping locks'],
  ['ops', './sections/ops.mjs', 'remote operations per command (information)'],
  ['remote-scale', './remote-scale.mjs', 'issue 17: 30,000 finished tasks and 10,000 @all (made by the library) vs a fresh board, through smart HTTP; loose objects; one directory, 20 clones'],
];

const args = process.argv.slice(2);
if (args.includes('--list')) {
  for (const [name, , about] of SECTIONS) console.log(`${name.padEnd(14)} ${about}`);
  process.exit(0);
}
const at = args.indexOf('--only');
const only = at >= 0 ? args[at + 1]?.split(',') : process.env.BENCH_ONLY?.split(',');
const unknown = (only ?? []).filter((n) => !SECTIONS.some(([name]) => name === n));
if ((at >= 0 && !args[at + 1]) || unknown.length > 0) {
  console.error(`bench: unknown section ${unknown.join(', ') || '(none given)'}; the sections: ${SECTIONS.map(([n]) => n).join(', ')}`);
  process.exit(2);
}

const version = (cmd, a) => spawnSync(cmd, a, { env: ENV, encoding: 'utf8' }).stdout.trim();
const present = REMOVED.filter((k) => process.env[k] !== undefined);
const load = () => os.loadavg().map((x) => x.toFixed(2)).join(' ');
console.log(`environment: node ${version(process.execPath, ['--version'])}, ${version('git', ['--version'])}, ${os.cpus().length} cores, load average ${load()}`);
console.log(`  every timed process runs without ${REMOVED.join(' and ')} (${present.length ? `removed here: ${present.join(', ')}` : 'neither was set'}); medians of ${REPS} interleaved runs${QUICK ? '; QUICK mode: small scales, figures not comparable' : ''}`);

// Interrupted: still remove what the run made.
for (const sig of ['SIGINT', 'SIGTERM']) process.once(sig, () => {
  cleanup();
  process.exit(130);
});
try {
  for (const [name, file] of SECTIONS) {
    if (only && !only.includes(name)) continue;
    console.log(`\n== ${name} (load average ${load()})`);
    const { default: run } = await import(file);
    await run();
    cleanup();
  }
} finally {
  cleanup();
}

const missed = results.filter((r) => !r.ok);
console.log(`\nload average at the end ${load()}`);
console.log(missed.length === 0 ? `all ${results.length} targets met` : `${missed.length} of ${results.length} targets missed: ${missed.map((r) => r.name).join('; ')}`);
process.exitCode = missed.length === 0 ? 0 : 1;
