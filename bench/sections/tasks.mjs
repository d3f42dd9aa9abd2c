// Ready work on a big board: `claim --next` (limit 1.3 x) and `task list --ready` (1.5 x) with
// 5,000 open tasks (1,000 ready, 4,000 blocked by one open task, claimed by another agent)
// against a board of 10 in the same proportions; and the compare-and-swap retries of 8 agents
// claiming at once. The boards are made through `task import` and `claim`, the public commands.
import { coord, repo, timed, interleaved, report, info, ms, median, scale } from '../lib.mjs';

function board(name, open) {
  const dir = repo(name);
  const ready = open / 5;
  const lines = [JSON.stringify({ id: 'blocker', title: 'what the blocked wait for', priority: 0 })];
  for (let i = 0; i < ready; i++) lines.push(JSON.stringify({ title: `ready ${i}`, priority: i % 5, labels: i % 2 ? ['api'] : ['ui'] }));
  for (let i = 0; i < open - ready; i++) lines.push(JSON.stringify({ title: `blocked ${i}`, dependsOn: ['blocker'] }));
  const t = timed(() => coord(dir, ['task', 'import', '-', '--agent', 'planner'], {}, lines.join('\n')));
  coord(dir, ['claim', 'blocker', '--agent', 'other', '--ttl', '1d']);
  return { dir, setupMs: t };
}

export default async function tasks() {
  const big = scale(5000);
  const small = board('tasks10', 10);
  const large = board('tasks5k', big);
  const claimOnce = (dir) => () => {
    let id;
    const t = timed(() => (id = coord(dir, ['claim', '--next', '--agent', 'me']).trim()));
    coord(dir, ['task', 'release', id, '--agent', 'me']);
    return t;
  };
  const list = (dir) => () => timed(() => coord(dir, ['task', 'list', '--ready']));
  const m = interleaved({ claimSmall: claimOnce(small.dir), claimLarge: claimOnce(large.dir), listSmall: list(small.dir), listLarge: list(large.dir) });
  const what = `${big.toLocaleString('en')} open (${(big / 5).toLocaleString('en')} ready, ${((big * 4) / 5).toLocaleString('en')} blocked by one claimed task)`;
  report(`\`claim --next\` with ${what} vs 10`, m.claimLarge / m.claimSmall, 1.3,
    `10 tasks ${ms(m.claimSmall)}; ${big.toLocaleString('en')} ${ms(m.claimLarge)} (importing them took ${(large.setupMs / 1000).toFixed(1)} s)`);
  report(`\`task list --ready\` with ${what} vs 10`, m.listLarge / m.listSmall, 1.5,
    `10 tasks ${ms(m.listSmall)} (2 listed); ${big.toLocaleString('en')} ${ms(m.listLarge)} (${(big / 5).toLocaleString('en')} listed)`);

  // 8 agents calling claim --next at once on 8 ready tasks of one priority (library calls, 8
  // sessions): the swaps lost to another agent, summed over the 8, in each of 10 rounds.
  const { Coord, Tasks } = await import('../../dist/index.js');
  const race = repo('claimrace');
  const ctxs = await Promise.all(Array.from({ length: 8 }, (_, k) => Coord.open({ cwd: race, agent: `racer${k}` })));
  const planner = await Coord.open({ cwd: race, agent: 'planner' });
  const lost = [];
  for (let round = 0; round < 10; round++) {
    await new Tasks(planner).import(Array.from({ length: 8 }, (_, i) => JSON.stringify({ title: `round ${round} task ${i}` })).join('\n'));
    const services = ctxs.map((c) => new Tasks(c));
    const got = await Promise.all(services.map((t) => t.claimNext()));
    if (new Set(got.map((t) => t.id)).size !== 8) throw new Error('two agents got the same task');
    lost.push(services.reduce((sum, t) => sum + (t.lostRaces ?? 0), 0));
  }
  for (const c of [...ctxs, planner]) c.close();
  info(`8 agents claiming 8 ready tasks at once: compare-and-swap retries per round (summed over the 8): ${lost.join(', ')} (median ${median(lost)}, ${lost.reduce((a, b) => a + b, 0)} in 80 claims); all starting at the same task would lose up to 28 a round (0+1+...+7)`);
}
