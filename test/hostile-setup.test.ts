/**
 * Hostile inputs to `setup codex` and `setup claude` found by the hostile pass of issue 18: a
 * directory they write into that is a regular file or a dangling link must be refused (exit 2),
 * with nothing written, as every other unsafe file is.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { coord, makeRepo } from './helpers.js';

function listing(dir: string): string[] {
  return fs.readdirSync(dir).filter((f) => f !== '.git').sort();
}

describe('hostile: setup where its directory is not a directory', () => {
  for (const cmd of ['codex', 'claude'] as const) {
    const sub = cmd === 'codex' ? '.codex' : '.claude';
    it(`setup ${cmd}: ${sub} a regular file, or a dangling link, is exit 2 with nothing written`, () => {
      for (const make of [(d: string) => fs.writeFileSync(path.join(d, sub), 'x'), (d: string) => fs.symlinkSync('nowhere', path.join(d, sub))]) {
        const dir = makeRepo({ 'README.md': 'x\n' });
        make(dir);
        const before = listing(dir);
        const r = coord(dir, ['setup', cmd]);
        expect(r.code, r.stderr).toBe(2);
        expect(r.stderr).not.toMatch(/unexpected error/);
        expect(listing(dir)).toEqual(before);
      }
    });
  }
});

describe('hostile: setup codex over a disabled [mcp_servers.git-coord]', () => {
  it('enables the server it registers (enabled = false is not kept), other keys kept', async () => {
    const { parse } = await import('smol-toml');
    const dir = makeRepo({ 'README.md': 'x\n', '.codex/config.toml': '[mcp_servers.git-coord]\nenabled = false\ncommand = "old"\nstartup_timeout_sec = 30\n' });
    const r = coord(dir, ['setup', 'codex']);
    expect(r.code, r.stderr).toBe(0);
    const server = (parse(fs.readFileSync(path.join(dir, '.codex/config.toml'), 'utf8')) as any).mcp_servers['git-coord'];
    expect(server.enabled).not.toBe(false);
    expect(server.startup_timeout_sec).toBe(30);
    expect(server.required).toBe(true);
  });
});
