/**
 * Probe: what Codex does with a hook that exits 2, one event at a time (SessionStart,
 * UserPromptSubmit, PreToolUse of a shell command and of an apply_patch, matcher `apply_patch|Bash`).
 *   node scripts/real-clients/probes/codex-exit2.mjs
 */
import fs from 'node:fs';
import path from 'node:path';
import { startModelServer } from '../model-server.mjs';
import { install, makeRepo, codexHome, baseEnv, run, CACHE } from '../clients.mjs';
fs.mkdirSync(path.join(CACHE, 'exit2'), { recursive: true });
const bins = install();
const s = await startModelServer(path.join(CACHE, 'exit2', 'requests.jsonl'));
for (const ev of ['SessionStart', 'UserPromptSubmit', 'PreToolUse', 'PreToolUse-patch']) {
  const event = ev.replace('-patch', '');
  const dir = path.join(CACHE, 'exit2', ev);
  const repo = makeRepo(path.join(dir, 'repo'));
  fs.mkdirSync(path.join(repo, '.codex'), { recursive: true });
  fs.writeFileSync(path.join(repo, '.codex/hooks.json'), JSON.stringify({ hooks: { [event]: [{ ...(event === 'PreToolUse' ? { matcher: 'apply_patch|Bash' } : {}), hooks: [{ type: 'command', command: "sh -c 'echo unknown command >&2; exit 2'", timeout: 10 }] }] } }));
  const ch = path.join(dir, 'codex-home');
  codexHome(ch, s.port, repo, path.join(dir, 'hooks.jsonl'));
  fs.writeFileSync(path.join(ch, 'hooks.json'), '{}');
  const seen = s.use({ name: ev, next: (v) => (v.results.length ? { text: 'done' } : ev.endsWith('-patch') ? { tool: 'patch', input: { patch: '*** Begin Patch\n*** Update File: src/free.ts\n@@\n-export const free = 1;\n+export const free = 2;\n*** End Patch\n' } } : { tool: 'shell', input: { command: 'echo x > src/free.ts' } }) });
  const r = await run(bins.codex[0], [bins.codex[1], 'exec', '--json', '--skip-git-repo-check', '--dangerously-bypass-hook-trust', '-s', 'danger-full-access', '-C', repo, 'Do the task.'], { cwd: repo, env: { ...baseEnv(path.join(dir, 'home')), CODEX_HOME: ch } });
  const reqs = seen();
  const last = reqs.at(-1);
  const out = last ? JSON.stringify(last.body.input.slice(-1)).slice(0, 300) : '';
  console.log(ev, 'exit', r.code, 'model requests', reqs.length, 'free.ts', JSON.stringify(fs.readFileSync(path.join(repo, 'src/free.ts'), 'utf8')), out);
  console.log('   events:', r.out.split('\n').filter((l) => /hook|error|blocked/i.test(l)).map((l) => l.slice(0, 250)).join('\n   '));
}
await s.close();
