/** The lock commands: lock, unlock, renew (locks and claims), locks, check, prune. */
import { EXIT } from '../../errors.js';
import * as ops from '../../operations/locks.js';
import { parseDuration } from '../../session/duration.js';
import { conflictLine, lockLine, noteView } from '../render.js';
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
      const wait = str(opts, 'wait');
      const r = await ops.lock(ctx, {
        patterns: args,
        ...(ttlMs !== undefined ? { ttlMs } : {}),
        ...(reason !== undefined ? { reason } : {}),
        ...(wait !== undefined ? { wait: wait === '' ? 'default' : parseDuration(wait, '--wait')! } : {}),
      });
      out.result(r, () => r.locks.map((l) => `locked ${lockLine(l)}`).join('\n'));
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
      const reason = str(opts, 'reason');
      const r = await ops.unlock(ctx, { patterns: args, all: Boolean(opts.all), force: Boolean(opts.force), ...(reason !== undefined ? { reason } : {}) });
      const released = r.locks;
      const me = ctx.agent();
      out.result(r, () =>
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
      // Named patterns renew those locks only; with none, claims are renewed too.
      const r = await ops.renew(ctx, { patterns: args, ...(ttlMs !== undefined ? { ttlMs } : {}) });
      const { locks: renewed, tasks } = r;
      out.result(r, () =>
        renewed.length === 0 && tasks.length === 0
          ? 'nothing to renew'
          : [...renewed.map((l) => `renewed ${lockLine(l)}`), ...tasks.map((t) => `renewed claim ${t.id} until ${t.claimExpiresAt ?? 'no expiry'}`)].join('\n'),
      );
    },
  },
  {
    name: 'prune',
    summary: 'remove expired locks and abandoned pending records (each recorded in the history), token marks no longer needed, expired messages, agents not seen for agents.forget; move finished tasks from the old done/failed shelves into the archive; pack the refs',
    writes: true,
    async run({ ctx, out }) {
      const r = await ops.prune(ctx);
      const pruned = r.locks;
      out.result(r, () => {
        const lines = [
          ...pruned.map((l) => `pruned ${lockLine(l, 'pattern')} (${l.agent}'s, expired ${l.expiresAt ?? ''})`),
          ...(r.tokens.length > 0 ? [`removed ${r.tokens.length} token mark${r.tokens.length === 1 ? '' : 's'} no longer needed`] : []),
          ...(r.messages > 0 ? [`removed ${r.messages} expired message ref${r.messages === 1 ? '' : 's'}`] : []),
          ...r.agents.map((a) => `forgot ${a} (not seen for agents.forget)`),
          ...(r.tasks > 0 ? [`archived ${r.tasks} finished task${r.tasks === 1 ? '' : 's'} from the old done and failed shelves`] : []),
        ];
        return lines.length === 0 ? 'nothing to prune' : lines.join('\n');
      });
    },
  },
  {
    name: 'locks',
    summary: 'list the unexpired locks',
    options: { mine: { type: 'boolean', help: 'only your own' } },
    async run({ ctx, out, opts }) {
      const locks = await ops.listLocks(ctx, { mine: Boolean(opts.mine) });
      noteView(ctx);
      out.result(locks, () => (locks.length === 0 ? 'no locks' : locks.map((l) => lockLine(l)).join('\n')));
    },
  },
  {
    name: 'check',
    summary: 'may I touch these paths? exit 3 when another agent holds one',
    args: '[<path>...]',
    options: { staged: { type: 'boolean', help: 'check the paths the staged changes touch' } },
    async run({ ctx, out, opts, args }) {
      const r = await ops.check(ctx, { paths: args, staged: Boolean(opts.staged) });
      noteView(ctx);
      out.result(r, () => (r.ok ? 'ok: nothing you named is held by another agent' : r.conflicts.map(conflictLine).join('\n')));
      return r.ok ? EXIT.ok : EXIT.refused;
    },
  },
];
