/** Identity, presence and the board: whoami, heartbeat, agents, status. */
import { heartbeat as beat, type Seen } from '../agents/presence.js';
import type { AgentView, Board } from '../views/board.js';
import type { Coord } from '../session/coord.js';
import { given } from './input.js';

/** The agent in use; with `set`, this worktree's identity is set first. */
export async function whoami(ctx: Coord, input: { set?: string } = {}): Promise<{ agent: string }> {
  if (input.set !== undefined) ctx.setWorktreeAgent(input.set);
  return { agent: ctx.requireAgent() };
}

export async function heartbeat(ctx: Coord, input: { role?: string; task?: string } = {}): Promise<{ ok: true } & Seen> {
  const s = await beat(ctx, { ...given('role', input.role), ...given('task', input.task) });
  return { ok: true, ...s };
}

/** The board loads only where it is shown. */
const board = async (ctx: Coord) => (await import('../views/board.js')).readBoard(ctx);

/** The agents seen (with `active`, only those seen within `agents.active`). */
export async function agents(ctx: Coord, input: { active?: boolean } = {}): Promise<{ agent: string | null; agents: AgentView[] }> {
  const b = await board(ctx);
  return { agent: b.agent, agents: b.agents.filter((a) => a.lastSeen !== null && (!input.active || a.active)) };
}

/** The board as `status` shows it: inactive agents holding nothing are history, not the board. */
export async function status(ctx: Coord): Promise<Board & { view?: ReturnType<Coord['viewInfo']> }> {
  const b = await board(ctx);
  const view = ctx.viewInfo();
  const shown = b.agents.filter((a) => a.active || a.locks.length > 0 || a.tasks.length > 0 || a.id === b.agent);
  return { ...b, agents: shown, ...(view ? { view } : {}) };
}
