import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { overlaps, overlapWitness, pick } from '../src/patterns/overlap.js';
import { matches } from '../src/patterns/matcher.js';
import { parsePattern, patternFromText } from '../src/patterns/pattern.js';
import { UsageError } from '../src/errors.js';
import { tmpdir } from './helpers.js';

const base = { top: '/repo', prefix: '' };
const P = (s: string) => parsePattern(s, base);
const ov = (a: string, b: string) => overlaps(P(a), P(b));

describe('pattern overlap', () => {
  const yes: [string, string][] = [
    ['a.ts', 'a.ts'],
    ['src/', 'src/a.ts'],
    ['src/', 'src/deep/er/x.ts'],
    ['src/', 'src/lib/'],
    ['./', 'anything/at/all.txt'],
    ['src/**/*.ts', 'src/a.ts'],
    ['src/**/*.ts', 'src/x/y/z.ts'],
    ['src/**', 'src/'],
    ['src/**', 'src'],
    ['src/*.ts', 'src/a.ts'],
    ['src/*.ts', 'src/*.{ts,js}'],
    ['**/*.md', 'docs/README.md'],
    ['**', 'x'],
    ['**', '**'],
    ['src/a?.ts', 'src/ab.ts'],
    ['src/[abc].ts', 'src/b.ts'],
    ['src/[a-c].ts', 'src/[b-z].ts'],
    ['src/[!a].ts', 'src/b.ts'],
    ['src/[^a].ts', 'src/b.ts'],
    ['src/[[:digit:]].ts', 'src/7.ts'],
    ['src/{a,b}/x.ts', 'src/b/'],
    ['{src/a,lib}/x.ts', 'src/a/x.ts'],
    ['src/{a,{b,c}}.ts', 'src/c.ts'],
    ['a{,.bak}', 'a'],
    ['*.test.ts', '*.ts'],
    ['src/*/index.ts', 'src/**/index.ts'],
    ['src/**/test/**', 'src/a/test/b.ts'],
    ['a*b', 'ab'],
    ['a*b*c', '*bc'],
    ['*', '.hidden'],
    ['src/', 'src'], // a directory lock covers the path itself
    ['src/a.ts', 'src/a.ts/'],
    ['src/*/', 'src/a/b/c.ts'],
    ['a\\*b', 'a?b'],
    ['**/**/x', 'x'],
  ];
  const no: [string, string][] = [
    ['a.ts', 'b.ts'],
    ['src/', 'lib/a.ts'],
    ['src/', 'srcx/a.ts'],
    ['src/a/', 'src/b/'],
    ['src/*.ts', 'src/*.md'],
    ['src/*.ts', 'src/a/b.ts'],
    ['src/**/*.ts', 'lib/a.ts'],
    ['src/**/*.ts', 'src/a.js'],
    ['src/a?.ts', 'src/a.ts'],
    ['src/[abc].ts', 'src/d.ts'],
    ['src/[a-c].ts', 'src/[d-f].ts'],
    ['src/[!a].ts', 'src/a.ts'],
    ['src/[[:alpha:]].ts', 'src/1.ts'],
    ['src/{a,b}/x.ts', 'src/c/'],
    ['docs/*.md', 'docs/a/b.md'],
    ['*.ts', 'src/a.ts'],
    ['a*b', 'ba'],
    ['a\\*b', 'axb'],
    ['*/*', 'x'],
    ['?', 'ab'],
    ['a/**/b', 'a'],
  ];
  it.each(yes)('%s overlaps %s', (a, b) => {
    expect(ov(a, b)).toBe(true);
    expect(ov(b, a)).toBe(true);
    // The witness is a path both match.
    const w = overlapWitness(P(a), P(b))!;
    expect(matches(P(a), w) && matches(P(b), w), w).toBe(true);
  });
  it.each(no)('%s does not overlap %s', (a, b) => {
    expect(ov(a, b)).toBe(false);
    expect(ov(b, a)).toBe(false);
  });

  it('picks a character in every set, never "/"', () => {
    expect(pick([{ neg: false, ranges: [[97, 99]] }, { neg: true, ranges: [[97, 98]] }])).toBe(99);
    expect(pick([{ neg: false, ranges: [[97, 98]] }, { neg: true, ranges: [[97, 99]] }])).toBeNull();
    expect(pick([{ neg: true, ranges: [] }, { neg: true, ranges: [[0, 1000]] }])).toBe(1001);
    expect(pick([{ neg: false, ranges: [[40, 47]] }, { neg: false, ranges: [[47, 60]] }])).toBeNull();
  });
});

