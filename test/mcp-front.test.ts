/**
 * `git-coord mcp`'s front (src/mcp/front.ts): it answers the opening of a session before the SDK is
 * loaded, byte for byte as the SDK's server does (compared with `GIT_COORD_NO_MCP_FRONT=1`, the SDK
 * server alone, on the same input), for every protocol version; whatever else comes first or
 * after is answered by the real server, fed the input again.
 */
import { SUPPORTED_PROTOCOL_VERSIONS } from '@modelcontextprotocol/server';
import { describe, expect, it } from 'vitest';
import { CLI, ENV, makeRepo, spawnTracked } from './helpers.js';

type Msg = Record<string, unknown>;

/**
 * Sends `lines` to `git-coord mcp` (all at once when `together`, else each after the answer to the
 * one before when it is a request), closes stdin once `answers` answers came, and returns stdout.
 */
function session(dir: string, lines: string[], answers: number, opts: { front: boolean; together?: boolean; debug?: boolean }): Promise<{ out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...ENV, GIT_COORD_AGENT: 'front', ...(opts.front ? {} : { GIT_COORD_NO_MCP_FRONT: '1' }), ...(opts.debug ? { NODE_DEBUG: 'module' } : {}) };
    const c = spawnTracked(process.execPath, [CLI, 'mcp'], { cwd: dir, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let got = 0;
    let next = 0;
    const send = () => {
      while (next < lines.length) {
        const l = lines[next++]!;
        c.stdin!.write(`${l}\n`);
        if (!opts.together && /"id":/.test(l)) break;
      }
    };
    c.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const n = out.split('\n').length - 1;
      if (n > got) {
        got = n;
        if (got >= answers) c.stdin!.end();
        else send();
      }
    });
    c.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    c.on('error', reject);
    c.on('close', () => resolve({ out, err }));
    send();
    if (answers === 0) c.stdin!.end();
  });
}

const init = (version: unknown, id: unknown = 1) =>
  JSON.stringify({ jsonrpc: '2.0', id, method: 'initialize', params: { protocolVersion: version, capabilities: {}, clientInfo: { name: 'test', version: '1' } } });
const initialized = JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' });
const list = (id: unknown = 2) => JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/list' });
const check = (id: unknown = 3) => JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'check', arguments: { paths: ['a.txt'] } } });

async function both(dir: string, lines: string[], answers: number, together = false) {
  const [front, sdk] = await Promise.all([session(dir, lines, answers, { front: true, together }), session(dir, lines, answers, { front: false, together })]);
  return { front: front.out, sdk: sdk.out };
}

describe('mcp front: the opening, as the SDK server answers it', () => {
  it('initialize (every protocol version the SDK knows, and others) and tools/list: the same bytes', async () => {
    const dir = makeRepo();
    for (const v of [...SUPPORTED_PROTOCOL_VERSIONS, '2026-07-28', '1999-01-01', 'x']) {
      const r = await both(dir, [init(v, v === 'x' ? 'str-id' : 7), initialized, list(8), list('again')], 3);
      expect(r.front, v).toBe(r.sdk);
      const answers = r.front.trim().split('\n').map((l) => JSON.parse(l) as Msg);
      expect(answers.map((a) => a.id)).toEqual([v === 'x' ? 'str-id' : 7, 8, 'again']);
      expect((answers[1]!.result as { tools: unknown[] }).tools.length).toBeGreaterThan(10);
    }
  }, 240_000);

  it('answers the opening without loading the SDK; the first call loads it and is answered as the SDK alone answers it', async () => {
    const dir = makeRepo();
    const opened = await session(dir, [init('2025-06-18'), initialized, list()], 2, { front: true, debug: true });
    expect(opened.err).not.toMatch(/@modelcontextprotocol/);
    const called = await session(dir, [init('2025-06-18'), initialized, list(), check()], 3, { front: true, debug: true });
    expect(called.err).toMatch(/@modelcontextprotocol\/server/);
    // Sent one by one, and all at once (the call read along with the opening).
    for (const together of [false, true]) {
      const r = await both(dir, [init('2025-06-18'), initialized, list(), check()], 3, together);
      expect(r.front).toBe(r.sdk);
      expect(r.front).toMatch(/"id":3[,}]/);
      expect(r.front).toMatch(/ok: nothing you named is held/);
    }
  }, 240_000);

  it('an unusual opening goes to the SDK as it came: a ping first, a line that is not JSON, an initialize with _meta, a tools/list with a cursor', async () => {
    const dir = makeRepo();
    const cases: [string[], number][] = [
      [[JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }), init('2025-06-18', 2), list(3)], 3],
      [['not json', init('2025-06-18'), list()], 2],
      [[init('2025-06-18').replace('"capabilities"', '"_meta":{"x":1},"capabilities"'), list()], 2],
      [[init('2025-06-18'), initialized, JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list', params: { cursor: 'c' } })], 2],
      [[init(5), list()], 2],
    ];
    for (const [lines, answers] of cases) {
      const r = await both(dir, lines, answers);
      expect(r.front, lines[0]).toBe(r.sdk);
    }
  }, 240_000);
});
