// The git hooks' cost: what they add to one commit of 1,000 staged files while another agent
// holds 1,000 locks (100 of them globs), against `node -e 0` (limit 0.5 x).
import fs from 'node:fs';
import path from 'node:path';
import { coord, git, sh, repo, mkdtemp, timed, interleaved, report, ms, node0, holdLocks, scale } from '../lib.mjs';

export default async function commitHooks() {
  const n = scale(1000);
  const dir = repo('hook');
  const files = Array.from({ length: n }, (_, i) => `work/d${i % 20}/f${i}.txt`);
  for (const f of files) {
    fs.mkdirSync(path.join(dir, path.dirname(f)), { recursive: true });
    fs.writeFileSync(path.join(dir, f), '0\n');
  }
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'files');
  holdLocks(dir, n, n / 10);
  coord(dir, ['install-hooks']);
  const emptyHooks = mkdtemp('nohooks');
  let gen = 0;
  const commitOnce = (withHooks) => () => {
    gen++;
    for (const f of files) fs.writeFileSync(path.join(dir, f), `${gen}\n`);
    git(dir, 'add', '-A');
    const args = withHooks ? ['commit', '-q', '-m', `c${gen}`] : ['-c', `core.hooksPath=${emptyHooks}`, 'commit', '-q', '-m', `c${gen}`];
    return timed(() => sh(dir, 'git', args, { GIT_COORD_AGENT: 'committer' }));
  };
  commitOnce(true)();
  const m = interleaved({ withHooks: commitOnce(true), without: commitOnce(false), node0 });
  const added = m.withHooks - m.without;
  report(`hooks added to a ${n.toLocaleString('en')}-file commit, ${n.toLocaleString('en')} foreign locks held`, added / m.node0, 0.5,
    `commit ${ms(m.without)} -> ${ms(m.withHooks)} (+${ms(added)}); node -e 0 ${ms(m.node0)}`);
}