describe('matching', () => {
  const cases: [string, string, boolean][] = [
    ['src/a.ts', 'src/a.ts', true],
    ['src/a.ts', 'src/a.tsx', false],
    ['src/', 'src', true],
    ['src/', 'src/x/y', true],
    ['src/', 'srcx', false],
    ['*.ts', 'a.ts', true],
    ['*.ts', 'src/a.ts', false],
    ['*', '.env', true],
    ['**/*.ts', 'a.ts', true],
    ['**/*.ts', 'a/b/c.ts', true],
    ['a/**', 'a', true],
    ['a/**', 'a/b/c', true],
    ['a/**/b', 'a/b', true],
    ['a/**/b', 'a/x/y/b', true],
    ['a/**/b', 'a/x/y/bb', false],
    ['?.ts', 'ab.ts', false],
    ['[!a].ts', 'b.ts', true],
    ['[!a].ts', 'a.ts', false],
    ['[^a-c]', 'd', true],
    ['[]a]', ']', true],
    ['[a-]', '-', true],
    ['[\\]]', ']', true],
    ['[[:upper:][:digit:]]x', 'Qx', true],
    ['[[:upper:][:digit:]]x', 'qx', false],
    ['{a,b/c}.ts', 'b/c.ts', true],
    ['a{,.bak}', 'a.bak', true],
    ['a\\*', 'a*', true],
    ['a\\*', 'ab', false],
    ['a,b', 'a,b', true],
    ['a(b)', 'a(b)', true],
    ['x/!y', 'x/!y', true],
    ['\\!y', '!y', true],
    ['*', 'é', true],
    ['?', '😀', true],
    ['src/*/', 'src/a/b', true],
  ];
  it.each(cases)('%s against %s: %s', (pat, p, want) => {
    expect(matches(P(pat), p)).toBe(want);
    expect(matches(patternFromText(P(pat).text), p)).toBe(want);
  });
});

