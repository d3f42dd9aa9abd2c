/**
 * The command line. Parses with commander, calls the domain, prints. Exit codes follow the
 * contract: 0 done, 1 failed, 2 bad usage, 3 refused by coordination.
 */
import path from 'node:path';
import fs from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { CoordError, EXIT, UsageError } from '../errors.js';
import { Coord } from '../session/coord.js';
import { Locks, type LockView } from '../locks/locks.js';
import { parseDuration } from '../session/duration.js';
import { history } from '../history/history.js';
import { installHooks, uninstallHooks, checkCommit } from '../hooks/git-hooks.js';
import { Output, lockLine, conflictLine } from './output.js';
import { sync } from '../session/sync.js';

declare const __VERSION__: string;
const VERSION = typeof __VERSION__ === 'string' ? __VERSION__ : '0.0.0-dev';

interface Globals {
  C?: string;
  agent?: string;
  json?: boolean;
  remote?: string;
  fresh?: boolean;
}

/** Global options are accepted before or after the command, so every command declares them too. */
function withGlobals(cmd: Command): Command {
  return cmd
    .option('-C <dir>', 'run as if started in <dir>')
    .option('--agent <id>', 'act as this agent (else GIT_COORD_AGENT, else `whoami --set`)')
    .option('--json', 'print exactly one JSON document on stdout')
    .option('--remote <name>', 'this git remote decides every change (else the config\'s remote, else this repository)')
    .option('--fresh', 'with a remote: refresh the local view before reading');
}

/** With a remote, reads say which view they used and how old it is. */
function noteView(ctx: Coord) {
  const view = ctx.viewInfo();
  if (view) {
    const age = view.ageMs === null ? 'never synced' : `synced ${Math.round(view.ageMs / 1000)}s ago`;
    ctx.note(`view of remote '${view.remote}', ${age} (git-coord sync, or --fresh, to refresh)`);
  }
  return view;
}

