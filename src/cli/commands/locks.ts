/** The lock commands: lock, unlock, renew (locks and claims), locks, check, prune. */
import { EXIT, UsageError } from '../../errors.js';
import { Locks, type LockView } from '../../locks/locks.js';
import { checkCommit } from '../../hooks/git-hooks.js';
import { parseDuration } from '../../session/duration.js';
import { conflictLine, lockLine, noteView } from '../output.js';
import { str, type CommandSpec } from '../command.js';

/** `--ttl` given: its lease in ms, or null for none; not given: undefined (the configured default). */
function ttlOption(opts: Record<string, unknown>): number | null | undefined {
  return typeof opts.ttl === 'string' ? parseDuration(opts.ttl, '--ttl', true) : undefined;
}

export const commands: CommandSpec[] = [
  {
    name: 'lock',
    summary: 'lock files, directories (trailing /) or globs, all or nothing',
    args: '<pattern>...',
    minArgs: 1,
    writes: true,
    options: {
      reason: { type: 'string', value: '<text>', help: 'why: shown to anyone who is refused' },
      ttl: { type: 'string', value: '<duration>', help: 'lease, such as 30m or 2h, or none (default from config, else 1h)' },
      wait: { type: 'string', value: '<duration>', optionalValue: true, help: 'retry until granted, for at most this long (default from config, else 10m)' },
    },
    async run({ ctx, out, opts, args }) {
      const ttlMs = ttlOption(opts);
      const reason = str(opts, 'reason');
      const locks = new Locks(ctx);
      const lockOpts = { ...(ttlMs !== undefined ? { ttlMs } : {}), ...(reason !== undefined ? { reason } : {}) };
      let granted: LockView[];
      const wait = str(opts, 'wait');
      if (wait !== undefined) {
        const waitMs = wait === '' ? (await ctx.config()).waitMs : parseDuration(wait, '--wait')!;
        granted = await locks.lockWaiting(args, lockOpts, waitMs);
      } else {
        granted = await locks.lock(args, lockOpts);
      }
      out.result({ ok: true, locks: granted }, () => granted.map((l) => `locked ${lockLine(l)}`).join('\n'));
    },
  },
  {
    name: 'unlock',
    summary: "release your locks (or, with --force, another agent's)",
    args: '[<pattern>...]',
    writes: true,
    options: {
      all: { type: 'boolean', help: 'release every lock you hold' },
      force: { type: 'boolean', help: "release another agent's lock (needs --reason)" },
      reason: { type: 'string', value: '<text>', help: 'why a lock was broken, for the history' },
    },
    async run({ ctx, out, opts, args }) {
      if (!opts.all && args.length === 0) throw new UsageError('give the patterns to unlock, or --all');
      const reason = str(opts, 'reason');
      const released = await new Locks(ctx).unlock(args, {
        all: Boolean(opts.all),
        force: Boolean(opts.force),
        ...(reason !== undefined ? { reason } : {}),
      });
      const me = ctx.agent();
      out.result({ ok: true, locks: released }, () =>
        released.length === 0
          ? 'nothing to unlock'
          : released.map((l) => `unlocked ${lockLine(l, 'pattern')}${l.agent !== me ? ` (was ${l.agent}'s)` : ''}`).join('\n'),
      );
    },
  },
  {
    name: 'renew',
    summary: 'extend your locks and task claims (all of them when no pattern is given)',
    args: '[<pattern>...]',
    writes: true,
    options: {
      ttl: { type: 'string', value: '<duration>', help: "new lease (default: each lock's and claim's own)" },
    },
    async run({ ctx, out, opts, args }) {
      const ttlMs = ttlOption(opts);
      const ttl = ttlMs !== undefined ? { ttlMs } : {};
      const renewed = await new Locks(ctx).renew(args, ttl);
      // Named patterns renew those locks only; with none, claims are renewed too.
      // Tasks (and zod, for their records) load only here: `lock` and the other commands of this module never need them.
      const tasks = args.length === 0 ? await new (await import('../../tasks/tasks.js')).Tasks(ctx).renew(ttl) : [];
      out.result({ ok: true, locks: renewed, tasks }, () =>
        renewed.length === 0 && tasks.length === 0
          ? 'nothing to renew'
          : [...renewed.map((l) => `renewed ${lockLine(l)}`), ...tasks.map((t) => `renewed claim ${t.id} until ${t.claimExpiresAt ?? 'no expiry'}`)].join('\n'),
      );
    },
  },
  {
    name: 'prune',
    summary: 'remove expired locks and abandoned pending records (each recorded in the history)',
    writes: true,
    async run({ ctx, out }) {
      const pruned = await new Locks(ctx).prune();
      out.result({ ok: true, locks: pruned }, () =>
        pruned.length === 0
          ? 'nothing to prune'
          : pruned.map((l) => `pruned ${lockLine(l, 'pattern')} (${l.agent}'s, expired ${l.expiresAt ?? ''})`).join('\n'),
      );
    },
  },
  {
    name: 'locks',
    summary: 'list the unexpired locks',
    options: { mine: { type: 'boolean', help: 'only your own' } },
    async run({ ctx, out, opts }) {
      const list = await new Locks(ctx).list({ mine: Boolean(opts.mine) });
      noteView(ctx);
      out.result(list, () => (list.length === 0 ? 'no locks' : list.map((l) => lockLine(l)).join('\n')));
    },
  },
  {
    name: 'check',
    summary: 'may I touch these paths? exit 3 when another agent holds one',
    args: '[<path>...]',
    options: { staged: { type: 'boolean', help: 'check the paths the staged changes touch' } },
    async run({ ctx, out, opts, args }) {
      const conflicts = [...(await new Locks(ctx).check(args))];
      if (opts.staged) conflicts.push(...(await checkCommit(ctx)));
      const ok = conflicts.length === 0;
      const pub = conflicts.map(({ path, pattern, agent, reason, expiresAt }) => ({ path, pattern, agent, reason, expiresAt }));
      const view = noteView(ctx);
      out.result({ ok, conflicts: pub, ...(view ? { view } : {}) }, () =>
        ok ? 'ok: nothing you named is held by another agent' : conflicts.map(conflictLine).join('\n'),
      );
      return ok ? EXIT.ok : EXIT.refused;
    },
  },
];
