/**
 * Hostile inputs to the board found by the hostile pass of issue 18: agent text carrying bidi
 * overrides or isolates (U+202A–U+202E, U+2066–U+2069) reordered what the page showed (a pattern
 * or reason could read as another); shown as the terminal shows it (printable: `\u202e`) instead.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { chromium, type Browser } from 'playwright-core';
import { CLI, ENV, coord, makeRepo, spawnTracked } from './helpers.js';

let browser: Browser | null = null;
afterEach(async () => {
  await browser?.close().catch(() => {});
  browser = null;
});

function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const i = buf.indexOf('\n');
      if (i >= 0) resolve(buf.slice(0, i));
    });
    child.on('exit', () => reject(new Error(`board exited: ${buf}`)));
  });
}

describe('hostile: the board shows bidi controls in agent text visibly', () => {
  it('a reason, a pattern, a task title and a message with U+202E or U+2066 show them escaped', async () => {
    const dir = makeRepo();
    const env = { GIT_COORD_AGENT: 'mallory' };
    expect(coord(dir, ['lock', 'src/\u202egnp.exe', '--reason', 'ok \u202edlrow'], env).code).toBe(0);
    expect(coord(dir, ['task', 'add', 'fix \u2066isolated', '--id', 't1'], env).code).toBe(0);
    expect(coord(dir, ['send', '@all', 'body \u202a\u202b x', '--subject', 's \u2067'], env).code).toBe(0);
    const child = spawnTracked(process.execPath, [CLI, 'board'], { cwd: dir, env: { ...ENV, ...env } });
    const url = await firstLine(child);
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
    const page = await browser.newPage();
    await page.goto(url);
    await expect.poll(() => page.locator('#locks-list').textContent(), { timeout: 15_000 }).toContain('gnp.exe');
    await expect.poll(() => page.locator('body').textContent(), { timeout: 15_000 }).toContain('isolated');
    const text = (await page.locator('body').textContent()) ?? '';
    expect(text).not.toMatch(/[\u202a-\u202e\u2066-\u2069]/);
    expect(text).toContain('\\u202e');
    child.kill('SIGTERM');
  }, 60_000);
});
