/**
 * Build time only (scripts/gen-mcp-ready.mjs): what the real server answers to the opening of a
 * session, for the front (front.ts) to answer before the SDK is loaded. The server is the one
 * `git-coord mcp` serves (createServer: every row of tools.ts as it stands at build time), served
 * by the SDK's own stdio entry over in-memory streams: `initialize` with each protocol version the
 * SDK supports (and one it does not), `notifications/initialized`, `tools/list`.
 */
import { PassThrough } from 'node:stream';
import { SUPPORTED_PROTOCOL_VERSIONS } from '@modelcontextprotocol/server';
import { serveStdio, StdioServerTransport } from '@modelcontextprotocol/server/stdio';
import { VERSION } from '../version.js';
import type { ReadyAnswers } from './front.js';
import { ToolRunner } from './runner.js';
import { createServer } from './server.js';

type Message = Record<string, unknown>;

/** A version no SDK supports: the server answers it with its own. */
const UNKNOWN_VERSION = '0000-00-00';

/** The SDK server's answers to `messages`, in order (one per request). */
export async function exchange(messages: Message[]): Promise<Message[]> {
  const input = new PassThrough();
  const output = new PassThrough();
  const runner = new ToolRunner(undefined as never);
  const handle = serveStdio(() => createServer(runner, VERSION), { transport: new StdioServerTransport(input, output) });
  const want = messages.filter((m) => 'id' in m).length;
  const got: Message[] = [];
  let buf = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the MCP server did not answer the opening')), 30_000);
    output.on('data', (d: Buffer) => {
      buf += d.toString('utf8');
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        got.push(JSON.parse(buf.slice(0, nl)) as Message);
        buf = buf.slice(nl + 1);
      }
      if (got.length >= want) {
        clearTimeout(timer);
        resolve();
      }
    });
    for (const m of messages) input.write(`${JSON.stringify(m)}\n`);
  });
  await handle.close();
  return got;
}

/** The opening a client sends, asking for `version`. */
export function opening(version: string): Message[] {
  return [
    { jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: version, capabilities: {}, clientInfo: { name: 'git-coord-build', version: '0' } } },
    { jsonrpc: '2.0', method: 'notifications/initialized' },
    { jsonrpc: '2.0', id: 1, method: 'tools/list' },
  ];
}

/** Everything the front answers, recorded from the SDK server. */
export async function recordHandshakes(): Promise<ReadyAnswers> {
  const tools: Message[] = [];
  const toolsIndex = new Map<string, number>();
  const record = async (version: string) => {
    const [init, list] = await exchange(opening(version));
    if (!init || 'error' in init || !list || 'error' in list) throw new Error(`the MCP server refused the opening of ${version}: ${JSON.stringify([init, list])}`);
    const listed = { ...list, id: null };
    const key = JSON.stringify(listed);
    if (!toolsIndex.has(key)) toolsIndex.set(key, tools.push(listed) - 1);
    return { initialize: { ...init, id: null }, tools: toolsIndex.get(key)! };
  };
  const versions: ReadyAnswers['versions'] = {};
  for (const v of SUPPORTED_PROTOCOL_VERSIONS) versions[v] = await record(v);
  return { versions, other: await record(UNKNOWN_VERSION), tools };
}
