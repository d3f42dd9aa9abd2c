/**
 * A hostile pass over the faces of other open issues that have landed (issue 18 asks for one):
 * `context` on the command line, and the agent hooks' parsers of shell commands and Codex patches.
 * Each input must end in a clear outcome: exit 2 with nothing written for bad input, a result
 * (never a throw) from a parser. Counts are printed for the report.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, ENV, coord, makeRepo, refs, tmpdir } from './helpers.js';
import { shellWrites } from '../src/agent-hooks/shell-writes.js';
import { patchPaths } from '../src/agent-hooks/patch.js';

const as = { GIT_COORD_AGENT: 'alice' };

describe('hostile pass: context', () => {
  it('bad keys and values are exit 2 with nothing written; no stack trace', () => {
    const dir = makeRepo();
    const badKeys = ['', '.', '..', '.a', '-x', 'a/b', 'a b', 'x'.repeat(65), 'é', 'a\nb', 'a\u001b[31m', '@all', '#c', '*', 'a:b', 'a~1', 'a^', '?'];
    const badValues = ['', 'x'.repeat(64 * 1024 + 1)];
    let n = 0;
    for (const k of badKeys) {
      const r = coord(dir, ['context', 'set', k, 'v'], as);
      n++;
      expect(r.code, JSON.stringify(k)).toBe(2);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    for (const v of badValues) {
      const r = coord(dir, ['context', 'set', 'k', v], as);
      n++;
      expect(r.code, `value of ${v.length}`).toBe(2);
    }
    // stdin: NUL, invalid UTF-8, endless
    const viaStdin = (input: Buffer | null, file?: string) => {
      const fd = file ? fs.openSync(file, 'r') : null;
      try {
        return spawnSync(process.execPath, [CLI, 'context', 'set', 'k', '-'], { cwd: dir, ...(fd !== null ? { stdio: [fd, 'pipe', 'pipe'] } : { input: input! }), timeout: 30_000, killSignal: 'SIGKILL', env: { ...process.env, ...ENV, ...as } });
      } finally {
        if (fd !== null) fs.closeSync(fd);
      }
    };
    for (const input of [Buffer.from([0x61, 0, 0x62]), Buffer.from([0xff, 0xfe, 0x41])]) {
      expect(viaStdin(input).status).toBe(2);
      n++;
    }
    expect(viaStdin(null, '/dev/zero').status).toBe(2);
    n++;
    expect(refs(dir).filter((r) => r.includes('/context/'))).toEqual([]);
    // Control characters in a value are stored, and shown escaped.
    expect(coord(dir, ['context', 'set', 'k', 'x\u001b[2Jy\nz'], as).code).toBe(0);
    const get = coord(dir, ['context', 'list'], as);
    expect(get.stdout).not.toContain('\u001b');
    n++;
    process.stdout.write(`hostile pass: context: ${n} inputs\n`);
  });
});

describe('hostile pass: the agent hooks parsers', () => {
  it('shell commands and patches: every hostile input gives a result, never a throw', () => {
    const cwd = tmpdir('parse');
    const rnd = (n: number, alphabet: string) => Array.from({ length: n }, () => alphabet[Math.floor(Math.random() * alphabet.length)]).join('');
    const shellAlphabet = `abc >|&;()<$'"\`\\{}[]*?!#~=\n\t-/.0123456789 tee cp mv sed -i git checkout rm`;
    const inputs: unknown[] = [
      null, 42, {}, [], '', ' ', '\u0000', 'a\u0000b > c',
      '$('.repeat(5000), '('.repeat(10_000), '{ '.repeat(5000), '"'.repeat(9999), "'".repeat(9999), '`'.repeat(9999),
      'cat <<EOF\n' + 'x\n'.repeat(10_000), 'echo > ' + 'a'.repeat(200_000), 'x'.repeat(2 * 1024 * 1024), 'a=$(b=$(c=$(d > e)))',
      'eval "$(printf %s "echo > f")"', 'sed -i -e s/a/b/ -- ' + Array.from({ length: 5000 }, (_, i) => `f${i}`).join(' '),
      ...Array.from({ length: 400 }, () => rnd(200, shellAlphabet)),
    ];
    let shells = 0;
    for (const c of inputs) {
      const r = shellWrites(c, cwd);
      expect(r).toBeTypeOf('object');
      shells++;
    }
    const patchAlphabet = '*** Begin Patch\n*** Add File: *** Update File: *** Delete File: *** Move to: *** End Patch\n@@ +-a/b\\..\u0000';
    const patches: unknown[] = [
      null, 7, '', '*** Begin Patch', '*** Begin Patch\n*** End Patch', '*** Begin Patch\n*** Add File: ../../etc/passwd\n+x\n*** End Patch',
      '*** Begin Patch\n*** Add File: /abs/x\n+x\n*** End Patch', '*** Begin Patch\n' + '*** Add File: f\n+x\n'.repeat(20_000) + '*** End Patch',
      '*** Begin Patch\n*** Update File: a\n*** Move to: \u0000\n*** End Patch', 'x'.repeat(9 * 1024 * 1024),
      ...Array.from({ length: 400 }, () => rnd(300, patchAlphabet)),
    ];
    let ps = 0;
    for (const p of patches) {
      const r = patchPaths(p, cwd);
      expect(r).toBeTypeOf('object');
      ps++;
    }
    process.stdout.write(`hostile pass: parsers: ${shells} shell commands, ${ps} patches\n`);
    expect(path.isAbsolute(cwd)).toBe(true);
  });
});