export async function main(argv: string[]): Promise<number> {
  let out = new Output(argv.includes('--json'));
  let code: number = EXIT.ok;
  const program = new Command('git-coord');
  program
    .description('Locks and coordination for agents working in parallel on one git repository.')
    .version(VERSION, '--version')
    .exitOverride()
    .showSuggestionAfterError()
    .configureOutput({ writeErr: (s) => process.stderr.write(s.startsWith('error:') ? `git-coord: ${s.slice(7)}` : s) });
  withGlobals(program);

  /** Opens the repository with the merged global options and runs `fn`. */
  const run = (
    fn: (ctx: Coord, out: Output, opts: Record<string, unknown>, args: string[]) => Promise<number | void>,
    writes = false,
  ) =>
    async function (this: Command, ...args: unknown[]) {
      const opts = this.optsWithGlobals() as Globals & Record<string, unknown>;
      out = new Output(Boolean(opts.json));
      const cwd = opts.C ? path.resolve(opts.C) : process.cwd();
      const ctx = await Coord.open({
        cwd,
        writes,
        fresh: Boolean(opts.fresh),
        ...(opts.agent !== undefined ? { agent: opts.agent } : {}),
        ...(opts.remote !== undefined ? { remote: opts.remote } : {}),
      });
      try {
        const positional = (args.slice(0, -2).flat() as string[]).filter((a) => typeof a === 'string');
        code = (await fn(ctx, out, opts, positional)) ?? EXIT.ok;
      } finally {
        ctx.close();
        for (const w of ctx.warnings) out.warn(w);
        for (const n of ctx.notes) process.stderr.write(`git-coord: ${n}\n`);
      }
    };

  const sub = (name: string, desc: string) => withGlobals(program.command(name).description(desc));

  sub('whoami', 'print the agent id in use, or set this worktree\'s with --set')
    .option('--set <id>', 'set the identity of this worktree (other worktrees keep theirs)')
    .action(
      run(async (ctx, out, opts) => {
        if (typeof opts.set === 'string') ctx.setWorktreeAgent(opts.set);
        const id = ctx.requireAgent();
        out.result({ agent: id }, () => id);
      }),
    );

  sub('lock', 'lock files, directories (trailing /) or globs, all or nothing')
    .argument('<pattern...>')
    .option('--reason <text>', 'why: shown to anyone who is refused')
    .option('--ttl <duration>', 'lease, such as 30m or 2h, or none (default from config, else 1h)')
    .addOption(new Option('--wait [duration]', 'retry until granted, for at most this long (default from config, else 10m)'))
    .action(
      run(async (ctx, out, opts, args) => {
        const ttlMs = typeof opts.ttl === 'string' ? parseDuration(opts.ttl, '--ttl', true) : undefined;
        const locks = new Locks(ctx);
        const lockOpts = { ...(ttlMs !== undefined ? { ttlMs } : {}), ...(typeof opts.reason === 'string' ? { reason: opts.reason } : {}) };
        let granted: LockView[];
        if (opts.wait !== undefined) {
          const waitMs = typeof opts.wait === 'string' ? parseDuration(opts.wait, '--wait')! : (await ctx.config()).waitMs;
          granted = await locks.lockWaiting(args, lockOpts, waitMs);
        } else {
          granted = await locks.lock(args, lockOpts);
        }
        out.result({ ok: true, locks: granted }, () => granted.map((l) => `locked ${lockLine(l)}`).join('\n'));
      }, true),
    );

  sub('unlock', 'release your locks (or, with --force, another agent\'s)')
    .argument('[pattern...]')
    .option('--all', 'release every lock you hold')
    .option('--force', 'release another agent\'s lock (needs --reason)')
    .option('--reason <text>', 'why a lock was broken, for the history')
    .action(
      run(async (ctx, out, opts, args) => {
        if (!opts.all && args.length === 0) throw new UsageError('give the patterns to unlock, or --all');
        const released = await new Locks(ctx).unlock(args, {
          all: Boolean(opts.all),
          force: Boolean(opts.force),
          ...(typeof opts.reason === 'string' ? { reason: opts.reason } : {}),
        });
        out.result({ ok: true, locks: released }, () =>
          released.length === 0 ? 'nothing to unlock' : released.map((l) => `unlocked ${l.pattern}${l.agent !== ctx.agent() ? ` (was ${l.agent}'s)` : ''}`).join('\n'),
        );
      }, true),
    );

  sub('renew', 'extend your locks (all of them when no pattern is given)')
    .argument('[pattern...]')
    .option('--ttl <duration>', 'new lease (default: each lock\'s own)')
    .action(
      run(async (ctx, out, opts, args) => {
        const ttlMs = typeof opts.ttl === 'string' ? parseDuration(opts.ttl, '--ttl', true) : undefined;
        const renewed = await new Locks(ctx).renew(args, ttlMs !== undefined ? { ttlMs } : {});
        out.result({ ok: true, locks: renewed }, () =>
          renewed.length === 0 ? 'nothing to renew' : renewed.map((l) => `renewed ${lockLine(l)}`).join('\n'),
        );
      }, true),
    );

  sub('prune', 'remove expired locks and abandoned pending records (each recorded in the history)').action(
    run(async (ctx, out) => {
      const pruned = await new Locks(ctx).prune();
      out.result({ ok: true, locks: pruned }, () =>
        pruned.length === 0 ? 'nothing to prune' : pruned.map((l) => `pruned ${l.pattern} (${l.agent}'s, expired ${l.expiresAt ?? ''})`).join('\n'),
      );
    }, true),
  );

  sub('locks', 'list the unexpired locks')
    .option('--mine', 'only your own')
    .action(
      run(async (ctx, out, opts) => {
        const list = await new Locks(ctx).list({ mine: Boolean(opts.mine) });
        noteView(ctx);
        out.result(list, () => (list.length === 0 ? 'no locks' : list.map(lockLine).join('\n')));
      }),
    );

  sub('check', 'may I touch these paths? exit 3 when another agent holds one')
    .argument('[path...]')
    .option('--staged', 'check the paths the staged changes touch')
    .action(
      run(async (ctx, out, opts, args) => {
        const locks = new Locks(ctx);
        const conflicts = [...(await locks.check(args))];
        if (opts.staged) conflicts.push(...(await checkCommit(ctx)));
        const ok = conflicts.length === 0;
        const pub = conflicts.map(({ path: p, pattern, agent, reason, expiresAt }) => ({ path: p, pattern, agent, reason, expiresAt }));
        const view = noteView(ctx);
        out.result({ ok, conflicts: pub, ...(view ? { view } : {}) }, () => (ok ? 'ok: nothing you named is held by another agent' : conflicts.map(conflictLine).join('\n')));
        return ok ? EXIT.ok : EXIT.refused;
      }),
    );

  sub('status', 'who is here and what each holds').action(
    run(async (ctx, out) => {
      const s = await new Locks(ctx).status();
      const view = noteView(ctx);
      out.result({ ...s, ...(view ? { view } : {}) }, () => {
        const lines = [`you are ${s.agent ?? '(no agent id set)'}`];
        if (s.agents.every((a) => a.locks.length === 0)) lines.push('no locks held');
        for (const a of s.agents) {
          if (a.locks.length === 0) continue;
          lines.push(`${a.id}${a.id === s.agent ? ' (you)' : ''}: ${a.locks.length} lock${a.locks.length === 1 ? '' : 's'}`);
          for (const l of a.locks) lines.push(`  ${l.pattern}  ${l.expiresAt ? `until ${l.expiresAt}` : 'no expiry'}${l.reason ? `  "${l.reason}"` : ''}`);
        }
        return lines.join('\n');
      });
    }),
  );

  sub('log', 'the history of changes, newest first')
    .option('-n <count>', 'how many entries', '20')
    .action(
      run(async (ctx, out, opts) => {
        const n = Number(opts.n);
        if (!Number.isInteger(n) || n < 1) throw new UsageError(`bad count for -n: ${String(opts.n)}`);
        const entries = await history(ctx, n);
        out.result(entries, () =>
          entries.length === 0
            ? 'no history yet'
            : entries
                .map((e) => `${e.at}  ${e.agent}  ${e.action} ${e.subject}${e.other ? ` (${e.other}'s)` : ''}${e.reason ? `  "${e.reason}"` : ''}`)
                .join('\n'),
        );
      }),
    );

  sub('sync', 'with a remote: bring the local view of the coordination state up to date').action(
    run(async (ctx, out) => {
      const r = await sync(ctx);
      out.result({ ok: true, ...r }, () =>
        r.remote === null
          ? 'nothing to sync: no remote is configured (this repository decides)'
          : `synced from ${r.remote}: ${r.locks} lock${r.locks === 1 ? '' : 's'} held`,
      );
    }),
  );

  sub('install-hooks', 'install the git hooks that enforce locks (every worktree; in a bare repository, the server-side hook)').action(
    run(async (ctx, out) => {
      // The entry script node was started with (through npx's symlink): the bundled cli.js.
      const cli = fs.realpathSync(process.argv[1]!);
      const r = await installHooks(ctx, { node: process.execPath, cli, root: path.resolve(path.dirname(cli), '..') });
      out.result(r, () =>
        [
          `installed ${r.installed.join(', ')} in ${r.dir}${r.husky ? ' (through husky)' : ''}${r.server ? ' (server side: every push is checked)' : ''}`,
          ...r.chained.map((h) => `kept your existing ${h} hook: it still runs first`),
        ].join('\n'),
      );
    }),
  );

  sub('uninstall-hooks', 'remove the hooks git-coord installed, restoring any it chained').action(
    run(async (ctx, out) => {
      const r = await uninstallHooks(ctx);
      out.result(r, () => (r.removed.length === 0 ? 'no git-coord hooks were installed' : `removed ${r.removed.join(', ')} from ${r.dir}`));
    }),
  );

  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return EXIT.ok;
      if (out.json) process.stdout.write(JSON.stringify({ ok: false, code: EXIT.usage, error: e.message.replace(/^error: /, '') }) + '\n');
      return EXIT.usage;
    }
    if (e instanceof CoordError) {
      out.error(e.message, e.exitCode, e.detail);
      return e.exitCode;
    }
    out.error(`unexpected error: ${process.env.GIT_COORD_DEBUG ? ((e as Error)?.stack ?? String(e)) : ((e as Error)?.message ?? String(e))}`, EXIT.failed, {});
    return EXIT.failed;
  }
}
