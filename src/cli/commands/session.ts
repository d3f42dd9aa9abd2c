/** Who am I, what happened, the view of a remote: whoami, log, sync. */
import * as agents from '../../operations/agents.js';
import * as ops from '../../operations/session.js';
import { historyLine } from '../render.js';
import { count, str, type CommandSpec } from '../command.js';

export const commands: CommandSpec[] = [
  {
    name: 'whoami',
    summary: "print the agent id in use, or set this worktree's with --set",
    options: { set: { type: 'string', value: '<id>', help: 'set the identity of this worktree (other worktrees keep theirs)' } },
    async run({ ctx, out, opts }) {
      const set = str(opts, 'set');
      const r = await agents.whoami(ctx, set !== undefined ? { set } : {});
      out.result(r, () => r.agent);
    },
  },
  {
    name: 'log',
    summary: 'the history of changes, newest first',
    options: { n: { type: 'string', short: 'n', value: '<count>', help: 'how many entries (default 20)' } },
    async run({ ctx, out, opts }) {
      const entries = await ops.log(ctx, { n: count(opts, 'n', 20)! });
      out.result(entries, () => (entries.length === 0 ? 'no history yet' : entries.map(historyLine).join('\n')));
    },
  },
  {
    name: 'sync',
    summary: 'with a remote: bring the local view of the coordination state up to date',
    async run({ ctx, out }) {
      const r = await ops.sync(ctx);
      out.result(r, () =>
        r.remote === null
          ? 'nothing to sync: no remote is configured (this repository decides)'
          : `synced from ${r.remote}: ${r.locks} lock${r.locks === 1 ? '' : 's'} held`,
      );
    },
  },
];
