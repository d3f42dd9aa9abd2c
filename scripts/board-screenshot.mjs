// Takes docs/board.png: runs `npm run demo -- --board`, adds a third agent's lock, a failed and a
// ready task to its repository, and photographs the board in Debian's Chromium (playwright-core).
// Usage: npm run build && node scripts/board-screenshot.mjs [out.png] [width]
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { GIT_ENV as env } from './git-env.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.join(ROOT, 'dist', 'cli.js');
const out = process.argv[2] ?? path.join(ROOT, 'docs', 'board.png');
const width = Number(process.argv[3] ?? 1280);

const demo = spawn(process.execPath, [path.join(ROOT, 'scripts', 'demo.mjs'), '--board'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
let text = '';
const { repo, url } = await new Promise((resolve, reject) => {
  demo.stdout.on('data', (d) => {
    text += d;
    const m = /The board stays up at (\S+)/.exec(text);
    const r = /A scratch repository at (\S+),/.exec(text);
    if (m && r) resolve({ repo: r[1], url: m[1] });
  });
  demo.once('exit', (code) => reject(new Error(`demo exited (${code}):\n${text}`)));
});
const coord = (...args) => {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: repo, env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${args.join(' ')}: ${r.stderr}`);
};
coord('heartbeat', '--role', 'backend');
coord('heartbeat', '--role', 'docs', '--agent', 'carol');
coord('lock', 'docs/', '--agent', 'carol', '--reason', 'rewriting the guide', '--ttl', '25m');
coord('task', 'add', 'Fix the flaky end-to-end test on Safari', '--id', 'e2e-safari', '--priority', '2');
coord('claim', 'e2e-safari', '--agent', 'carol');
coord('task', 'fail', 'e2e-safari', '--agent', 'carol', '--reason', 'cannot reproduce without a Mac runner');
coord('task', 'add', 'Rate-limit the login endpoint', '--id', 'rate-limit', '--priority', '2', '--label', 'auth');
coord('send', '@all', 'Deploy freeze from 17:00 today.', '--subject', 'freeze', '--agent', 'carol', '--priority', '1');

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
try {
  const page = await browser.newPage({ viewport: { width, height: 900 }, colorScheme: 'light' });
  await page.goto(url);
  await page.waitForFunction(() => document.querySelector('#locks-list')?.textContent?.includes('docs/'), null, { timeout: 20_000 });
  await page.waitForTimeout(500);
  await page.screenshot({ path: out, fullPage: true });
  console.log(`saved ${out}`);
} finally {
  await browser.close();
  demo.kill('SIGINT');
  await new Promise((r) => demo.once('exit', r));
}
