/** Who am I, what happened, the view of a remote: whoami, log, sync. */
import { history } from '../../history/history.js';
import { sync } from '../../session/sync.js';
import { printable } from '../output.js';
import { count, str, type CommandSpec } from '../command.js';

export const commands: CommandSpec[] = [
  {
    name: 'whoami',
    summary: "print the agent id in use, or set this worktree's with --set",
    options: { set: { type: 'string', value: '<id>', help: 'set the identity of this worktree (other worktrees keep theirs)' } },
    async run({ ctx, out, opts }) {
      const set = str(opts, 'set');
      if (set !== undefined) ctx.setWorktreeAgent(set);
      const id = ctx.requireAgent();
      out.result({ agent: id }, () => id);
    },
  },
  {
    name: 'log',
    summary: 'the history of changes, newest first',
    options: { n: { type: 'string', short: 'n', value: '<count>', help: 'how many entries (default 20)' } },
    async run({ ctx, out, opts }) {
      const entries = await history(ctx, count(opts, 'n', 20)!);
      out.result(entries, () =>
        entries.length === 0
          ? 'no history yet'
          : entries
              .map((e) => `${e.at}  ${e.agent}  ${printable(e.action)} ${printable(e.subject)}${e.other ? ` (${e.other}'s)` : ''}${e.reason ? `  "${printable(e.reason)}"` : ''}`)
              .join('\n'),
      );
    },
  },
  {
    name: 'sync',
    summary: 'with a remote: bring the local view of the coordination state up to date',
    async run({ ctx, out }) {
      const r = await sync(ctx);
      out.result({ ok: true, ...r }, () =>
        r.remote === null
          ? 'nothing to sync: no remote is configured (this repository decides)'
          : `synced from ${r.remote}: ${r.locks} lock${r.locks === 1 ? '' : 's'} held`,
      );
    },
  },
];