describe('patterns', () => {
  it('normalises files, directories and globs', () => {
    expect(P('src/a.ts')).toMatchObject({ text: 'src/a.ts', kind: 'file', anchor: ['src', 'a.ts'] });
    expect(P('src/')).toMatchObject({ text: 'src/', kind: 'dir', anchor: ['src'] });
    expect(P('./src//x/../a.ts')).toMatchObject({ text: 'src/a.ts', kind: 'file' });
    expect(P('src/**/*.test.ts')).toMatchObject({ kind: 'glob', anchor: ['src'] });
    expect(P('src/{a,b}/lib/*.ts')).toMatchObject({ kind: 'glob', anchor: ['src'] });
    expect(P('src/*/')).toMatchObject({ text: 'src/*/**', kind: 'glob', anchor: ['src'] });
    expect(P('src/a\\*b')).toMatchObject({ text: 'src/a\\*b', kind: 'file', anchor: ['src', 'a*b'] });
    expect(P('.')).toMatchObject({ text: './', kind: 'dir', anchor: [] });
    expect(P('/repo/src/a.ts')).toMatchObject({ text: 'src/a.ts' });
    expect(parsePattern('a.ts', { top: '/repo', prefix: 'sub/dir/' }).text).toBe('sub/dir/a.ts');
    expect(parsePattern('../a.ts', { top: '/repo', prefix: 'sub/' }).text).toBe('a.ts');
    expect(parsePattern('../*.ts', { top: '/repo', prefix: 'sub/' }).text).toBe('*.ts');
  });

  it('round-trips through the stored text', () => {
    for (const t of ['src/a.ts', 'src/', './', 'src/**/*.{ts,js}', 'src/*/**', 'a\\*b', '[[:alpha:]]/x']) {
      const p = P(t);
      expect(patternFromText(p.text)).toEqual(p);
    }
  });

  it('widens a stored text these rules refuse to everything below its literal directories', () => {
    const old = patternFromText('src/lib/@(a|b).ts');
    expect(old).toMatchObject({ kind: 'glob', anchor: ['src', 'lib'] });
    expect(matches(old, 'src/lib/anything/else')).toBe(true);
    expect(matches(old, 'src/other.ts')).toBe(false);
    expect(overlaps(old, P('src/lib/c.ts'))).toBe(true);
  });

  it('takes a literal path naming a directory of the work tree as that directory', () => {
    const top = tmpdir('patterns');
    fs.mkdirSync(path.join(top, 'src', 'auth'), { recursive: true });
    fs.writeFileSync(path.join(top, 'src', 'auth', 'login.ts'), '');
    fs.symlinkSync('auth', path.join(top, 'src', 'link'));
    const at = (raw: string, prefix = '') => parsePattern(raw, { top, prefix }, top);
    expect(at('src/auth')).toMatchObject({ text: 'src/auth/', kind: 'dir', anchor: ['src', 'auth'] });
    expect(at('auth', 'src/')).toMatchObject({ text: 'src/auth/', kind: 'dir' });
    expect(at(path.join(top, 'src', 'auth'))).toMatchObject({ text: 'src/auth/', kind: 'dir' });
    expect(at('src/auth/login.ts')).toMatchObject({ kind: 'file' });
    expect(at('src/missing')).toMatchObject({ kind: 'file' });
    // git records a symbolic link as a file, even one pointing at a directory.
    expect(at('src/link')).toMatchObject({ text: 'src/link', kind: 'file' });
    // Without a work tree (a bare repository, or the stored text), nothing is looked up.
    expect(parsePattern('src/auth', { top, prefix: '' })).toMatchObject({ kind: 'file' });
  });

  it.each(['', '../x', '/elsewhere/x', 'a\nb', 'a\0b', '.git/config', 'sub/.git/x', '..'])('refuses %j', (bad) => {
    expect(() => P(bad)).toThrow(UsageError);
  });

  it.each([
    ['**.ts', /"\*\*" must be a whole path segment/],
    ['src/**{.ts,.js}', /"\*\*" must be a whole path segment/],
    ['a**/b', /"\*\*" must be a whole path segment/],
    ['***', /"\*\*" must be a whole path segment/],
    ['!src/a.ts', /leading "!"/],
    ['src/@(a|b).ts', /extglob "@\(\.\.\.\)"/],
    ['src/!(a).ts', /extglob "!\(\.\.\.\)"/],
    ['src/+(a).ts', /extglob/],
    ['src/*(a).ts', /extglob/],
    ['src/?(a).ts', /extglob/],
    ['src/[ab', /"\[" is not closed/],
    ['src/[a/b]', /"\[" is not closed within its path segment/],
    ['src/a]', /"\]" without its "\["/],
    ['src/{a,b', /"\{" is not closed/],
    ['src/a}', /"\}" without its "\{"/],
    ['src/{a}.ts', /needs a comma/],
    ['src/{1..3}.ts', /needs a comma/],
    ['src/[z-a].ts', /range "z-a" is reversed/],
    ['src/[[:word:]]', /unknown character class/],
    ['src/[[:alpha]', /must start a class name/],
    ['src/a\\', /lone "\\"/],
    ['src/{a,}/x', /empty path segment/],
    ['src/{a,..}/x', /"\.\." path segment/],
    ['{.git,src}/x', /inside \.git/],
    ['src/*/../a.ts', /"\.\." can only follow a plain directory name/],
    [`{${'a,'.repeat(300)}b}`, /more than 256 alternatives/],
    ['{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}', /more than 256 alternatives/],
  ])('refuses %j as bad usage', (bad, why) => {
    expect(() => P(bad)).toThrow(UsageError);
    expect(() => P(bad)).toThrow(why);
  });
});
