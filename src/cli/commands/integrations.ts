/** Agents' own ways in: the MCP server, Claude Code's setup, and the briefing (mcp, setup claude, prime). */
import { briefingText } from '../../views/briefing.js';
import * as ops from '../../operations/integrations.js';
import { Coord } from '../../session/coord.js';
import { VERSION } from '../../version.js';
import { runtime, str, type CommandSpec } from '../command.js';

export const commands: CommandSpec[] = [
  {
    name: 'prime',
    summary: 'a short briefing for an agent: who it is, what it holds, what to do next',
    async run({ ctx, out }) {
      const b = await ops.prime(ctx);
      out.result(b, () => briefingText(b));
    },
  },
  {
    name: 'mcp',
    summary: 'serve the tools to an agent over MCP on stdio (what .mcp.json starts)',
    async run({ ctx, opts, faces }) {
      // A waiting tool call gets a session of its own, opened as this one was.
      const agent = str(opts, 'agent');
      const remote = str(opts, 'remote');
      const reopen = () =>
        Coord.open({ cwd: ctx.repo.cwd, writes: true, ...(agent !== undefined ? { agent } : {}), ...(remote !== undefined ? { remote } : {}) });
      // The SDK loads only here: no other command pays for it.
      await faces.serveMcp(ctx, VERSION, reopen);
    },
  },
  {
    name: 'setup claude',
    summary: "register the MCP server and the hooks in this project's .mcp.json and .claude/settings.json",
    options: { 'dry-run': { type: 'boolean', help: 'print what would be written, write nothing' } },
    async run({ ctx, out, opts }) {
      const r = await ops.setupClaude(ctx, { runtime: runtime(), dryRun: Boolean(opts['dry-run']) });
      out.result(r, () =>
        r.files
          .map((f) => (!f.changed ? `${f.path}: already set up, unchanged` : r.dryRun ? `would write ${f.path}:\n${f.content}` : `wrote ${f.path}`))
          .join('\n'),
      );
    },
  },
];
