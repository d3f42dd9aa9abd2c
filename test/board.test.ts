/**
 * watch and board, end to end: real worktrees, the built CLI as separate processes, and the board
 * page in Debian's Chromium (headless, driven by playwright-core). Browser and processes are
 * closed after each test, passed or failed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import http from 'node:http';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { chromium, type Browser } from 'playwright-core';
import { CLI, ENV, clone, coord, coordAsync, gitSync, makeHub, makeRepo, spawnTracked, tmpdir } from './helpers.js';

let browser: Browser | null = null;
afterEach(async () => {
  await browser?.close().catch(() => {});
  browser = null;
});

/** A repository with a second worktree: alice in the first, bob in the second. */
function twoWorktrees(): { a: string; b: string } {
  const a = makeRepo();
  const b = path.join(tmpdir('wt'), 'bob');
  gitSync(a, 'worktree', 'add', '-q', b);
  expect(coord(a, ['whoami', '--set', 'alice']).code).toBe(0);
  expect(coord(b, ['whoami', '--set', 'bob']).code).toBe(0);
  return { a, b };
}

/** Lines of a process's stdout as they come. */
function lines(child: ChildProcess): { all: string[]; next: (test: (l: string) => boolean, ms: number) => Promise<string> } {
  const all: string[] = [];
  const waiters: { test: (l: string) => boolean; resolve: (l: string) => void }[] = [];
  let buf = '';
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString('utf8');
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const l = buf.slice(0, i);
      buf = buf.slice(i + 1);
      all.push(l);
      for (const w of waiters.splice(0)) (w.test(l) ? w.resolve(l) : waiters.push(w));
    }
  });
  const next = (test: (l: string) => boolean, ms: number) =>
    new Promise<string>((resolve, reject) => {
      const found = all.find(test);
      if (found !== undefined) return resolve(found);
      const t = setTimeout(() => reject(new Error(`no such line within ${ms} ms; got:\n${all.join('\n')}`)), ms);
      waiters.push({ test, resolve: (l) => (clearTimeout(t), resolve(l)) });
    });
  return { all, next };
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', (code) => resolve(code))));
}

function get(url: string, headers: Record<string, string> = {}, method = 'GET'): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('watch', () => {
  it('prints a lock taken in another worktree within 1 s as a JSON line, and exits 0 on SIGTERM', async () => {
    const { a, b } = twoWorktrees();
    expect(coord(a, ['lock', 'first.txt']).code).toBe(0);
    const w = spawnTracked(process.execPath, [CLI, 'watch', '--json', '--since', '1h'], { cwd: a, env: ENV });
    const out = lines(w);
    // --since prints what came before: then it is watching.
    await out.next((l) => JSON.parse(l).subject === 'first.txt', 30_000);
    const lock = await coordAsync(b, ['lock', 'src/b.ts', '--reason', 'bob works here']);
    expect(lock.code).toBe(0);
    const done = Date.now();
    const line = await out.next((l) => JSON.parse(l).subject === 'src/b.ts', 5_000);
    const waited = Date.now() - done;
    expect(JSON.parse(line)).toMatchObject({ agent: 'bob', action: 'lock', subject: 'src/b.ts', reason: 'bob works here' });
    expect(waited).toBeLessThan(1_000);
    // Every line is one log --json entry; oldest first.
    const log = JSON.parse(coord(a, ['log', '--json']).stdout) as unknown[];
    expect(out.all.map((l) => JSON.parse(l))).toEqual(log.reverse());
    const code = exited(w);
    w.kill('SIGTERM');
    expect(await code).toBe(0);
  });

  it('through a remote: prints a lock taken in another clone once its poll fetches it', async () => {
    const hub = makeHub();
    const alice = clone(hub.root, hub.url, 'alice');
    const bob = clone(hub.root, hub.url, 'bob');
    expect(coord(alice, ['lock', 'src/a.ts']).code).toBe(0);
    const w = spawnTracked(process.execPath, [CLI, 'watch', '--json', '--since', '1h'], { cwd: alice, env: ENV });
    const out = lines(w);
    await out.next((l) => JSON.parse(l).subject === 'src/a.ts', 30_000);
    expect((await coordAsync(bob, ['lock', 'src/b.ts', '--reason', 'from the other clone'])).code).toBe(0);
    const line = await out.next((l) => JSON.parse(l).subject === 'src/b.ts', 20_000);
    expect(JSON.parse(line)).toMatchObject({ agent: 'bob', action: 'lock', reason: 'from the other clone' });
    const code = exited(w);
    w.kill('SIGINT');
    expect(await code).toBe(0);
  });

  it('bad --since is exit 2', () => {
    const { a } = twoWorktrees();
    const r = coord(a, ['watch', '--since', 'yesterday']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad --since/);
  });
});

