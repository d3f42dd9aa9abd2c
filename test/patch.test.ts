import { describe, expect, it } from 'vitest';
import { containsPatch, patchPaths, PATCH_MAX_CHARS, PATCH_MAX_PATHS } from '../src/agent-hooks/patch.js';

const CWD = '/repo';
const paths = (text: unknown, cwd = CWD) => patchPaths(text, cwd).paths;

describe('patchPaths', () => {
  it('reads every kind of hunk, several per patch, relative to the cwd', () => {
    const p = [
      '*** Begin Patch',
      '*** Add File: src/new.ts',
      '+export const a = 1;',
      '*** Update File: src/old.ts',
      '@@ function f',
      '-a',
      '+b',
      '*** Delete File: docs/gone.md',
      '*** Update File: src/from.ts',
      '*** Move to: src/to.ts',
      '@@',
      ' keep',
      '*** End Patch',
    ].join('\n');
    const r = patchPaths(p, CWD);
    expect(r.files.map((f) => [f.op, f.raw])).toEqual([
      ['add', 'src/new.ts'],
      ['update', 'src/old.ts'],
      ['delete', 'docs/gone.md'],
      ['update', 'src/from.ts'],
      ['move', 'src/to.ts'],
    ]);
    expect(r.paths).toEqual(['/repo/src/new.ts', '/repo/src/old.ts', '/repo/docs/gone.md', '/repo/src/from.ts', '/repo/src/to.ts']);
    expect(r.malformed).toBe(false);
    expect(r.truncated).toBe(false);
  });

  it('keeps absolute paths, normalises . and .., and resolves against a nested cwd', () => {
    const p = '*** Begin Patch\n*** Update File: /elsewhere/x.ts\n*** Add File: ../up.ts\n+x\n*** Add File: ./a/./b/../c.ts\n+y\n*** End Patch\n';
    expect(paths(p, '/repo/src')).toEqual(['/elsewhere/x.ts', '/repo/up.ts', '/repo/src/a/c.ts']);
  });

  it('is robust to CRLF, CR, odd spacing and case', () => {
    const p = '*** Begin Patch\r\n***  Update File:   src/a.ts  \r\n@@\r\n-x\r\n+y\r\n  *** add file: src/b.ts\r+z\r*** End Patch\r\n';
    expect(paths(p)).toEqual(['/repo/src/a.ts', '/repo/src/b.ts']);
    expect(patchPaths(p, CWD).malformed).toBe(false);
  });

  it('strips quotes around a path and keeps spaces inside it', () => {
    expect(paths('*** Begin Patch\n*** Update File: "src/with space.ts"\n*** Add File: src/other file.ts\n+x\n*** End Patch')).toEqual([
      '/repo/src/with space.ts',
      '/repo/src/other file.ts',
    ]);
  });

  it('lists a path once however often the patch names it, but keeps every hunk', () => {
    const r = patchPaths('*** Begin Patch\n*** Update File: a.ts\n@@\n-1\n+2\n*** Update File: a.ts\n@@\n-3\n+4\n*** End Patch', CWD);
    expect(r.paths).toEqual(['/repo/a.ts']);
    expect(r.files).toHaveLength(2);
  });

  it('does not take hunk body lines for headers', () => {
    const p = '*** Begin Patch\n*** Add File: a.md\n+*** Update File: not-a-header.ts\n+text\n*** End Patch';
    expect(paths(p)).toEqual(['/repo/a.md']);
  });

  it('finds the patch inside a shell command (heredoc) and honours a leading cd', () => {
    const cmd = "apply_patch <<'EOF'\n*** Begin Patch\n*** Update File: src/held.ts\n@@\n-a\n+b\n*** End Patch\nEOF\n";
    expect(paths(cmd)).toEqual(['/repo/src/held.ts']);
    const cd = "cd pkg/core && apply_patch <<'EOF'\n*** Begin Patch\n*** Delete File: x.ts\n*** End Patch\nEOF";
    expect(paths(cd)).toEqual(['/repo/pkg/core/x.ts']);
    const cdq = 'cd "/abs dir" && apply_patch <<EOF\n*** Begin Patch\n*** Add File: y.ts\n+1\n*** End Patch\nEOF';
    expect(paths(cdq)).toEqual(['/abs dir/y.ts']);
  });

  it('reads two patches in one command', () => {
    const cmd = "apply_patch <<'A'\n*** Begin Patch\n*** Add File: one.ts\n+1\n*** End Patch\nA\napply_patch <<'B'\n*** Begin Patch\n*** Add File: two.ts\n+2\n*** End Patch\nB";
    expect(paths(cmd)).toEqual(['/repo/one.ts', '/repo/two.ts']);
  });

  it('returns what is evident from a malformed patch, and says it is malformed', () => {
    const noEnd = patchPaths('*** Begin Patch\n*** Update File: a.ts\n@@\n-x', CWD);
    expect(noEnd.paths).toEqual(['/repo/a.ts']);
    expect(noEnd.malformed).toBe(true);
    const noBegin = patchPaths('*** Update File: b.ts\n-x\n+y\n*** End Patch', CWD);
    expect(noBegin.paths).toEqual(['/repo/b.ts']);
    expect(noBegin.malformed).toBe(true);
    const emptyPath = patchPaths('*** Begin Patch\n*** Add File:   \n*** Delete File: c.ts\n*** End Patch', CWD);
    expect(emptyPath.paths).toEqual(['/repo/c.ts']);
    expect(emptyPath.malformed).toBe(true);
  });

  it('ignores lines outside the patch in a command', () => {
    const cmd = "echo '*** Update File: decoy.ts'\napply_patch <<'EOF'\n*** Begin Patch\n*** Add File: real.ts\n+1\n*** End Patch\nEOF\necho '*** Delete File: decoy2.ts'";
    expect(paths(cmd)).toEqual(['/repo/real.ts']);
  });

  it('never throws on odd input', () => {
    for (const v of [undefined, null, 42, {}, [], '', '***', '*** Begin Patch', '\0\0\0', '*** Begin Patch\n*** Add File: a\0b\n*** End Patch']) {
      expect(() => patchPaths(v, CWD)).not.toThrow();
    }
    expect(paths('*** Begin Patch\n*** Add File: a\0b\n*** End Patch')).toEqual([]);
    expect(patchPaths(42, CWD)).toEqual({ files: [], paths: [], truncated: false, malformed: false });
  });

  it('caps the input it reads and the paths it returns', () => {
    const big = '*** Begin Patch\n*** Add File: first.ts\n' + '+x'.repeat(PATCH_MAX_CHARS / 2) + '\n*** Add File: past-the-cap.ts\n*** End Patch';
    const r = patchPaths(big, CWD);
    expect(r.paths).toEqual(['/repo/first.ts']);
    expect(r.truncated).toBe(true);
    const many = '*** Begin Patch\n' + Array.from({ length: PATCH_MAX_PATHS + 5 }, (_, i) => `*** Delete File: f${i}.ts`).join('\n') + '\n*** End Patch';
    const m = patchPaths(many, CWD);
    expect(m.paths).toHaveLength(PATCH_MAX_PATHS);
    expect(m.truncated).toBe(true);
  });

  it('reads a long patch up to the path cap', () => {
    const body = Array.from({ length: 20_000 }, (_, i) => `*** Update File: src/f${i}.ts\n@@\n-a\n+b`).join('\n');
    const r = patchPaths(`*** Begin Patch\n${body}\n*** End Patch`, CWD);
    expect(r.paths).toHaveLength(PATCH_MAX_PATHS);
  });
});

describe('containsPatch', () => {
  it('tells a command carrying a patch from one that does not', () => {
    expect(containsPatch("apply_patch <<'EOF'\n*** Begin Patch\n*** End Patch\nEOF")).toBe(true);
    expect(containsPatch('***  begin   patch')).toBe(true);
    expect(containsPatch('echo hello > a.txt')).toBe(false);
    expect(containsPatch(undefined)).toBe(false);
  });
});
