/** Agents' own ways in: the MCP server, Claude Code's and Codex's setup, and the briefing (mcp, setup claude, setup codex, prime). */
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
    options: {
      'dry-run': { type: 'boolean', help: 'print what would be written, write nothing' },
      user: { type: 'boolean', help: 'also register the hooks in ~/.claude/settings.json, so sessions started in a subdirectory are guarded' },
      local: { type: 'boolean', help: 'also allow the read-only tools in .claude/settings.local.json (honoured before the workspace is trusted)' },
    },
    async run({ ctx, out, opts }) {
      const r = await ops.setupClaude(ctx, { runtime: runtime(), dryRun: Boolean(opts['dry-run']), user: Boolean(opts.user), local: Boolean(opts.local) });
      out.result(r, () =>
        [
          ...r.files.map((f) => (!f.changed ? `${f.path}: already set up, unchanged` : r.dryRun ? `would write ${f.path}:\n${f.content}` : `wrote ${f.path}`)),
          ...(opts.user
            ? []
            : ['Claude Code reads .claude/settings.json only where a session starts: for sessions started in a subdirectory, also run: git-coord setup claude --user']),
        ].join('\n'),
      );
    },
  },
  {
    name: 'setup codex',
    summary: "register the MCP server and the hooks in this project's .codex/config.toml and .codex/hooks.json",
    options: {
      'dry-run': { type: 'boolean', help: 'print what would be written, write nothing' },
      trust: { type: 'boolean', help: "trust git-coord's hooks in Codex: write their trusted_hash (from codex app-server) to $CODEX_HOME/config.toml" },
    },
    async run({ ctx, out, opts }) {
      const r = await ops.setupCodex(ctx, { runtime: runtime(), dryRun: Boolean(opts['dry-run']), trust: Boolean(opts.trust) });
      out.result(r, () => {
        const lines = r.files.map((f) =>
          !f.changed
            ? `${f.path}: already set up, unchanged`
            : `${r.dryRun ? 'would write' : 'wrote'} ${f.path}${f.commentsDropped ? ' (rewritten: its comments are not kept)' : ''}${r.dryRun ? `:\n${f.content}` : ''}`,
        );
        if (!r.trust.project)
          lines.push(`Codex reads .codex/ only in a trusted project: trust it (start codex here once and accept, or add [projects."${ctx.repo.top}"] trust_level = "trusted" to ${r.trust.codexHome}/config.toml).`);
        for (const t of r.trusted ?? []) lines.push(`trusted ${t.key} in ${r.trust.codexHome}/config.toml (trusted_hash = "${t.hash}")`);
        if (r.trusted && r.trusted.length === 0) lines.push("git-coord's Codex hooks were already trusted");
        if (!r.trusted && r.trust.hooksTrusted < r.trust.hooks)
          lines.push(`Codex runs a hook only once you trust it: open codex here, run /hooks and trust git-coord's ${r.trust.hooks} hooks (${r.trust.hooksTrusted} trusted now), or run git-coord setup codex --trust. Until then no hook runs.`);
        return lines.join('\n');
      });
    },
  },
];
