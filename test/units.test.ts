import { describe, expect, it } from 'vitest';
import { parseDuration, formatDuration } from '../src/session/duration.js';
import { validateAgentId } from '../src/agents/id.js';
import { escapeComponent, lockRef, overlapQuery } from '../src/store/layout.js';
import { parsePattern } from '../src/patterns/pattern.js';
import { PathIndex } from '../src/patterns/matcher.js';

describe('durations', () => {
  it.each([
    ['90s', 90_000],
    ['30m', 1_800_000],
    ['2h', 7_200_000],
    ['1d', 86_400_000],
    ['1h30m', 5_400_000],
  ])('%s', (t, ms) => expect(parseDuration(t, 'x')).toBe(ms));
  it('none only where allowed', () => {
    expect(parseDuration('none', 'x', true)).toBeNull();
    expect(() => parseDuration('none', 'x')).toThrow();
  });
  it.each(['', '10', 'h', '1.5h', '-1h', '1 h', '1y', 'soon'])('refuses %j', (t) => expect(() => parseDuration(t, 'x')).toThrow());
  it('formats', () => expect(formatDuration(5_400_000)).toBe('1h30m'));
});

describe('agent ids', () => {
  it.each(['a', 'alice', 'agent-7', 'A.b_c-9', 'x'.repeat(64)])('accepts %s', (id) => expect(validateAgentId(id, 't')).toBe(id));
  it.each(['', '-a', '.a', '_a', 'a b', 'a/b', 'x'.repeat(65), 'é'])('refuses %j', (id) => expect(() => validateAgentId(id, 't')).toThrow());
});

describe('ref layout', () => {
  const P = (s: string) => parsePattern(s, { top: '/r', prefix: '' });
  it('escapes to valid, case-distinct components', () => {
    expect(escapeComponent('Src.lock')).toBe('_53rc_2elock');
    expect(escapeComponent('a b')).toBe('a_20b');
  });
  it('lays locks out by anchor; queries cover ancestors and, for directories, descendants', () => {
    expect(lockRef(P('src/a.ts'))).toMatch(/^refs\/coordination\/locks\/p-src\/p-a_2ets\/l-[0-9a-f]{20}$/);
    const q = overlapQuery(P('src/'));
    expect(q).toContain('refs/coordination/locks/l-*');
    expect(q).toContain('refs/coordination/locks/p-src/l-*');
    expect(q).toContain('refs/coordination/locks/p-src/');
    expect(overlapQuery(P('src/a.ts'))).not.toContain('refs/coordination/locks/p-src/');
  });
  it('a very long segment still yields a valid ref', () => {
    expect(lockRef(P(`${'x'.repeat(250)}/a`))).toMatch(/\/h-[0-9a-f]{40}\//);
  });
});

describe('path index', () => {
  const P = (s: string) => parsePattern(s, { top: '/r', prefix: '' });
  it('finds files, directories and globs covering a path', () => {
    const idx = new PathIndex(['src/a.ts', 'lib/', 'docs/**/*.md', './'].map((t) => ({ pattern: P(t), item: t })));
    expect(idx.covering('src/a.ts').sort()).toEqual(['./', 'src/a.ts']);
    expect(idx.covering('lib/x/y.c').sort()).toEqual(['./', 'lib/']);
    expect(idx.covering('docs/a/b.md').sort()).toEqual(['./', 'docs/**/*.md']);
    expect(idx.covering('libx')).toEqual(['./']);
  });
});
