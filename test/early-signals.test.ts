/**
 * `watch` and `board` end with exit 0 on SIGINT or SIGTERM however early it comes once node runs
 * JavaScript: the loader records a signal from its first statement (GIT_COORD_TRACE says when)
 * and the command ends at once when it starts. Each delay is counted from that line, so no timing
 * decides the outcome.
 */
import { describe, expect, it } from 'vitest';
import { CLI, ENV, makeRepo, spawnTracked } from './helpers.js';
import { commandWord } from '../src/early-signals.js';

function stopAfter(dir: string, args: string[], signal: NodeJS.Signals, delayMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawnTracked(process.execPath, [CLI, ...args], { cwd: dir, env: { ...ENV, GIT_COORD_TRACE: '1' } });
    let stderr = '';
    let sent = false;
    child.stdout!.resume();
    child.stderr!.on('data', (d) => {
      stderr += d;
      if (!sent && stderr.includes('trace: catching SIGINT and SIGTERM from the start')) {
        sent = true;
        const send = () => child.kill(signal);
        if (delayMs === 0) send();
        else setTimeout(send, delayMs);
      }
    });
    child.on('close', (code, sig) => resolve({ code, signal: sig, stderr }));
  });
}

describe('watch and board stopped while starting', () => {
  for (const cmd of ['watch', 'board']) {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      it(`${cmd}: ${signal} at once, after 50 ms and after 200 ms: exit 0 every time`, async () => {
        const dir = makeRepo();
        for (const delay of [0, 0, 50, 200]) {
          const r = await stopAfter(dir, [cmd, '--agent', 'viewer'], signal, delay);
          expect({ delay, code: r.code, signal: r.signal }, r.stderr).toEqual({ delay, code: 0, signal: null });
        }
      });
    }
  }

  it('finds the command word as the command line does (global options and their values first)', () => {
    expect(commandWord(['watch'])).toBe('watch');
    expect(commandWord(['--agent', 'watch', '-C', 'board', 'task', 'add', 'watch'])).toBe('task');
    expect(commandWord(['--json', '--remote', 'origin', 'board', '--port', '0'])).toBe('board');
    expect(commandWord(['--', 'watch'])).toBe(null);
  });
});
