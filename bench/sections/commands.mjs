// One command from the command line against `node -e 0`, all measured side by side in one loop:
// lock, claim --next, send (limit 2.0 x), inbox and heartbeat (1.8 x).
import { coord, repo, timed, interleaved, report, ms, node0, holdLocks } from '../lib.mjs';

export default async function commands() {
  const dir = repo('commands');
  holdLocks(dir, 10, 0);
  coord(dir, ['task', 'import', '-', '--agent', 'planner'], {}, Array.from({ length: 10 }, (_, i) => JSON.stringify({ title: `ready ${i}` })).join('\n'));
  for (let i = 0; i < 10; i++) coord(dir, ['send', '--agent', 'alice', 'reader', `unread ${i}`]);
  const claimOnce = () => {
    let id;
    const t = timed(() => (id = coord(dir, ['claim', '--next', '--agent', 'me']).trim()));
    coord(dir, ['task', 'release', id, '--agent', 'me']);
    return t;
  };
  const lockOnce = (i) => {
    const t = timed(() => coord(dir, ['lock', '--agent', 'me', `new/x${i}.txt`]));
    coord(dir, ['unlock', '--agent', 'me', `new/x${i}.txt`]);
    return t;
  };
  const m = interleaved({
    node0,
    lock: lockOnce,
    claim: claimOnce,
    send: (i) => timed(() => coord(dir, ['send', '--agent', 'alice', 'bob', `hello ${i}`])),
    inbox: () => timed(() => coord(dir, ['inbox', '--agent', 'reader'])),
    heartbeat: () => timed(() => coord(dir, ['heartbeat', '--agent', 'me', '--role', 'bench'])),
  });
  const base = `node -e 0 ${ms(m.node0)}`;
  report('one `lock` vs `node -e 0`', m.lock / m.node0, 2.0, `lock ${ms(m.lock)}; ${base}`);
  report('one `claim --next` vs `node -e 0`', m.claim / m.node0, 2.0, `claim --next ${ms(m.claim)} (10 ready); ${base}`);
  report('one `send` vs `node -e 0`', m.send / m.node0, 2.0, `send ${ms(m.send)}; ${base}`);
  report('one `inbox` (10 unread) vs `node -e 0`', m.inbox / m.node0, 1.8, `inbox ${ms(m.inbox)}; ${base}`);
  report('one `heartbeat` vs `node -e 0`', m.heartbeat / m.node0, 1.8, `heartbeat ${ms(m.heartbeat)}; ${base}`);
}
