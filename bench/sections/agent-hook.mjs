// The agents' edit hook, PreToolUse of an Edit while another agent holds 1,000 locks (100 globs):
// - no lock near the path: hooks/agent-pre-tool-use answers in shell (limit 0.5 x node -e 0); the
//   Node hook alone (`git-coord hook claude`) is shown for comparison;
// - the path held (denied): another agent's lock on exactly that file, the plain case the script
//   decides itself (limit 2.0 x); the Node hook alone on it is shown for comparison;
// - Codex's apply_patch of free paths, through the same script (0.5 x).
import path from 'node:path';
import { CLI, ENV, mkdtemp, repo, sh, timed, interleaved, report, info, ms, node0, holdLocks, scale } from '../lib.mjs';
import { writeAgentHook } from '../../scripts/agent-hook.mjs';

export default async function agentHook() {
  const n = scale(1000);
  const dir = repo('agent-hook');
  holdLocks(dir, n, n / 10);
  const script = writeAgentHook(path.join(mkdtemp('agent-hook-script'), 'agent-pre-tool-use'), { node: process.execPath, cli: CLI });
  const event = (file) => JSON.stringify({ session_id: 'bench', hook_event_name: 'PreToolUse', cwd: dir, tool_name: 'Edit', tool_input: { file_path: path.join(dir, file), old_string: 'a', new_string: 'b' } });
  const patch = JSON.stringify({ session_id: 'bench', hook_event_name: 'PreToolUse', cwd: dir, tool_name: 'apply_patch', tool_input: { command: '*** Begin Patch\n*** Update File: src/a.ts\n@@\n-a\n+b\n*** Add File: docs/new.md\n+hello\n*** End Patch' } });
  const env = { GIT_COORD_AGENT: 'editor' };
  const viaNode = (input) => sh(dir, process.execPath, [CLI, 'hook', 'claude'], env, input);
  const viaShell = (input, agent = 'claude') => sh(dir, 'sh', [script, agent], env, input);
  const free = event('free.txt');
  const held = event('held/d1/f1.txt');
  if (!viaShell(held).includes('"deny"') || viaShell(free) !== '' || viaNode(free) !== '' || viaShell(patch, 'codex') !== '') throw new Error('the edit hook did not answer as expected');
  const m = interleaved({
    node0,
    shellFree: () => timed(() => viaShell(free)),
    nodeFree: () => timed(() => viaNode(free)),
    shellHeld: () => timed(() => viaShell(held)),
    nodeHeld: () => timed(() => viaNode(held)),
    codexFree: () => timed(() => viaShell(patch, 'codex')),
  });
  const base = `node -e 0 ${ms(m.node0)}`;
  report('`hook claude` PreToolUse of an Edit, no lock near the path (shell fast path)', m.shellFree / m.node0, 0.5, `${ms(m.shellFree)}; ${base}; ${n.toLocaleString('en')} foreign locks`);
  report('`hook claude` PreToolUse of an Edit, the path held (denied)', m.shellHeld / m.node0, 2.0, `${ms(m.shellHeld)} (decided in shell); ${base}`);
  report('`hook codex` PreToolUse of an apply_patch of 2 free paths (shell fast path)', m.codexFree / m.node0, 0.5, `${ms(m.codexFree)}; ${base}`);
  info(`the Node hook alone on the free path: ${ms(m.nodeFree)} (${(m.nodeFree / m.node0).toFixed(2)} x node -e 0)`);
  info(`the Node hook alone on the held path: ${ms(m.nodeHeld)} (${(m.nodeHeld / m.node0).toFixed(2)} x node -e 0)`);
}