describe('board', () => {
  async function startBoard(cwd: string): Promise<{ url: string; child: ChildProcess }> {
    const child = spawnTracked(process.execPath, [CLI, 'board'], { cwd, env: ENV });
    const url = await lines(child).next(() => true, 30_000);
    return { url, child };
  }

  it('is served on 127.0.0.1 with a token; refuses other hosts, token-less URLs and writes; exits 0 on SIGINT', async () => {
    const { a } = twoWorktrees();
    const { url, child } = await startBoard(a);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/[A-Za-z0-9_-]{43}\/$/);
    const ok = await get(url);
    expect(ok.status).toBe(200);
    expect(ok.headers['content-security-policy']).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    );
    expect(ok.headers['x-content-type-options']).toBe('nosniff');
    expect(ok.headers['referrer-policy']).toBe('no-referrer');
    const u = new URL(url);
    const foreign = await get(`${url}data`, { Host: `evil.example:${u.port}` });
    expect(foreign.status).toBe(403);
    expect(foreign.body).not.toMatch(/agents/);
    expect((await get(`${url}data`, { Host: `localhost:${u.port}` })).status).toBe(403);
    const noToken = await get(`${u.origin}/data`);
    expect(noToken.status).toBe(404);
    expect((await get(`${u.origin}/`)).status).toBe(404);
    const wrongToken = await get(`${u.origin}/${'A'.repeat(43)}/data`);
    expect(wrongToken.status).toBe(404);
    expect(wrongToken.body).not.toMatch(/agents/);
    expect((await get(url, {}, 'POST')).status).toBe(405);
    expect((await get(`${url}data`)).status).toBe(200);
    const code = exited(child);
    child.kill('SIGINT');
    expect(await code).toBe(0);
  });

  it('in Chromium: shows the locks there are, a new lock within 2 s, and agent text as text only', async () => {
    const { a, b } = twoWorktrees();
    expect(coord(a, ['lock', 'src/existing.ts', '--reason', 'already here']).code).toBe(0);
    expect(coord(a, ['task', 'add', 'Write the parser', '--id', 'parser']).code).toBe(0);
    expect(coord(a, ['send', '@all', 'hello everyone', '--subject', 'hi']).code).toBe(0);
    const { url, child } = await startBoard(a);
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
    const page = await browser.newPage();
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url);
    const locks = page.locator('#locks-list');
    await expect.poll(() => locks.textContent(), { timeout: 10_000 }).toContain('src/existing.ts');
    expect(await page.locator('#ready-list').textContent()).toContain('Write the parser');
    expect(await page.locator('#threads-list').textContent()).toContain('hello everyone');
    expect(await page.locator('#agents-list').textContent()).toContain('alice');

    const top = () => page.locator('#history').evaluate((e) => e.getBoundingClientRect().top);
    const before = await top();
    const evil = '<img src=x onerror=alert(1)>';
    const lock = await coordAsync(b, ['lock', 'src/new.ts', '--reason', evil]);
    expect(lock.code).toBe(0);
    const t0 = Date.now();
    await expect.poll(() => locks.textContent(), { timeout: 10_000, interval: 50 }).toContain('src/new.ts');
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect(await locks.textContent()).toContain(evil);
    // Rows arrive inside fixed-height panels: nothing below them moves.
    expect(await top()).toBe(before);
    // Keyboard: the first Tab reaches a real link.
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.tagName)).toBe('A');
    await page.waitForTimeout(300);
    expect(await page.locator('img').count()).toBe(0);
    expect(dialogs).toEqual([]);
    expect(errors).toEqual([]);
    await browser.close();
    browser = null;
    const code = exited(child);
    child.kill('SIGTERM');
    expect(await code).toBe(0);
  });
});
