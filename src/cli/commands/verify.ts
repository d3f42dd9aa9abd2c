/** `verify <range>...`: the server hook's judgement as a check a forge can require (a CI job). */
import { EXIT } from '../../errors.js';
import { printable } from '../../printable.js';
import { verify, type VerifyResult } from '../../operations/verify.js';
import type { CommandSpec } from '../command.js';

function text(r: VerifyResult): string {
  const n = `${r.commits} commit${r.commits === 1 ? '' : 's'}`;
  if (r.ok) return `ok: ${n} judged; none changes a path another agent holds`;
  const lines = [`refused: of ${n}, some change paths that another agent holds`];
  for (const c of r.conflicts) {
    lines.push(
      `  ${c.commit.slice(0, 12)}: ${printable(c.path)} is locked by ${c.agent} as ${printable(c.pattern)}` +
        `${c.reason ? ` ("${printable(c.reason)}")` : ''}, ${c.expiresAt ? `until ${c.expiresAt}` : 'with no expiry'}`,
    );
  }
  lines.push(
    'A commit may change a held path only when the holder made it (its Coord-Agent trailer).',
    'Ask the holder to make the change or to release the lock, or take the change out of these commits, then push again.',
  );
  return lines.join('\n');
}

export const commands: CommandSpec[] = [
  {
    name: 'verify',
    summary: "judge every commit of the ranges against others' locks, as the server hook does; exit 3 on a held path",
    args: '<range>...',
    minArgs: 1,
    async run({ ctx, out, args }) {
      const r = await verify(ctx, { ranges: args });
      out.result(r, () => text(r));
      return r.ok ? EXIT.ok : EXIT.refused;
    },
  },
];
