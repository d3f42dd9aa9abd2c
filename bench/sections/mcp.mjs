// `git-coord mcp`: start to ready (the `initialize` and `tools/list` requests answered) against
// `node -e 0` (limit 2.0 x), and one lock through a running server against one raw
// compare-and-swap `git update-ref` (limit 3.0 x).
import { spawn } from 'node:child_process';
import { CLI, ENV, git, repo, timed, timedAsync, median, report, ms, node0, holdLocks, REPS } from '../lib.mjs';

export default async function mcp() {
  const dir = repo('mcp');
  holdLocks(dir, 10, 0);
  // Ready: from spawn until tools/list is answered (the server's exit after stdin closes is not counted).
  let tools = 0;
  const readyOnce = () =>
    new Promise((resolve, reject) => {
      const t = performance.now();
      let answered = 0;
      const c = spawn(process.execPath, [CLI, 'mcp'], { cwd: dir, env: { ...ENV, GIT_COORD_AGENT: 'mcp' }, stdio: ['pipe', 'pipe', 'ignore'] });
      let buf = '';
      const send = (msg) => c.stdin.write(`${JSON.stringify(msg)}\n`);
      c.stdout.on('data', (d) => {
        buf += d;
        let nl;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const msg = JSON.parse(buf.slice(0, nl));
          buf = buf.slice(nl + 1);
          if (msg.id === 1) {
            send({ jsonrpc: '2.0', method: 'notifications/initialized' });
            send({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
          } else if (msg.id === 2) {
            answered = performance.now() - t;
            tools = msg.result?.tools?.length ?? 0;
            c.stdin.end();
          }
        }
      });
      c.on('close', () => (answered ? resolve(answered) : reject(new Error('git-coord mcp did not answer tools/list'))));
      send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bench', version: '1' } } });
    });
  await readyOnce();
  const readyT = [];
  const base = [];
  for (let i = 0; i < REPS; i++) {
    readyT.push(await readyOnce());
    base.push(node0());
  }
  report('`git-coord mcp` ready (`initialize` and `tools/list` answered) vs `node -e 0`', median(readyT) / median(base), 2.0,
    `ready ${ms(median(readyT))} (${tools} tools); node -e 0 ${ms(median(base))}`);

  const { Client } = await import('@modelcontextprotocol/client');
  const { StdioClientTransport } = await import('@modelcontextprotocol/client/stdio');
  const client = new Client({ name: 'bench', version: '1' });
  await client.connect(new StdioClientTransport({ command: process.execPath, args: [CLI, 'mcp'], cwd: dir, env: { ...ENV, GIT_COORD_AGENT: 'mcp' } }));
  const call = async (name, args) => {
    const r = await client.callTool({ name, arguments: args });
    if (r.isError) throw new Error(`${name} failed: ${r.content[0].text}`);
  };
  await call('lock', { patterns: ['warm-up.txt'] });
  const head = git(dir, 'rev-parse', 'HEAD').trim();
  const zero = '0'.repeat(head.length);
  const viaMcp = [];
  const raw = [];
  for (let i = 0; i < REPS * 2; i++) {
    viaMcp.push(await timedAsync(() => call('lock', { patterns: [`mcp/x${i}.txt`] })));
    raw.push(timed(() => git(dir, 'update-ref', `refs/bench/cas${i}`, head, zero)));
    await call('unlock', { patterns: [`mcp/x${i}.txt`] });
  }
  await client.close();
  report('one lock through a running `git-coord mcp` (call to answer) vs one raw compare-and-swap `git update-ref`', median(viaMcp) / median(raw), 3.0,
    `MCP lock ${ms(median(viaMcp))}; git update-ref <ref> <new> <zero> ${ms(median(raw))}`);
}
