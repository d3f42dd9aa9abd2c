/**
 * The board's web face: a read-only page of the whole board, served on 127.0.0.1 only and kept
 * live with server-sent events fed by the watch view.
 *
 * Safety: the URL carries an unguessable token (32 random bytes) as its first path segment, and a
 * request without it gets 404 and no data; a request whose Host is not exactly the address
 * printed gets 403 (DNS rebinding: a page of another site, resolved to 127.0.0.1, cannot read the
 * board); only GET is served (anything else 405); every response forbids inline script and framing
 * (Content-Security-Policy), sniffing, and sending the URL on as a Referer. The page inserts every
 * text agents wrote with textContent, never as HTML.
 */
import http from 'node:http';
import crypto from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Coord } from '../session/coord.js';
import { watch } from '../views/watch.js';
import { readBoardData } from '../views/board-data.js';
import { AGENTS, JOURNAL, LOCKS, MESSAGES, TASKS } from '../store/layout.js';
import { FailedError, UsageError } from '../errors.js';
import { ASSETS } from './page.js';

export interface BoardOptions {
  /** 0: any free port. */
  port: number;
  /** Aborting stops the server (SIGINT, SIGTERM). */
  signal: AbortSignal;
  onWarning?: (msg: string) => void;
  /** How often the board is read even when the history is quiet (heartbeats, expiries; default 10 s). */
  refreshMs?: number;
}

export interface BoardServer {
  url: string;
  /** Resolves once the server has stopped. */
  closed: Promise<void>;
}

export const HEADERS: Record<string, string> = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Cache-Control': 'no-store',
};

/** Caps: the longest request line served, live clients at once, the board's JSON. */
const MAX_URL = 2_048;
const MAX_CLIENTS = 32;
const MAX_BOARD_BYTES = 4 * 1024 * 1024;
const PING_MS = 25_000;

function send(res: http.ServerResponse, status: number, type: string, body: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, { ...HEADERS, 'Content-Type': type, 'Content-Length': String(Buffer.byteLength(body)), ...extra });
  res.end(body);
}

function plain(res: http.ServerResponse, status: number, text: string, extra: Record<string, string> = {}): void {
  send(res, status, 'text/plain; charset=utf-8', `${text}\n`, extra);
}

function sameToken(given: string, token: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && crypto.timingSafeEqual(a, b);
}

/** Serves the board until `signal` aborts. */
export async function serveBoard(ctx: Coord, opts: BoardOptions): Promise<BoardServer> {
  const token = crypto.randomBytes(32).toString('base64url');
  const clients = new Set<http.ServerResponse>();
  let board = '';
  let host = '';

  const server = http.createServer((req, res) => {
    if (req.headers.host !== host) return plain(res, 403, 'forbidden: this board answers only at the address it printed');
    if (req.method !== 'GET') return plain(res, 405, 'method not allowed: the board is read-only', { Allow: 'GET' });
    const url = req.url ?? '';
    if (url.length > MAX_URL) return plain(res, 414, 'URI too long');
    const m = /^\/([A-Za-z0-9_-]{1,64})(\/[^?#]*)?(?:\?.*)?$/.exec(url);
    if (!m || !sameToken(m[1]!, token)) return plain(res, 404, 'not found');
    const rest = m[2];
    if (rest === undefined) return plain(res, 308, 'moved', { Location: `/${token}/` });
    const name = rest.slice(1);
    const asset = ASSETS[name];
    if (asset) return send(res, 200, asset.type, asset.body);
    if (name === 'data') return send(res, 200, 'application/json; charset=utf-8', board || '{}');
    if (name === 'events') {
      if (clients.size >= MAX_CLIENTS) return plain(res, 503, 'too many open boards', { 'Retry-After': '5' });
      res.writeHead(200, { ...HEADERS, 'Content-Type': 'text/event-stream; charset=utf-8', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
      res.write('retry: 1000\n\n');
      if (board) res.write(`event: board\ndata: ${board}\n\n`);
      clients.add(res);
      req.on('close', () => clients.delete(res));
      return;
    }
    return plain(res, 404, 'not found');
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 10_000;
  server.maxHeadersCount = 64;

  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(e.code === 'EADDRINUSE' ? new UsageError(`cannot serve the board: port ${opts.port} is in use`) : new FailedError(`cannot serve the board: ${e.message}`)),
    );
    server.listen({ port: opts.port, host: '127.0.0.1', exclusive: true }, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  host = `127.0.0.1:${port}`;

  /** Reads the board and sends it to every page when it changed; one read at a time, the last request wins. */
  let reading: Promise<void> | null = null;
  let again = false;
  const refresh = (): void => {
    if (reading) {
      again = true;
      return;
    }
    reading = (async () => {
      try {
        do {
          again = false;
          if (ctx.store.remote) await ctx.store.refresh([LOCKS, JOURNAL, TASKS, AGENTS, MESSAGES], 'refresh');
          const data = await readBoardData(ctx);
          let json = JSON.stringify(data);
          if (json.length > MAX_BOARD_BYTES) json = JSON.stringify({ ...data, history: data.history.slice(0, 20), messages: data.messages.slice(0, 20) });
          for (const w of ctx.drain().warnings) opts.onWarning?.(w);
          if (json === board) continue;
          board = json;
          for (const c of clients) c.write(`event: board\ndata: ${board}\n\n`);
        } while (again && !opts.signal.aborted);
      } catch (e) {
        opts.onWarning?.(`cannot read the board: ${(e as Error).message}`);
      } finally {
        reading = null;
      }
    })();
  };

  refresh();
  await reading;
  const timer = setInterval(refresh, opts.refreshMs ?? 10_000);
  const ping = setInterval(() => {
    for (const c of clients) c.write(': ping\n\n');
  }, PING_MS);

  // The watch view wakes the board on every change, from any worktree (or the remote).
  const watching = (async () => {
    try {
      for await (const _ of watch(ctx, { signal: opts.signal, ...(opts.onWarning ? { onWarning: opts.onWarning } : {}) })) refresh();
    } catch (e) {
      if (!opts.signal.aborted) opts.onWarning?.(`watching stopped: ${(e as Error).message}`);
    }
  })();

  const closed = new Promise<void>((resolve) => {
    const stop = async () => {
      clearInterval(timer);
      clearInterval(ping);
      for (const c of clients) c.end();
      clients.clear();
      server.close(() => resolve());
      server.closeAllConnections();
      await watching;
      await reading;
    };
    if (opts.signal.aborted) void stop();
    else opts.signal.addEventListener('abort', () => void stop(), { once: true });
  });
  return { url: `http://${host}/${token}/`, closed: closed.then(() => watching).then(() => reading ?? undefined) };
}
