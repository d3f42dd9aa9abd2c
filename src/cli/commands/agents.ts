/** Presence and the board: heartbeat, agents, status. (The board, which reads locks, loads only where it is shown.) */
import type { AgentView } from '../../agents/board.js';
import { heartbeat } from '../../agents/presence.js';
import { noteView, printable, taskLine } from '../output.js';
import { str, type CommandSpec } from '../command.js';

function agentLine(a: AgentView, me: string | null): string {
  const parts = [`${a.locks.length} lock${a.locks.length === 1 ? '' : 's'}`];
  if (a.task) parts.push(`task ${printable(a.task)}`);
  if (a.role) parts.push(`role ${printable(a.role)}`);
  parts.push(a.active ? 'active' : a.lastSeen ? `last seen ${a.lastSeen}` : 'not seen yet');
  return `${a.id}${a.id === me ? ' (you)' : ''}: ${parts.join(', ')}`;
}

export const commands: CommandSpec[] = [
  {
    name: 'heartbeat',
    summary: 'say you are here (and your role and task); every change you make says so too',
    writes: true,
    options: {
      role: { type: 'string', value: '<text>', help: 'what you do, such as reviewer (kept until changed; empty clears it)' },
      task: { type: 'string', value: '<id>', help: 'the task you work on (kept until changed; empty clears it)' },
    },
    async run({ ctx, out, opts }) {
      const role = str(opts, 'role');
      const task = str(opts, 'task');
      const s = await heartbeat(ctx, { ...(role !== undefined ? { role } : {}), ...(task !== undefined ? { task } : {}) });
      out.result({ ok: true, ...s }, () => `${s.id} here at ${s.lastSeen}${s.role ? `, role ${printable(s.role)}` : ''}${s.task ? `, task ${printable(s.task)}` : ''}`);
    },
  },
  {
    name: 'agents',
    summary: 'the agents seen: who is active, their role, task and locks',
    options: { active: { type: 'boolean', help: 'only the active ones (seen within agents.active, default 15m)' } },
    async run({ ctx, out, opts }) {
      const board = await (await import('../../agents/board.js')).readBoard(ctx);
      const agents = board.agents.filter((a) => a.lastSeen !== null && (!opts.active || a.active));
      noteView(ctx);
      out.result(agents, () => (agents.length === 0 ? 'no agents seen' : agents.map((a) => agentLine(a, board.agent)).join('\n')));
    },
  },
  {
    name: 'status',
    summary: 'the board: agents with their tasks and locks, ready tasks, blocked tasks',
    async run({ ctx, out }) {
      const b = await (await import('../../agents/board.js')).readBoard(ctx);
      const view = noteView(ctx);
      // Inactive agents holding nothing are history, not the board.
      const agents = b.agents.filter((a) => a.active || a.locks.length > 0 || a.tasks.length > 0 || a.id === b.agent);
      out.result({ ...b, agents, ...(view ? { view } : {}) }, () => {
        const lines = [`you are ${b.agent ?? '(no agent id set)'}`];
        for (const a of agents) {
          lines.push(agentLine(a, b.agent));
          for (const l of a.locks) {
            lines.push(`  ${printable(l.pattern)}  ${l.expiresAt ? `until ${l.expiresAt}` : 'no expiry'}${l.reason ? `  "${printable(l.reason)}"` : ''}`);
          }
        }
        if (agents.every((a) => a.locks.length === 0)) lines.push('no locks held');
        const section = (title: string, ts: typeof b.ready) => {
          if (ts.length > 0) lines.push('', `${title} (${ts.length}):`, ...ts.slice(0, 20).map((t) => `  ${taskLine(t)}`), ...(ts.length > 20 ? [`  ... and ${ts.length - 20} more (git-coord task list)`] : []));
        };
        section('claimed', b.claimed);
        section('ready', b.ready);
        section('blocked', b.blocked);
        section('failed', b.failed);
        return lines.join('\n');
      });
    },
  },
];
