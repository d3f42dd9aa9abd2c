/** `task export [<file>]`: the whole board as JSON Lines, which `task import` reads back. */
import fs from 'node:fs';
import path from 'node:path';
import { FailedError } from '../../errors.js';
import { exportTasks, toJsonLines } from '../../operations/task-export.js';
import type { CommandSpec } from '../command.js';

export const commands: CommandSpec[] = [
  {
    name: 'task export',
    summary: 'the whole board as JSON Lines (stdout, or <file>) that task import reads back',
    args: '[<file>]',
    minArgs: 0,
    maxArgs: 1,
    async run({ ctx, out, args }) {
      const lines = await exportTasks(ctx);
      const file = args[0];
      if (file === undefined || file === '-') {
        // JSON Lines are many documents: with --json, one array of the same objects instead.
        if (out.json) out.result(lines, () => '');
        else process.stdout.write(toJsonLines(lines));
        return;
      }
      const target = path.resolve(ctx.repo.cwd, file);
      // Written beside the target and renamed over it: a reader never sees half a board.
      const tmp = `${target}.${process.pid}.tmp`;
      try {
        fs.writeFileSync(tmp, toJsonLines(lines), { flag: 'wx' });
        fs.renameSync(tmp, target);
      } catch (e) {
        fs.rmSync(tmp, { force: true });
        throw new FailedError(`cannot write ${JSON.stringify(file)}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
      out.result({ file: target, tasks: lines.length }, () => `exported ${lines.length} task${lines.length === 1 ? '' : 's'} to ${file}`);
    },
  },
];
