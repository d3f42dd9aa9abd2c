/**
 * `git-coord mcp`'s front: answers the opening of a session (`initialize`, then `tools/list`)
 * before the MCP SDK, the tools and the session are loaded, which cost a start several times
 * Node's own. The answers are the SDK server's own: scripts/gen-mcp-ready.mjs runs the real
 * server (server.ts, every row of tools.ts) at build time and records what it answers to each
 * protocol version it knows (dist/mcp-ready.json); test/mcp-front.test.ts holds the front's bytes
 * equal to the SDK's.
 *
 * The first message the front does not answer (a tool call, a ping, anything unusual: a line it
 * cannot parse, a modern-era opening, a `tools/list` with a cursor or `_meta`) hands the session
 * over: the real server is loaded and fed the input again (the `initialize`, whose answer it drops
 * because the front already gave it, the notifications, and everything not yet answered), and
 * answers everything from then on. Loaded by the entry (cli.ts) for a bare `git-coord mcp` only.
 */
import fs from 'node:fs';
import { PassThrough, Writable, type Readable } from 'node:stream';

type Id = string | number;
type Message = Record<string, unknown>;

/** What the build recorded of the SDK server: its whole answer (id null) to each request. */
export interface ReadyAnswers {
  /** Requested protocol version -> the answers. */
  versions: Record<string, { initialize: Message; tools: number }>;
  /** The answers to a version the SDK does not know (it answers its own). */
  other: { initialize: Message; tools: number };
  /** The distinct `tools/list` answers. */
  tools: Message[];
}

/** What the front leaves the real server: the input to read again, the answers already given. */
interface Handoff {
  replay: Buffer[];
  drop: Set<Id>;
}

const HANDOFF = Symbol.for('git-coord.mcp.handoff');
/** A line longer than this is left to the SDK (which has its own cap). */
const MAX_LINE = 1 << 20;

const isObject = (v: unknown): v is Message => typeof v === 'object' && v !== null && !Array.isArray(v);
const isId = (v: unknown): v is Id => typeof v === 'string' || (typeof v === 'number' && Number.isInteger(v));
const only = (m: Message, keys: string[]) => Object.keys(m).every((k) => keys.includes(k));

/** An `initialize` request of the 2025 era, plainly well formed: its requested version; else undefined. */
function initializeVersion(m: Message): string | undefined {
  if (m.jsonrpc !== '2.0' || m.method !== 'initialize' || !isId(m.id) || !only(m, ['jsonrpc', 'id', 'method', 'params'])) return undefined;
  const p = m.params;
  if (!isObject(p) || '_meta' in p || typeof p.protocolVersion !== 'string' || !isObject(p.capabilities)) return undefined;
  const info = p.clientInfo;
  if (!isObject(info) || typeof info.name !== 'string' || typeof info.version !== 'string') return undefined;
  return p.protocolVersion;
}

const isInitialized = (m: Message) =>
  m.jsonrpc === '2.0' && m.method === 'notifications/initialized' && !('id' in m) && only(m, ['jsonrpc', 'method', 'params']) && (m.params === undefined || (isObject(m.params) && Object.keys(m.params).length === 0));

const isToolsList = (m: Message) =>
  m.jsonrpc === '2.0' && m.method === 'tools/list' && isId(m.id) && only(m, ['jsonrpc', 'id', 'method', 'params']) && (m.params === undefined || (isObject(m.params) && Object.keys(m.params).length === 0));

/**
 * Serves the opening from `readyFile`, and calls `handover` (which loads the real server) at the
 * first message it does not answer. Without the file (a development build), hands over at once.
 */
export function serveFront(readyFile: string, handover: () => void): void {
  let ready: ReadyAnswers;
  try {
    ready = JSON.parse(fs.readFileSync(readyFile, 'utf8')) as ReadyAnswers;
  } catch {
    handover();
    return;
  }
  const stdin = process.stdin;
  const replay: Buffer[] = [];
  const drop = new Set<Id>();
  let opened: { initialize: Message; tools: number } | undefined;
  let buf: Buffer = Buffer.alloc(0);
  let handed = false;

  const answer = (id: Id, whole: Message) => process.stdout.write(`${JSON.stringify({ ...whole, id })}\n`);

  /** One line, its newline included: true while the front keeps the session. */
  const take = (line: Buffer): boolean => {
    let m: unknown;
    try {
      m = JSON.parse(line.toString('utf8'));
    } catch {
      return false;
    }
    if (!isObject(m)) return false;
    if (!opened) {
      const v = initializeVersion(m);
      if (v === undefined) return false;
      opened = Object.hasOwn(ready.versions, v) ? ready.versions[v]! : ready.other;
      answer(m.id as Id, opened.initialize);
      drop.add(m.id as Id);
      replay.push(line);
      return true;
    }
    if (isInitialized(m)) {
      replay.push(line);
      return true;
    }
    if (isToolsList(m)) {
      answer(m.id as Id, ready.tools[opened.tools]!);
      return true;
    }
    return false;
  };

  const hand = (rest: Buffer) => {
    handed = true;
    stdin.off('data', onData);
    stdin.pause();
    if (rest.length) replay.push(rest);
    (process as unknown as Record<symbol, Handoff>)[HANDOFF] = { replay, drop };
    handover();
  };

  const onData = (chunk: Buffer) => {
    if (handed) return;
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
    let nl: number;
    while ((nl = buf.indexOf(10)) >= 0) {
      const line = buf.subarray(0, nl + 1);
      if (!take(line)) return hand(buf);
      buf = buf.subarray(nl + 1);
    }
    if (buf.length > MAX_LINE) hand(buf);
  };
  stdin.on('data', onData);
}

/**
 * For the real server, when the front handed it the session: its input (what the front read,
 * then the rest of stdin) and its output (stdout, without the answers the front already gave).
 */
export function takeHandoff(): { input: Readable; output: Writable } | undefined {
  const p = process as unknown as Record<symbol, Handoff | undefined>;
  const h = p[HANDOFF];
  if (!h) return undefined;
  p[HANDOFF] = undefined;
  const input = new PassThrough();
  for (const b of h.replay) input.write(b);
  process.stdin.pipe(input);
  const output = new Writable({
    write(chunk: Buffer, _enc, cb) {
      if (h.drop.size) {
        try {
          const m = JSON.parse(chunk.toString('utf8')) as Message;
          if (isObject(m) && !('method' in m) && isId(m.id) && h.drop.delete(m.id)) return cb();
        } catch {
          // not one message: written as it is
        }
      }
      process.stdout.write(chunk, (e) => cb(e ?? null));
    },
  });
  return { input, output };
}
