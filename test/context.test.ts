/**
 * Shared context (`context set/get/list/rm`): the contract's behaviour through the built CLI, bad
 * input refused with nothing written, and the compare-and-swap proven by 8 real processes racing
 * on one key with the same expected version, locally and through a file:// remote.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CLI, ENV, clone, coord, coordAsync, gitSync, json, makeHub, makeRepo, refs, type Run, state } from './helpers.js';
import { recentKeysLine, preview, validateValue, type ContextView } from '../src/context/rules.js';

/** The CLI with `input` on stdin (bytes as given). */
function coordIn(cwd: string, args: string[], input: Buffer | string, env: NodeJS.ProcessEnv = {}): Run {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, env: { ...ENV, ...env }, input, encoding: 'utf8' });
  return { code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
}

const A = ['--agent', 'alice'];

describe('context set/get/list/rm', () => {
  it('sets, reads, lists and removes keys; versions rise with every change, also across a removal', () => {
    const dir = makeRepo();
    const set = coord(dir, ['context', 'set', 'api.base-url', 'http://localhost:8080', '--json', ...A]);
    expect(set.code, set.stderr).toBe(0);
    const v1 = json<ContextView>(set);
    expect(Object.keys(v1).sort()).toEqual(['agent', 'at', 'key', 'value', 'version']);
    expect(v1).toMatchObject({ key: 'api.base-url', value: 'http://localhost:8080', version: 1, agent: 'alice' });
    expect(Date.parse(v1.at)).not.toBeNaN();

    const v2 = json<ContextView>(coord(dir, ['context', 'set', 'api.base-url', 'http://localhost:9090', '--json', '--agent', 'bob']));
    expect(v2).toMatchObject({ version: 2, agent: 'bob', value: 'http://localhost:9090' });
    const got = coord(dir, ['context', 'get', 'api.base-url']);
    expect(got.code).toBe(0);
    expect(got.stdout).toBe('http://localhost:9090\n');
    expect(json(coord(dir, ['context', 'get', 'api.base-url', '--json']))).toEqual(v2);

    coord(dir, ['context', 'set', 'DB_Schema', 'v7', ...A]);
    const all = json<ContextView[]>(coord(dir, ['context', 'list', '--json']));
    expect(all.map((k) => [k.key, k.version, k.agent])).toEqual([
      ['DB_Schema', 1, 'alice'],
      ['api.base-url', 2, 'bob'],
    ]);
    const text = coord(dir, ['context', 'list']).stdout;
    expect(text).toMatch(/^DB_Schema {2}v1 {2}alice {2}\S+ {2}v7$/m);

    const rm = coord(dir, ['context', 'rm', 'api.base-url', '--json', ...A]);
    expect(rm.code, rm.stderr).toBe(0);
    expect(json(rm)).toMatchObject({ key: 'api.base-url', version: 3, value: 'http://localhost:9090', agent: 'alice' });
    const gone = coord(dir, ['context', 'get', 'api.base-url']);
    expect(gone.code).toBe(3);
    expect(gone.stderr).toMatch(/no context key api\.base-url \(removed at version 3 by alice\)/);
    expect(json<ContextView[]>(coord(dir, ['context', 'list', '--json'])).map((k) => k.key)).toEqual(['DB_Schema']);
    // Removing what is not there is refused; nothing written.
    const before = state(dir);
    expect(coord(dir, ['context', 'rm', 'api.base-url', ...A]).code).toBe(3);
    expect(coord(dir, ['context', 'rm', 'never-set', ...A]).code).toBe(3);
    expect(state(dir)).toBe(before);

    // Set again after the removal: the count goes on, it never repeats an old version.
    expect(json(coord(dir, ['context', 'set', 'api.base-url', 'back', '--json', ...A])).version).toBe(4);

    const log = json<{ action: string; subject: string; agent: string }[]>(coord(dir, ['log', '--json']));
    expect(log.filter((e) => e.action.startsWith('context-')).map((e) => `${e.action} ${e.subject} ${e.agent}`)).toEqual([
      'context-set api.base-url alice',
      'context-rm api.base-url alice',
      'context-set DB_Schema alice',
      'context-set api.base-url bob',
      'context-set api.base-url alice',
    ]);
    // One ref per key, the removed key's kept (its tombstone carries the count).
    expect(refs(dir, 'refs/coordination/context/').length).toBe(2);
  });

  it('--expect: a compare-and-swap on the version (0: must not exist); a different version exits 3 and changes nothing', () => {
    const dir = makeRepo();
    expect(coord(dir, ['context', 'set', 'k', 'one', '--expect', '0', ...A]).code).toBe(0);
    let before = state(dir);
    const again0 = coord(dir, ['context', 'set', 'k', 'two', '--expect', '0', '--json', ...A]);
    expect(again0.code).toBe(3);
    expect(json(again0)).toMatchObject({ ok: false, code: 3, key: 'k', version: 1, expected: 0 });
    const stale = coord(dir, ['context', 'set', 'k', 'two', '--expect', '2', ...A]);
    expect(stale.code).toBe(3);
    expect(stale.stderr).toMatch(/context key k is at version 1, expected version 2: nothing changed/);
    expect(coord(dir, ['context', 'rm', 'k', '--expect', '2', ...A]).code).toBe(3);
    expect(state(dir)).toBe(before);
    expect(coord(dir, ['context', 'get', 'k']).stdout).toBe('one\n');

    expect(json(coord(dir, ['context', 'set', 'k', 'two', '--expect', '1', '--json', ...A])).version).toBe(2);
    expect(json(coord(dir, ['context', 'rm', 'k', '--expect', '2', '--json', ...A])).version).toBe(3);
    // Removed: it does not exist, so only --expect 0 holds, and the next version is 4.
    before = state(dir);
    const afterRm = coord(dir, ['context', 'set', 'k', 'x', '--expect', '3', ...A]);
    expect(afterRm.code).toBe(3);
    expect(afterRm.stderr).toMatch(/does not exist \(removed at version 3\), expected version 3/);
    expect(state(dir)).toBe(before);
    expect(json(coord(dir, ['context', 'set', 'k', 'three', '--expect', '0', '--json', ...A])).version).toBe(4);
  });

  it('bad keys, values and versions: exit 2, nothing written', () => {
    const dir = makeRepo();
    coord(dir, ['context', 'set', 'k', 'kept', ...A]);
    const before = state(dir);
    const bad: Run[] = [
      coord(dir, ['context', 'set', 'has space', 'v', ...A]),
      coord(dir, ['context', 'set', '-lead', 'v', ...A]),
      coord(dir, ['context', 'set', '.dot', 'v', ...A]),
      coord(dir, ['context', 'set', 'a'.repeat(65), 'v', ...A]),
      coord(dir, ['context', 'set', 'k/../x', 'v', ...A]),
      coord(dir, ['context', 'get', 'bad key']),
      coord(dir, ['context', 'rm', 'bad:key', ...A]),
      coord(dir, ['context', 'set', 'k', '', ...A]),
      coord(dir, ['context', 'set', 'k', 'v', '--expect', 'one', ...A]),
      coord(dir, ['context', 'set', 'k', 'v', '--expect=-1', ...A]),
      coord(dir, ['context', 'set', 'k', 'v', '--expect', '1.5', ...A]),
      coord(dir, ['context', 'set', 'k', ...A]),
      coord(dir, ['context', 'set', 'k', 'v']), // no agent
      coord(dir, ['context', 'set', 'k', 'a\udc80b', ...A]), // no UTF-8 form: node passes it as U+FFFD
      coordIn(dir, ['context', 'set', 'k', '-', ...A], Buffer.from([0x61, 0xff, 0x62])), // not UTF-8
      coordIn(dir, ['context', 'set', 'k', '-', ...A], Buffer.from('a\u0000b')), // NUL
      coordIn(dir, ['context', 'set', 'k', '-', ...A], ''), // empty
      coordIn(dir, ['context', 'set', 'k', '-', ...A], 'x'.repeat(64 * 1024 + 1)), // one byte over
      coordIn(dir, ['context', 'set', 'k', '-', ...A], 'é'.repeat(32 * 1024 + 1)), // 65,538 bytes in 32,769 characters
    ];
    for (const [i, r] of bad.entries()) {
      expect(r.code, `case ${i}: ${r.stderr}`).toBe(2);
      expect(r.stderr, `case ${i}`).not.toMatch(/\n\s+at /); // no stack trace
    }
    expect(state(dir)).toBe(before);
    expect(coord(dir, ['context', 'get', 'k']).stdout).toBe('kept\n');

    // Exactly 64 KiB is accepted, byte for byte, from stdin.
    const max = 'é'.repeat(32 * 1024);
    const ok = coordIn(dir, ['context', 'set', 'k', '-', '--json', ...A], max);
    expect(ok.code, ok.stderr).toBe(0);
    expect(json(coord(dir, ['context', 'get', 'k', '--json'])).value).toBe(max);
  });

  it("another agent's text is printed through printable(); JSON keeps it exact", () => {
    const dir = makeRepo();
    const forged = 'line one\n\u001b[31mgit-coord: ok\u001b[0m\r\u202eevil';
    expect(coordIn(dir, ['context', 'set', 'note', '-', ...A], forged).code).toBe(0);
    const text = coord(dir, ['context', 'get', 'note']).stdout;
    expect(text).toBe('line one\n\\x1b[31mgit-coord: ok\\x1b[0m\\r\\u202eevil\n');
    expect(coord(dir, ['context', 'list']).stdout).not.toMatch(/[\u001b\r\u202e]/);
    expect(json(coord(dir, ['context', 'get', 'note', '--json'])).value).toBe(forged);
  });

  it('an unreadable record is never written over (its versions would restart): exit 1; list skips it with a warning', () => {
    const dir = makeRepo();
    coord(dir, ['context', 'set', 'good', 'v', ...A]);
    const emptyTree = gitSync(dir, 'hash-object', '-t', 'tree', '/dev/null').trim();
    const junk = gitSync(dir, 'commit-tree', emptyTree, '-m', 'context-set k\n\nnot json').trim();
    gitSync(dir, 'update-ref', 'refs/coordination/context/k', junk);
    // A record of key "good" placed on another key's ref by hand is not that key.
    const good = gitSync(dir, 'rev-parse', 'refs/coordination/context/good').trim();
    gitSync(dir, 'update-ref', 'refs/coordination/context/other', good);
    const before = state(dir);
    const set = coord(dir, ['context', 'set', 'k', 'v', ...A]);
    expect(set.code).toBe(1);
    expect(set.stderr).toMatch(/cannot read context key k .*not JSON/);
    expect(coord(dir, ['context', 'set', 'other', 'v', ...A]).stderr).toMatch(/it names key good/);
    expect(state(dir)).toBe(before);
    const list = coord(dir, ['context', 'list', '--json']);
    expect(list.code).toBe(0);
    expect(json<ContextView[]>(list).map((k) => k.key)).toEqual(['good']);
    expect(list.stderr).toMatch(/skipping unreadable context record refs\/coordination\/context\/k/);
    expect(list.stderr).toMatch(/skipping context record refs\/coordination\/context\/other: it names key good/);
  });

  it('values starting with - are given after --', () => {
    const dir = makeRepo();
    const r = coord(dir, ['context', 'set', 'offset', '--json', ...A, '--', '-5']);
    expect(r.code, r.stderr).toBe(0);
    expect(json(r).value).toBe('-5');
  });

  it('works through a remote: one clone sets, another reads, and the remote holds the change', () => {
    const { root, url } = makeHub();
    const a = clone(root, url, 'alice');
    const b = clone(root, url, 'bob');
    expect(coord(a, ['context', 'set', 'build', 'green']).code).toBe(0);
    const got = coord(b, ['context', 'get', 'build', '--json', '--fresh']);
    expect(got.code, got.stderr).toBe(0);
    expect(json(got)).toMatchObject({ value: 'green', version: 1, agent: 'alice' });
    // Decided by the remote: bob's change from version 1 wins, alice's stale one is refused.
    expect(coord(b, ['context', 'set', 'build', 'red', '--expect', '1']).code).toBe(0);
    expect(coord(a, ['context', 'set', 'build', 'amber', '--expect', '1']).code).toBe(3);
    expect(coord(a, ['context', 'rm', 'build', '--expect', '2']).code).toBe(0);
    expect(coord(b, ['context', 'list', '--json', '--fresh']).stdout.trim()).toBe('[]');
    expect(json(coord(b, ['context', 'set', 'build', 'again', '--json'])).version).toBe(4);
  });
});

