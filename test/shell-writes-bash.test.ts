/**
 * shellWrites against the real shell: each command runs under bash in a fresh directory, and every
 * file it changed, created or removed must be among the targets shellWrites named beforehand
 * (a directory target covers what is below it), unless it said the command is unclear.
 */
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { shellWrites } from '../src/agent-hooks/shell-writes.js';
import { tmpdir } from './helpers.js';

const FILES: Record<string, string> = {
  'a.txt': 'alpha\n',
  'b.txt': 'beta\n',
  'src/held.ts': 'export const held = 1;\n',
  'src/free.ts': 'export const free = 1;\n',
  'src/deep/x.ts': 'x\n',
  'dir/keep.txt': 'keep\n',
  'run.sh': 'echo hi\n',
};

/** Every file and directory below `root`, with what identifies its state. */
function state(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      const rel = path.relative(root, p).split(path.sep).join('/');
      const st = fs.lstatSync(p);
      if (e.isDirectory()) {
        out.set(`${rel}/`, 'dir');
        walk(p);
      } else out.set(rel, `${st.mode}:${e.isSymbolicLink() ? fs.readlinkSync(p) : fs.readFileSync(p, 'base64')}`);
    }
  };
  walk(root);
  return out;
}

function changed(before: Map<string, string>, after: Map<string, string>): string[] {
  const keys = new Set([...before.keys(), ...after.keys()]);
  return [...keys].filter((k) => before.get(k) !== after.get(k) && !k.endsWith('/')).sort();
}

const COMMANDS = [
  'echo x > src/held.ts',
  'echo x >> a.txt; echo y > new.txt',
  'printf z | tee b.txt src/free.ts > /dev/null',
  "sed -i 's/alpha/ALPHA/' a.txt src/held.ts",
  "sed -i.bak 's/beta/BETA/' b.txt",
  'cp a.txt dir',
  'cp -r src dir/',
  'cp a.txt b.txt',
  'mv a.txt moved.txt',
  'mv -t dir b.txt',
  'rm -rf src/deep',
  'rm a.txt b.txt',
  'touch a.txt fresh.txt',
  'truncate -s 0 src/held.ts',
  'chmod +x a.txt',
  'dd if=/dev/zero of=zero.bin bs=16 count=1 2>/dev/null',
  'ln -s a.txt link.txt',
  'cd src && echo x > held.ts',
  '(cd src; rm free.ts); echo y > top.txt',
  'bash -c "cd dir && touch made.txt"',
  'eval "rm run.sh"',
  "cat > gen.txt <<'EOF'\nrm -rf src > everything\nEOF",
  'cat > h.txt <<EOF\n$(touch sub.txt)\nEOF',
  "perl -pi -e 's/x/y/' src/deep/x.ts",
  'if true; then touch cond.txt; fi',
  'for f in one two; do :; done; echo done > loop.txt',
  'x=$(echo a > subst.txt); echo "$x"',
  'echo x 2> err.txt 1>&2',
  'env -C dir touch envdir.txt',
  "apply_patch() { :; }; rm a.txt",
];

describe('shellWrites against bash', () => {
  it('names, before the command runs, every file the command then changes (or says unclear)', () => {
    const report: string[] = [];
    for (const cmd of COMMANDS) {
      const dir = tmpdir('shell');
      for (const [f, c] of Object.entries(FILES)) {
        fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
        fs.writeFileSync(path.join(dir, f), c);
      }
      const real = fs.realpathSync(dir);
      const predicted = shellWrites(cmd, real);
      const before = state(real);
      const r = spawnSync('bash', ['-c', cmd], { cwd: real, encoding: 'utf8', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: real } });
      expect(r.status, `${cmd}: ${r.stderr}`).toBe(0);
      const diff = changed(before, state(real)).filter((f) => !f.endsWith('.bak'));
      expect(diff.length, `${cmd} changed nothing: the comparison would prove nothing`).toBeGreaterThan(0);
      const covered = (f: string) => predicted.targets.some((t) => {
        const rel = path.relative(real, t).split(path.sep).join('/');
        return rel === f || f.startsWith(`${rel}/`) || rel === '';
      });
      const missed = diff.filter((f) => !covered(f));
      if (missed.length && !predicted.unclear) report.push(`${cmd}: changed ${missed.join(', ')} unnamed (targets: ${predicted.targets.join(', ')})`);
      expect(predicted.unclear, cmd).toBe(false);
    }
    expect(report).toEqual([]);
  });
});
