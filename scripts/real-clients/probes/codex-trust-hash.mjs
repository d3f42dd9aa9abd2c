/**
 * Probe: what keeps a Codex hook trusted. Trusts every hook (trusted_hash from app-server
 * hooks/list), then changes one command by a space, another timeout, and re-indents the file.
 *   node scripts/real-clients/probes/codex-trust-hash.mjs
 */
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { install, codexHome, baseEnv, trustCodexHooks, CACHE } from '../clients.mjs';
const bins = install();
const dir = path.join(CACHE, 'rehash'); fs.rmSync(dir, { recursive: true, force: true }); fs.mkdirSync(path.join(dir, 'repo'), { recursive: true });
const ch = path.join(dir, 'codex-home');
codexHome(ch, 1, path.join(dir, 'repo'), path.join(dir, 'h.jsonl'));
const env = { ...baseEnv(path.join(dir, 'home')), CODEX_HOME: ch };
await trustCodexHooks(bins.codex, ch, path.join(dir, 'repo'), env);
const list = () => new Promise((res) => {
  const p = spawn(bins.codex[0], [bins.codex[1], 'app-server'], { env, cwd: dir, stdio: ['pipe', 'pipe', 'ignore'] });
  let buf = ''; p.stdout.on('data', (d) => { buf += d; for (const l of buf.split('\n')) { try { const m = JSON.parse(l); if (m.id === 1) { p.stdin.write(JSON.stringify({ jsonrpc: '2.0', method: 'initialized' }) + '\n'); p.stdin.write(JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'hooks/list', params: { cwds: [path.join(dir, 'repo')] } }) + '\n'); } if (m.id === 2) { p.kill(); res(m.result.data[0].hooks.map((h) => `${h.eventName}:${h.trustStatus}`)); } } catch {} } });
  p.stdin.write(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { clientInfo: { name: 'x', version: '0' } } }) + '\n');
});
console.log('after trust:', (await list()).join(' '));
const hf = path.join(ch, 'hooks.json'); const j = JSON.parse(fs.readFileSync(hf, 'utf8'));
j.hooks.PreToolUse[0].hooks[0].command += ' ';
j.hooks.Stop[0].hooks[0].timeout = 11;
fs.writeFileSync(hf, JSON.stringify(j, null, 4));
console.log('command + space (PreToolUse), timeout 11 (Stop), file re-indented:', (await list()).join(' '));