/** 8 racers setting `key` from the same expected version: exactly one wins, and the value is its. */
function checkRace(results: Run[], values: string[], final: ContextView, expected: number): void {
  for (const r of results) expect([0, 3], r.stderr).toContain(r.code);
  const winners = results.flatMap((r, k) => (r.code === 0 ? [k] : []));
  expect(winners).toHaveLength(1);
  const w = winners[0]!;
  expect(json(results[w]!)).toMatchObject({ value: values[w], version: expected + 1 });
  expect(final).toMatchObject({ value: values[w], version: expected + 1, agent: `racer-${w}` });
  for (const r of results) if (r.code === 3) expect(r.stderr).toMatch(/nothing changed/);
}

describe('context --expect races: 8 processes, one key, the same expected version', () => {
  it('locally: exactly one succeeds, the other 7 exit 3, 4 rounds', async () => {
    const dir = makeRepo();
    const tally: number[] = [];
    for (let round = 0; round < 4; round++) {
      const values = Array.from({ length: 8 }, (_, k) => `round ${round} from racer ${k}`);
      const results = await Promise.all(
        values.map((v, k) => coordAsync(dir, ['context', 'set', 'shared', v, '--expect', String(round), '--json', '--agent', `racer-${k}`])),
      );
      checkRace(results, values, json(coord(dir, ['context', 'get', 'shared', '--json'])), round);
      tally.push(results.filter((r) => r.code === 3).length);
    }
    expect(tally).toEqual([7, 7, 7, 7]);
    expect(json(coord(dir, ['log', '--json', '-n', '100'])).filter((e: { action: string }) => e.action === 'context-set')).toHaveLength(4);
  }, 240_000);

  it('through a file:// remote, 8 clones: exactly one succeeds, the other 7 exit 3, 3 rounds', async () => {
    const { root, url } = makeHub();
    const clones = Array.from({ length: 8 }, (_, k) => clone(root, url, `racer-${k}`));
    const tally: number[] = [];
    for (let round = 0; round < 3; round++) {
      const values = Array.from({ length: 8 }, (_, k) => `remote round ${round} from racer ${k}`);
      const results = await Promise.all(clones.map((c, k) => coordAsync(c, ['context', 'set', 'shared', values[k]!, '--expect', String(round), '--json'])));
      const final = json<ContextView>(coord(clones[(round + 3) % 8]!, ['context', 'get', 'shared', '--json', '--fresh']));
      checkRace(results, values, final, round);
      tally.push(results.filter((r) => r.code === 3).length);
    }
    expect(tally).toEqual([7, 7, 7]);
  }, 240_000);
});

