// Start-up: what a command costs before it does anything, and what the code cache buys
// (docs/design.md, Start-up). Informational: the targets are in `commands`.
import { CLI, ms, sh, coord, repo, timed, interleaved, info, node0, mkdtemp } from '../lib.mjs';

export default async function startup() {
  const dir = repo('startup');
  // A cache directory of the bench's own, warmed by one command, against none at all.
  const cache = mkdtemp('cache');
  const warm = { XDG_CACHE_HOME: cache };
  const off = { GIT_COORD_NO_COMPILE_CACHE: '1' };
  coord(dir, ['lock', '--agent', 'me', 'warm-up.txt'], warm);
  const run = (env, args) => () => timed(() => sh(dir, process.execPath, [CLI, ...args], { GIT_COORD_AGENT: 'me', ...env }));
  const m = interleaved({
    node0,
    version: run(warm, ['--version']),
    whoamiCached: run(warm, ['whoami']),
    whoamiCompiled: run(off, ['whoami']),
    lockCached: (i) => timed(() => coord(dir, ['lock', '--agent', 'me', `a/${i}.txt`], warm)),
    lockCompiled: (i) => timed(() => coord(dir, ['lock', '--agent', 'me', `b/${i}.txt`], off)),
  });
  const r = (k) => `${ms(m[k])} (${(m[k] / m.node0).toFixed(2)} x)`;
  info(`start-up: node -e 0 ${ms(m.node0)}; --version ${r('version')}; whoami ${r('whoamiCached')} with the code cache, ${r('whoamiCompiled')} compiling the bundle; one lock ${r('lockCached')} with the code cache, ${r('lockCompiled')} compiling the bundle (GIT_COORD_NO_COMPILE_CACHE=1)`);
}
