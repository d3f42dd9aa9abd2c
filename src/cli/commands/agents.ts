/** Presence and the board: heartbeat, agents, status. (The board, which reads locks, loads only where it is shown.) */
import * as ops from '../../operations/agents.js';
import { agentLine, boardText, noteView, printable } from '../render.js';
import { str, type CommandSpec } from '../command.js';

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
      const s = await ops.heartbeat(ctx, { ...(role !== undefined ? { role } : {}), ...(task !== undefined ? { task } : {}) });
      out.result(s, () => `${s.id} here at ${s.lastSeen}${s.role ? `, role ${printable(s.role)}` : ''}${s.task ? `, task ${printable(s.task)}` : ''}`);
    },
  },
  {
    name: 'agents',
    summary: 'the agents seen: who is active, their role, task and locks',
    options: { active: { type: 'boolean', help: 'only the active ones (seen within agents.active, default 15m)' } },
    async run({ ctx, out, opts }) {
      const r = await ops.agents(ctx, { active: Boolean(opts.active) });
      noteView(ctx);
      out.result(r.agents, () => (r.agents.length === 0 ? 'no agents seen' : r.agents.map((a) => agentLine(a, r.agent)).join('\n')));
    },
  },
  {
    name: 'status',
    summary: 'the board: agents with their tasks and locks, ready tasks, blocked tasks',
    async run({ ctx, out }) {
      const b = await ops.status(ctx);
      noteView(ctx);
      out.result(b, () => boardText(b));
    },
  },
];