describe('context rules', () => {
  it('values: 1 byte to 64 KiB of UTF-8 text without NUL', () => {
    expect(validateValue('x')).toBe('x');
    expect(validateValue('é'.repeat(32 * 1024))).toHaveLength(32 * 1024);
    expect(() => validateValue('é'.repeat(32 * 1024) + 'x')).toThrow(/too long \(65537 bytes/);
    expect(() => validateValue('')).toThrow(/empty/);
    expect(() => validateValue('a\u0000')).toThrow(/NUL/);
    expect(() => validateValue('a\ud800')).toThrow(/surrogate/);
    expect(validateValue('\ud83d\ude00')).toBe('\ud83d\ude00');
  });

  it('preview: the first line, printable, cut', () => {
    expect(preview('a\nb')).toBe('a …');
    expect(preview('\u001b[2J')).toBe('\\x1b[2J');
    expect(preview('x'.repeat(100), 10)).toBe(`${'x'.repeat(9)}…`);
  });

  it('the briefing line: most recently set first, within its budget', () => {
    const k = (key: string, at: string): ContextView => ({ key, value: 'v', version: 1, agent: 'ann', at });
    const keys = [k('old', '2026-01-01T00:00:00.000Z'), k('new', '2026-01-03T00:00:00.000Z'), k('mid', '2026-01-02T00:00:00.000Z')];
    expect(recentKeysLine([], 200)).toBe('');
    expect(recentKeysLine(keys, 200)).toBe('Shared context (git-coord context get <key>): new (ann), mid (ann), old (ann)');
    const short = recentKeysLine(keys, 70);
    expect(short.length).toBeLessThanOrEqual(70);
    expect(short).toBe('Shared context (git-coord context get <key>): new (ann), +2 more');
    expect(recentKeysLine(keys, 20).length).toBeLessThanOrEqual(20);
  });
});
