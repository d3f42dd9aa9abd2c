/**
 * Shared context where agents look: `prime` names the keys most recently set (within the
 * briefing's 1,500 characters), and `status --json` carries `context: [{key, version, agent, at}]`
 * without values.
 */
import { describe, expect, it } from 'vitest';
import { coord, json, makeHub, clone, makeRepo, type Run, ok } from './helpers.js';
import { BRIEFING_LIMIT, briefingText, nextCommands, type Briefing } from '../src/views/briefing.js';

const A = { GIT_COORD_AGENT: 'alice' };
const B = { GIT_COORD_AGENT: 'bob' };

describe('context in the briefing and on the board', () => {
  it('prime lists the keys most recently set; status --json carries them without values', () => {
    const dir = makeRepo();
    ok(coord(dir, ['context', 'set', 'api-url', 'http://localhost:8080'], A));
    ok(coord(dir, ['context', 'set', 'db.schema', 'v3'], B));
    ok(coord(dir, ['context', 'set', 'api-url', 'http://localhost:9090'], B));
    ok(coord(dir, ['context', 'set', 'gone', 'x'], A));
    ok(coord(dir, ['context', 'rm', 'gone'], A));
    const prime = ok(coord(dir, ['prime'], A)).stdout;
    expect(prime).toMatch(/^Shared context \(git-coord context get <key>\): api-url \(bob\), db\.schema \(bob\)$/m);
    expect(prime).not.toMatch(/gone|localhost/);
    const status = json(ok(coord(dir, ['status', '--json'], A)));
    expect(status.context).toEqual([
      { key: 'api-url', version: 2, agent: 'bob', at: expect.stringMatching(/Z$/) },
      { key: 'db.schema', version: 1, agent: 'bob', at: expect.stringMatching(/Z$/) },
    ]);
    expect(JSON.stringify(status)).not.toContain('localhost');
    expect(ok(coord(dir, ['status'], A)).stdout).toMatch(/shared context \(2, most recently set first; git-coord context get <key>\):\n\s+api-url  v2  bob/);
    expect(json(ok(coord(dir, ['prime', '--json'], A))).context.map((k: { key: string }) => k.key)).toEqual(['api-url', 'db.schema']);
  });

  it('the briefing stays within 1,500 characters with many long keys, naming the newest and counting the rest', () => {
    const context = Array.from({ length: 200 }, (_, i) => ({ key: `k${String(i).padStart(3, '0')}-${'x'.repeat(59)}`, version: 1, agent: 'a'.repeat(64), at: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString() }));
    const b = {
      agent: 'a',
      locks: Array.from({ length: 50 }, (_, i) => ({ pattern: `src/${'p'.repeat(100)}${i}/`, agent: 'a', reason: 'r'.repeat(200), token: i, acquiredAt: '2026-01-01T00:00:00.000Z', expiresAt: null, ttlMs: null, state: 'granted' as const })),
      others: { agents: 3, locks: 9 },
      task: null,
      unread: Array.from({ length: 40 }, (_, i) => ({ id: `m-${i}`, from: 'b', subject: 'S'.repeat(200), body: 'B'.repeat(200), priority: i % 5, sentAt: '2026-01-01T00:00:00.000Z' })),
      ready: Array.from({ length: 5 }, (_, i) => ({ id: `t-${i + 2}`, title: 'R'.repeat(200), priority: 2 })),
      readyCount: 40,
      context,
    } as unknown as Omit<Briefing, 'next'>;
    const text = briefingText({ ...b, next: nextCommands(b) });
    expect(text.length).toBeLessThanOrEqual(BRIEFING_LIMIT);
    // Everything at its longest: at least how many keys there are.
    expect(text).toMatch(/200 shared context keys \(git-coord context list\)|Shared context/);
    // With room: the newest keys first, then a count of the others.
    const roomy = briefingText({ agent: 'a', locks: [], others: { agents: 0, locks: 0 }, context, next: [] });
    expect(roomy).toMatch(/^Shared context \(git-coord context get <key>\): k199-x+ \(a+\), \+199 more$/m);
    const short = context.map((k) => ({ ...k, key: k.key.slice(0, 4), agent: 'al' }));
    const named = briefingText({ agent: 'a', locks: [], others: { agents: 0, locks: 0 }, context: short, next: [] });
    const line = named.split('\n').find((l) => l.startsWith('Shared context'))!;
    expect(line).toMatch(/: k199 \(al\), k198 \(al\), k197 \(al\), .*, \+\d+ more$/);
    expect(line.length).toBeLessThanOrEqual(310);
    const few = briefingText({ agent: 'a', locks: [], others: { agents: 0, locks: 0 }, context: context.slice(0, 3).map((k) => ({ ...k, agent: 'al' })), next: [] });
    expect(few).toMatch(/k002-x+ \(al\), k001-x+ \(al\), k000-x+ \(al\)$/m);
  });

  it('with a remote, prime shows keys another clone set', () => {
    const { root, url } = makeHub('remote: origin\nrefresh: always\n');
    const a = clone(root, url, 'alice');
    const b = clone(root, url, 'bob');
    ok(coord(a, ['context', 'set', 'release', '1.2.0']));
    expect(ok(coord(b, ['prime'])).stdout).toMatch(/Shared context .*: release \(alice\)/);
    expect(json(ok(coord(b, ['status', '--json', '--fresh']))).context).toMatchObject([{ key: 'release', version: 1, agent: 'alice' }]);
  });
});
