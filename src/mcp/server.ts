/**
 * `git-coord mcp`: a Model Context Protocol server on stdio, built on the official TypeScript
 * SDK. It registers every row of the tool table (tools.ts) and answers each call through one
 * long-lived session (runner.ts), each call one operation (src/operations/). Loaded only by this command: the SDK costs a few hundred
 * milliseconds to load, which no other command pays.
 */
import { McpServer, type StandardSchemaWithJSON } from '@modelcontextprotocol/server';
import { StdioServerTransport, serveStdio } from '@modelcontextprotocol/server/stdio';
import type { Coord } from '../session/coord.js';
import { TOOLS } from './tools.js';
import { ToolRunner } from './runner.js';

/** Sent once on connect: what an agent must know to use the tools well. */
const INSTRUCTIONS =
  'Several agents share this repository. Locks: lock paths before editing them (check, lock), unlock when done; edits to paths another agent holds are refused. ' +
  'Tasks: tasks lists the board, claim takes one (next: the most urgent ready), task_done finishes it. ' +
  'Messages: inbox reads yours, send and reply write to agents, @all or #channels. status shows who holds what.';

/**
 * The schema as the SDK lists it, without the `$schema` line zod adds to each (the protocol's
 * default dialect is the same): ~60 characters less of every agent's context per tool.
 */
function listed(schema: StandardSchemaWithJSON): StandardSchemaWithJSON {
  const std = schema['~standard'];
  const input: typeof std.jsonSchema.input = (opts) => {
    const { $schema: _, ...rest } = std.jsonSchema.input(opts);
    return rest;
  };
  return { '~standard': { ...std, jsonSchema: { ...std.jsonSchema, input } } };
}

export function createServer(runner: ToolRunner, version: string): McpServer {
  const server = new McpServer({ name: 'git-coord', version }, { instructions: INSTRUCTIONS });
  for (const t of TOOLS) {
    // Codex runs a tool without asking when it only reads, or changes nothing outside (openWorldHint
    // false) and destroys nothing (destructiveHint false): git-coord's change only its own records.
    const annotations = t.readOnly ? { readOnlyHint: true, openWorldHint: false } : { destructiveHint: false, openWorldHint: false };
    server.registerTool(t.name, { description: t.description, inputSchema: listed(t.input), annotations }, async (args) => {
      const a = await runner.call(t, args);
      return { content: [{ type: 'text', text: a.text }], ...(a.isError ? { isError: true } : {}) };
    });
  }
  return server;
}

/**
 * Serves MCP on this process's stdin and stdout until the client closes stdin. Either era of the
 * protocol: the SDK's stdio entry picks the one the client opens with.
 */
export function serve(ctx: Coord, version: string, reopen?: () => Promise<Coord>): Promise<void> {
  const runner = new ToolRunner(ctx, reopen);
  // Start the writing processes now, so the first lock does not wait for them.
  ctx.store.warm();
  return new Promise((resolve) => {
    // The SDK's transport reads at most 10 MiB of one message; past that it closes the connection.
    const wire = new StdioServerTransport();
    const handle = serveStdio(() => createServer(runner, version), {
      transport: wire,
      onerror: (e) => process.stderr.write(`git-coord mcp: ${e.message}\n`),
    });
    let ended = false;
    // Stdin closed, even mid-call: finish the calls on the shared session (or abandon those that
    // wait), then stop serving; the command then closes the session, and no git process is left.
    const end = () => {
      if (ended) return;
      ended = true;
      void runner
        .drain()
        .catch(() => undefined)
        .then(() => handle.close())
        .finally(resolve);
    };
    process.stdin.once('end', end).once('close', end);
    // The transport closed on its own (a message past its cap, stdout gone): the client cannot be
    // served any more, so end as when stdin closes (a paused stdin would never say so).
    const closed = wire.onclose;
    wire.onclose = () => {
      closed?.();
      end();
    };
  });
}
