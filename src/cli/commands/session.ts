/** Who am I, what is going on, what happened: whoami, status, log, sync. */
import { Locks } from '../../locks/locks.js';
import { history } from '../../history/history.js';
import { sync } from '../../session/sync.js';
import { noteView, printable } from '../output.js';
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
    name: 'status',
    summary: 'who is here and what each holds',
    async run({ ctx, out }) {
      const s = await new Locks(ctx).status();
      const view = noteView(ctx);
      out.result({ ...s, ...(view ? { view } : {}) }, () => {
        const lines = [`you are ${s.agent ?? '(no agent id set)'}`];
        if (s.agents.every((a) => a.locks.length === 0)) lines.push('no locks held');
        for (const a of s.agents) {
          if (a.locks.length === 0) continue;
          lines.push(`${a.id}${a.id === s.agent ? ' (you)' : ''}: ${a.locks.length} lock${a.locks.length === 1 ? '' : 's'}`);
          for (const l of a.locks) {
            lines.push(`  ${printable(l.pattern)}  ${l.expiresAt ? `until ${l.expiresAt}` : 'no expiry'}${l.reason ? `  "${printable(l.reason)}"` : ''}`);
          }
        }
        return lines.join('\n');
      });
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
