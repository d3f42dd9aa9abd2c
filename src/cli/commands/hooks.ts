/** Installing and removing git's hooks. */
import * as ops from '../../operations/hooks.js';
import { runtime, type CommandSpec } from '../command.js';

export const commands: CommandSpec[] = [
  {
    name: 'install-hooks',
    summary: 'install the git hooks that enforce locks (every worktree; in a bare repository, the server-side hook)',
    async run({ ctx, out }) {
      const r = await ops.installHooks(ctx, runtime());
      out.result(r, () =>
        [
          `installed ${r.installed.join(', ')} in ${r.dir}${r.husky ? ' (through husky)' : ''}${r.server ? ' (server side: every push is checked)' : ''}`,
          ...r.chained.map((h) => `kept your existing ${h} hook: it still runs first`),
        ].join('\n'),
      );
    },
  },
  {
    name: 'uninstall-hooks',
    summary: 'remove the hooks git-coord installed, restoring any it chained',
    async run({ ctx, out }) {
      const r = await ops.uninstallHooks(ctx);
      out.result(r, () => (r.removed.length === 0 ? 'no git-coord hooks were installed' : `removed ${r.removed.join(', ')} from ${r.dir}`));
    },
  },
];
