/** Agents' own ways in: the MCP server, Claude Code's setup, and the briefing (mcp, setup claude, prime). */
import { briefingText, gatherBriefing } from '../../agents/briefing.js';
import { setupClaude } from '../../hooks/claude-setup.js';
import { VERSION } from '../main.js';
import { runtime, type CommandSpec } from '../command.js';

export const commands: CommandSpec[] = [
  {
    name: 'prime',
    summary: 'a short briefing for an agent: who it is, what it holds, what to do next',
    async run({ ctx, out }) {
      const b = await gatherBriefing(ctx, ctx.readMode());
      out.result(b, () => briefingText(b));
    },
  },
  {
    name: 'mcp',
    summary: 'serve the tools to an agent over MCP on stdio (what .mcp.json starts)',
    async run({ ctx }) {
      // The SDK loads only here: no other command pays for it.
      const { serve } = await import('../../mcp/server.js');
      await serve(ctx, VERSION);
    },
  },
  {
    name: 'setup claude',
    summary: "register the MCP server and the hooks in this project's .mcp.json and .claude/settings.json",
    options: { 'dry-run': { type: 'boolean', help: 'print what would be written, write nothing' } },
    async run({ ctx, out, opts }) {
      const dryRun = Boolean(opts['dry-run']);
      const files = setupClaude(ctx, runtime(), dryRun);
      out.result({ ok: true, dryRun, files }, () =>
        files
          .map((f) =>
            !f.changed
              ? `${f.path}: already set up, unchanged`
              : dryRun
                ? `would write ${f.path}:\n${f.content}`
                : `wrote ${f.path}`,
          )
          .join('\n'),
      );
    },
  },
];
