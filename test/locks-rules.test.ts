/** The pure parts of locks (src/locks/rules.ts, tokens.ts, release.ts checks), without git. */
import { describe, expect, it } from 'vitest';
import { UsageError } from '../src/errors.js';
import { conflictsWith, expiredChange, grantedChange, liveness, pendingRecord, refusal, releasedChange, ticketLess } from '../src/locks/rules.js';
import { ALLOWED_SKEW_MS, lockChanges, markOf, raisedMarks, staleMarks } from '../src/locks/tokens.js';
import { checkUnlock } from '../src/locks/release.js';
import { patternFromText } from '../src/patterns/pattern.js';
import { tokenRef } from '../src/store/layout.js';
import type { LockRecord } from '../src/locks/schema.js';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const slot = { ref: 'refs/coordination/locks/x', oid: 'a'.repeat(40) };

function pending(agent: string, pattern: string, at = T0, nonce = '00'): LockRecord {
  return pendingRecord(agent, patternFromText(pattern), null, { ttlMs: 60_000, reason: 'r', ticket: { at, nonce }, writer: undefined }, at);
}

describe('lock rules', () => {
  it('liveness: pending within its window, granted until it expires, released never', () => {
    const p = pending('alice', 'src/a.ts');
    expect(liveness(p, T0 + 1)).toBe('pending');
    expect(liveness(p, T0 + 31_000)).toBeNull();
    const g = grantedChange('alice', slot, p, 60_000, 0, T0).rec;
    expect(liveness(g, T0 + 59_999)).toBe('granted');
    expect(liveness(g, T0 + 60_000)).toBeNull();
    expect(liveness(releasedChange('alice', slot, g, T0).rec, T0)).toBeNull();
  });

  it('ticket order: earlier, then agent, then nonce', () => {
    expect(ticketLess(pending('bob', 'a', T0), pending('alice', 'a', T0 + 1))).toBe(true);
    expect(ticketLess(pending('alice', 'a', T0), pending('bob', 'a', T0))).toBe(true);
    expect(ticketLess(pending('alice', 'a', T0, '01'), pending('alice', 'a', T0, '00'))).toBe(false);
  });

  it("conflicts: others' live overlapping locks only; the refusal carries every conflict as data", () => {
    const g = grantedChange('bob', slot, pending('bob', 'src/'), null, 0, T0).rec;
    const mine = grantedChange('alice', slot, pending('alice', 'src/'), null, 0, T0).rec;
    const found = conflictsWith([patternFromText('src/a.ts'), patternFromText('docs/x.md')], [{ record: g }, { record: mine }], 'alice', T0);
    expect(found).toEqual([{ path: 'src/a.ts', pattern: 'src/', agent: 'bob', reason: 'r', expiresAt: null, state: 'granted' }]);
    const e = refusal(found);
    expect(e.exitCode).toBe(3);
    expect(e.detail).toEqual({ kind: 'held', conflicts: found });
    expect(e.message).toMatch(/^cannot lock: held by another agent\n  src\/a\.ts: locked by bob as src\//);
  });

  it('a grant takes a token above the mark; a break names the other agent and the reason', () => {
    const g = grantedChange('alice', slot, { ...pending('alice', 'a'), token: 5 }, null, 9, T0);
    expect(g.rec.token).toBe(10);
    expect(g.action).toBe('lock');
    const b = releasedChange('bob', slot, g.rec, T0, 'gone');
    expect(b).toMatchObject({ action: 'break', other: 'alice', why: 'gone', remove: true });
    expect(expiredChange('bob', slot, g.rec, T0)).toMatchObject({ action: 'expire', other: 'alice', remove: true });
  });
});

describe('token marks', () => {
  it('removals raise their directory mark above what was read; a missing mark starts afresh', () => {
    const rec = { ...grantedChange('alice', slot, pending('alice', 'src/a.ts'), null, 0, T0).rec, token: 7 };
    const gone = releasedChange('alice', slot, rec, T0);
    const ref = tokenRef(patternFromText('src/a.ts'), 'alice');
    expect(raisedMarks([gone], new Map([[ref, { oid: 'b'.repeat(40), max: 9 }]]), 'alice')).toEqual([]);
    expect(raisedMarks([gone], new Map(), 'alice')).toEqual([{ ref, oldOid: null, record: { v: 1, type: 'tokens', max: 7 }, subject: 'tokens 7', event: [] }]);
    expect(raisedMarks([gone], new Map([[ref, { oid: 'c'.repeat(40), max: 0, missing: true }]]), 'alice')[0]).toMatchObject({ oldOid: 'c'.repeat(40), fresh: true });
    const all = lockChanges([gone], new Map(), 'alice');
    expect(all.map((c) => c.subject)).toEqual(['unlock src/a.ts', 'tokens 7']);
    expect(all[0]).toMatchObject({ remove: true, event: { action: 'unlock', subject: 'src/a.ts' } });
  });
});

describe('token marks of a directory', () => {
  const o = (c: string) => c.repeat(40);
  const marks = new Map([
    ['refs/coordination/tokens/p-src/t-alice', { oid: o('a'), max: 5 }],
    ['refs/coordination/tokens/p-src/t-bob', { oid: o('b'), max: 9 }],
    ['refs/coordination/tokens/p-src/t', { oid: o('c'), max: 7 }],
    ['refs/coordination/tokens/p-src/p-lib/t-carol', { oid: o('d'), max: 99 }],
  ]);
  it('a grant reads the highest of every agent mark and the old shared one, not a subdirectory', () => {
    expect(markOf(marks, 'src/a.ts').max).toBe(9);
    expect(markOf(marks, 'src/lib/x.ts').max).toBe(99);
    expect(markOf(marks, 'docs/a.md').max).toBe(0);
  });
  it('prune takes marks older than the skew where no lock ref stands in or below their directory', () => {
    const now = 99 + ALLOWED_SKEW_MS + 1;
    expect(staleMarks(marks, [], now).map((m) => m.ref)).toEqual([
      'refs/coordination/tokens/p-src/p-lib/t-carol',
      'refs/coordination/tokens/p-src/t',
      'refs/coordination/tokens/p-src/t-alice',
      'refs/coordination/tokens/p-src/t-bob',
    ]);
    expect(staleMarks(marks, ['refs/coordination/locks/p-src/p-lib/p-x_2ets/l-1'], now)).toEqual([]);
    expect(staleMarks(marks, ['refs/coordination/locks/p-src/p-lib/l-1'], now).map((m) => m.ref)).toEqual([]);
    expect(staleMarks(marks, ['refs/coordination/locks/p-docs/l-1'], now)).toHaveLength(4);
    expect(staleMarks(marks, [], 98 + ALLOWED_SKEW_MS).map((m) => m.ref)).toEqual(['refs/coordination/tokens/p-src/t', 'refs/coordination/tokens/p-src/t-alice', 'refs/coordination/tokens/p-src/t-bob']);
  });
});

describe('unlock checks', () => {
  it.each([
    [1, { all: true }, 'patterns-and-all'],
    [0, { all: true, force: true, reason: 'x' }, 'force-with-all'],
    [1, { force: true }, 'force-needs-reason'],
  ] as const)('%s patterns, %j: %s', (n, opts, kind) => {
    let e: unknown;
    try {
      checkUnlock(n, opts);
    } catch (x) {
      e = x;
    }
    expect(e).toBeInstanceOf(UsageError);
    expect((e as UsageError).detail.kind).toBe(kind);
    expect((e as UsageError).message).not.toMatch(/--/);
  });
  it('fine otherwise', () => expect(() => checkUnlock(1, { force: true, reason: 'gone' })).not.toThrow());
});
