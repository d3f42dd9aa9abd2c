/**
 * Messages in one repository, through the built CLI: real git, real processes racing and killed.
 * Waits are bounded; nothing asserts on speed.
 */
import { spawn, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CLI, ENV, coord, coordAsync, gitSync, json, makeRepo, refs, write, type Run } from './helpers.js';

function repo(files?: Record<string, string>): string {
  const d = makeRepo(files);
  return d;
}

const as = (agent: string) => ({ GIT_COORD_AGENT: agent });
const send = (dir: string, from: string, args: string[]) => coord(dir, ['send', ...args, '--json'], as(from));
const inbox = (dir: string, agent: string, args: string[] = []) => json(coord(dir, ['inbox', '--json', ...args], as(agent)));
const ids = (list: { id: string }[]) => list.map((m) => m.id);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every message on the senders' chains (messages/bcast/*), newest first. */
function chainMessages(dir: string): { id: string; from: string; sentAt: string }[] {
  const out = gitSync(dir, 'log', '--format=%x00%b', '--glob=refs/coordination/messages/bcast/*', '--');
  return out.split('\0').map((b) => b.trim()).filter(Boolean).map((b) => JSON.parse(b));
}

/** What `agent`'s own acks record acknowledges: its entries, and the chain messages its marks cover. */
function ackedIn(dir: string, agent: string): string[] {
  const body = gitSync(dir, 'for-each-ref', '--format=%(contents:body)', `refs/coordination/messages/acks/${agent}`).trim();
  if (!body) return [];
  const rec = JSON.parse(body);
  const marks = rec.marks ?? {};
  const covered = chainMessages(dir).filter((m) => {
    const mark = marks[m.from];
    return mark && Date.parse(m.sentAt) <= Date.parse(mark.sentAt) && !(mark.skip ?? []).some((s: any) => s.id === m.id);
  });
  return [...new Set([...rec.acks.map((a: any) => a.id), ...covered.map((m) => m.id)])];
}

function sent(r: Run): { id: string; [k: string]: any } {
  expect(r.code, r.stderr).toBe(0);
  return json(r);
}

describe('send and inbox', () => {
  it('a direct message: the id is printed, the recipient reads it with every contract field, once', () => {
    const dir = repo();
    const r = coord(dir, ['send', 'bob', 'hello bob', '--subject', 'greeting'], as('alice'));
    expect(r.code, r.stderr).toBe(0);
    const id = r.stdout.trim();
    expect(id).toMatch(/^m-/);
    const list = inbox(dir, 'bob');
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ id, from: 'alice', to: ['bob'], subject: 'greeting', body: 'hello bob', priority: 2, thread: id, replyTo: null, ack: false, acked: false });
    expect(Date.parse(list[0].expiresAt) - Date.parse(list[0].sentAt)).toBe(7 * 86_400_000);
    expect(inbox(dir, 'carol')).toEqual([]);
    expect(inbox(dir, 'alice')).toEqual([]);
    const text = coord(dir, ['inbox'], as('bob'));
    expect(text.stdout).toMatch(new RegExp(`${id}  p2  from alice to bob`));
    expect(text.stdout).toMatch(/subject: greeting\n  \| hello bob/);
  });

  it('several recipients, @all (also agents that never ran a command) and a channel', () => {
    const dir = repo();
    const m = sent(send(dir, 'alice', ['bob,carol', 'to both']));
    const all = sent(send(dir, 'alice', ['@all', 'to everyone']));
    expect(ids(inbox(dir, 'bob'))).toEqual([m.id, all.id]);
    expect(ids(inbox(dir, 'carol'))).toEqual([m.id, all.id]);
    expect(ids(inbox(dir, 'never-seen-before'))).toEqual([all.id]);
    expect(inbox(dir, 'alice')).toEqual([]);
    // A channel reaches its members, including messages sent before they joined, until they leave.
    const ch = sent(send(dir, 'alice', ['#ops', 'deploy at noon']));
    expect(ids(inbox(dir, 'dave'))).toEqual([all.id]);
    expect(coord(dir, ['channel', 'join', '#ops'], as('dave')).stdout).toMatch(/joined #ops/);
    expect(coord(dir, ['channel', 'join', 'ops'], as('dave')).stdout).toMatch(/already in #ops/);
    expect(coord(dir, ['channel', 'join', 'ops'], as('erin')).code).toBe(0);
    expect(ids(inbox(dir, 'dave'))).toEqual([all.id, ch.id]);
    expect(ids(inbox(dir, 'dave', ['--channel', 'ops']))).toEqual([ch.id]);
    expect(json(coord(dir, ['channel', 'list', '--json']))).toEqual([{ name: 'ops', members: ['dave', 'erin'] }]);
    expect(coord(dir, ['channel', 'list']).stdout).toMatch(/#ops  dave, erin/);
    expect(coord(dir, ['channel', 'leave', 'ops'], as('dave')).code).toBe(0);
    expect(ids(inbox(dir, 'dave'))).toEqual([all.id]);
    expect(coord(dir, ['channel', 'leave', 'ops'], as('dave')).code).toBe(3);
    // Names that are also properties of every JavaScript object are ordinary names.
    expect(coord(dir, ['channel', 'join', 'constructor'], as('dave')).stdout).toMatch(/joined #constructor/);
    expect(coord(dir, ['channel', 'leave', 'toString'], as('dave')).code).toBe(3);
    // A message to a channel and to a member directly shows once.
    const both = sent(send(dir, 'alice', ['erin,#ops', 'twice?']));
    expect(ids(inbox(dir, 'erin')).filter((i: string) => i === both.id)).toHaveLength(1);
  });

  it('most urgent first, then oldest first; filters and -n', () => {
    const dir = repo();
    const a = sent(send(dir, 'alice', ['bob', 'p2 first']));
    const b = sent(send(dir, 'carol', ['bob', 'p0', '--priority', '0']));
    const c = sent(send(dir, 'alice', ['bob', 'p4', '--priority', '4']));
    const d = sent(send(dir, 'carol', ['bob', 'p2 second', '--thread', 'schema']));
    const e = sent(send(dir, 'alice', ['bob', 'p0 later', '--priority', '0']));
    expect(ids(inbox(dir, 'bob'))).toEqual([b.id, e.id, a.id, d.id, c.id]);
    expect(ids(inbox(dir, 'bob', ['--from', 'carol']))).toEqual([b.id, d.id]);
    expect(ids(inbox(dir, 'bob', ['--thread', 'schema']))).toEqual([d.id]);
    expect(ids(inbox(dir, 'bob', ['-n', '2']))).toEqual([b.id, e.id]);
  });

  it('the body from stdin with -', () => {
    const dir = repo();
    const r = spawnSyncInput(dir, ['send', 'bob', '-', '--json'], 'line one\nline two\n', as('alice'));
    expect(r.code, r.stderr).toBe(0);
    expect(inbox(dir, 'bob')[0].body).toBe('line one\nline two\n');
    // Text output quotes each line and escapes control characters: nothing can pass for output.
    sent(send(dir, 'alice', ['bob', 'fake\n\x1b[2Jgit-coord: all clear\r']));
    const text = coord(dir, ['inbox'], as('bob')).stdout;
    expect(text).toMatch(/  \| fake\n  \| \\x1b\[2Jgit-coord: all clear\\r/);
    expect(text).not.toMatch(/\x1b/);
  });
});

function spawnSyncInput(cwd: string, args: string[], input: string, env: NodeJS.ProcessEnv): Run {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, env: { ...ENV, ...env }, input, encoding: 'utf8' });
  return { code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
}

describe('bad input: exit 2, nothing written', () => {
  const cases: [string, string[], string?][] = [
    ['empty body', ['send', 'bob', '']],
    ['blank body', ['send', 'bob', '  \n ']],
    ['body over 64 KiB', ['send', 'bob', '-'], 'x'.repeat(64 * 1024 + 1)],
    ['empty address', ['send', '', 'hi']],
    ['empty address in a list', ['send', 'bob,,carol', 'hi']],
    ['bad agent address', ['send', 'bob/x', 'hi']],
    ['bad channel', ['send', '#no way', 'hi']],
    ['unknown @ address', ['send', '@everyone', 'hi']],
    ['priority 5', ['send', 'bob', 'hi', '--priority', '5']],
    ['priority word', ['send', 'bob', 'hi', '--priority', 'high']],
    ['bad ttl', ['send', 'bob', 'hi', '--ttl', 'soon']],
    ['zero ttl', ['send', 'bob', 'hi', '--ttl', '0s']],
    ['bad thread', ['send', 'bob', 'hi', '--thread', 'a/b']],
    ['bad wait-reply', ['send', 'bob', 'hi', '--wait-reply', 'later']],
    ['missing text', ['send', 'bob']],
    ['bad message id to ack', ['ack', '../x']],
    ['ack with nothing', ['ack']],
    ['ack ids and --all', ['ack', 'm-1', '--all']],
    ['bad channel to join', ['channel', 'join', '#']],
    ['bad inbox count', ['inbox', '-n', '0']],
    ['bad inbox wait', ['inbox', '--wait', 'forever']],
    ['bad --from', ['inbox', '--from', 'a b']],
    ['reply with empty body', ['reply', 'm-1', '']],
  ];
  it.each(cases)('%s', (_, args, input) => {
    const dir = repo();
    const r = input === undefined ? coord(dir, args, as('alice')) : spawnSyncInput(dir, args, input, as('alice'));
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(refs(dir)).toEqual([]);
  });
  it('sending needs an identity', () => {
    const dir = repo();
    expect(coord(dir, ['send', 'bob', 'hi']).code).toBe(2);
    expect(refs(dir)).toEqual([]);
  });
  it('a bad messages.ttl in the config is exit 2 naming the key; a good one is the default lifetime', () => {
    const dir = repo({ '.git-coord.yml': 'messages:\n  ttl: forever\n' });
    const r = coord(dir, ['send', 'bob', 'hi'], as('alice'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/messages\.ttl/);
    write(dir, { '.git-coord.yml': 'messages:\n  ttl: 2h\n' });
    const m = sent(send(dir, 'alice', ['bob', 'hi']));
    expect(Date.parse(m.expiresAt) - Date.parse(m.sentAt)).toBe(2 * 3_600_000);
    const forever = sent(send(dir, 'alice', ['bob', 'hi', '--ttl', 'none']));
    expect(forever.expiresAt).toBeNull();
  });
});

describe('records written by hand (other agents are not trusted)', () => {
  it('a message that does not parse, or names another id than its ref, is skipped with a warning', () => {
    const dir = repo();
    const good = sent(send(dir, 'alice', ['bob', 'real one']));
    const tree = gitSync(dir, 'hash-object', '-t', 'tree', '-w', '/dev/null').trim();
    const forge = (ref: string, record: object) => {
      const oid = spawnSync('git', ['commit-tree', tree], { cwd: dir, env: ENV, input: `forged\n\n${JSON.stringify(record)}\n`, encoding: 'utf8' }).stdout.trim();
      gitSync(dir, 'update-ref', ref, oid);
    };
    const base = { v: 1, type: 'message', from: 'mallory', subject: '', body: 'x', priority: 0, thread: 't', replyTo: null, sentAt: new Date().toISOString(), expiresAt: null, ack: false };
    forge('refs/coordination/messages/to/bob/m-bad-to', { ...base, id: 'm-bad-to', to: ['bob\u001b[2J'] });
    forge('refs/coordination/messages/to/bob/m-other', { ...base, id: 'm-claimed', to: ['bob'] });
    forge('refs/coordination/messages/member/mallory', { v: 1, type: 'membership', agent: 'mallory', channels: { 'ops\u001b[2J': new Date().toISOString() } });
    const r = coord(dir, ['inbox', '--json'], as('bob'));
    expect(r.code, r.stderr).toBe(0);
    expect(ids(json(r))).toEqual([good.id]);
    expect(r.stderr).toMatch(/skipping unreadable message .*m-bad-to/);
    expect(r.stderr).toMatch(/names another id \(m-claimed\)/);
    const list = coord(dir, ['channel', 'list']);
    expect(list.code).toBe(0);
    expect(list.stdout + list.stderr).not.toMatch(/\x1b/);
  });
});

describe('acknowledgements', () => {
  it('ack removes a message from the inbox (inbox --all still shows it); twice is fine; not addressed to you is exit 3', () => {
    const dir = repo();
    const m = sent(send(dir, 'alice', ['bob,carol', 'handle this', '--ack']));
    const other = sent(send(dir, 'alice', ['carol', 'not for bob']));
    const r = coord(dir, ['ack', m.id, '--json'], as('bob'));
    expect(r.code, r.stderr).toBe(0);
    expect(json(r)).toMatchObject({ ok: true, acked: [{ id: m.id, acked: true }], already: [] });
    expect(inbox(dir, 'bob')).toEqual([]);
    expect(inbox(dir, 'bob', ['--all'])).toMatchObject([{ id: m.id, acked: true, body: 'handle this' }]);
    expect(ids(inbox(dir, 'carol'))).toEqual([m.id, other.id]);
    expect(json(coord(dir, ['ack', m.id, '--json'], as('bob')))).toMatchObject({ acked: [], already: [m.id] });
    const refused = coord(dir, ['ack', other.id, m.id], as('bob'));
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(new RegExp(`not addressed to you.*${other.id}`));
    expect(coord(dir, ['ack', 'm-unknown'], as('bob')).code).toBe(3);
    // bob's delivery ref is gone (the live set shrinks); carol's is still there.
    expect(refs(dir, 'refs/coordination/messages/to/bob/')).toEqual([]);
    expect(refs(dir, 'refs/coordination/messages/to/carol/')).toHaveLength(2);
    // The sender sees who acknowledged.
    const out = json(coord(dir, ['outbox', '--json'], as('alice')));
    const mine = out.find((x: any) => x.id === m.id);
    expect(mine.acks).toEqual({ bob: expect.any(String), carol: null });
    expect(mine.dead).toBe(false);
  });

  it('ack --all; @all and channel messages are acknowledged per agent, and stay for the others', () => {
    const dir = repo();
    coord(dir, ['channel', 'join', 'ops'], as('bob'));
    coord(dir, ['channel', 'join', 'ops'], as('carol'));
    const all = sent(send(dir, 'alice', ['@all', 'everyone', '--ack']));
    const ch = sent(send(dir, 'alice', ['#ops', 'ops people', '--ack']));
    const direct = sent(send(dir, 'alice', ['bob', 'just bob']));
    const r = json(coord(dir, ['ack', '--all', '--json'], as('bob')));
    expect(ids(r.acked).sort()).toEqual([all.id, ch.id, direct.id].sort());
    expect(inbox(dir, 'bob')).toEqual([]);
    expect(ids(inbox(dir, 'carol')).sort()).toEqual([all.id, ch.id].sort());
    expect(json(coord(dir, ['ack', '--all', '--json'], as('bob')))).toMatchObject({ acked: [] });
    const out = json(coord(dir, ['outbox', '--json'], as('alice')));
    // An @all message asking for acks waits for the agents known when it was sent.
    expect(out.find((x: any) => x.id === all.id).acks).toEqual({ bob: expect.any(String), carol: null });
    expect(out.find((x: any) => x.id === ch.id).acks).toEqual({ bob: expect.any(String), carol: null });
  });

  it('the history records sends, acknowledgements, joins and leaves: subjects, never bodies', () => {
    const dir = repo();
    const m = sent(send(dir, 'alice', ['bob', 'the secret body', '--subject', 'schema change']));
    coord(dir, ['ack', m.id], as('bob'));
    coord(dir, ['channel', 'join', 'ops'], as('bob'));
    coord(dir, ['channel', 'leave', 'ops'], as('bob'));
    const log = json(coord(dir, ['log', '--json']));
    const lines = log.map((e: any) => `${e.agent} ${e.action} ${e.subject}`);
    expect(lines).toEqual(expect.arrayContaining([
      `alice send ${m.id} to bob: schema change`,
      `bob ack ${m.id} from alice: schema change`,
      'bob join #ops',
      'bob leave #ops',
    ]));
    expect(JSON.stringify(log)).not.toMatch(/secret body/);
  });
});

describe('replies and threads', () => {
  it('reply goes to the sender (--all: also the other recipients), in the thread, with replyTo', () => {
    const dir = repo();
    const q = sent(send(dir, 'alice', ['bob,carol', 'who owns the schema?', '--subject', 'schema']));
    const r1 = sent(coord(dir, ['reply', q.id, 'I do', '--json'], as('bob')));
    expect(r1).toMatchObject({ from: 'bob', to: ['alice'], thread: q.id, replyTo: q.id, subject: 'Re: schema' });
    const r2 = sent(coord(dir, ['reply', q.id, 'me too', '--all', '--json'], as('carol')));
    expect(r2.to).toEqual(['alice', 'bob']);
    const r3 = sent(coord(dir, ['reply', r1.id, 'thanks', '--json'], as('alice')));
    expect(r3).toMatchObject({ to: ['bob'], thread: q.id, replyTo: r1.id });
    // Every message of the thread each one can see, oldest first: by a message id or the thread id.
    expect(ids(json(coord(dir, ['thread', r3.id, '--json'], as('alice'))))).toEqual([q.id, r1.id, r2.id, r3.id]);
    expect(ids(json(coord(dir, ['thread', q.id, '--json'], as('bob'))))).toEqual([q.id, r1.id, r2.id, r3.id]);
    expect(ids(json(coord(dir, ['thread', q.id, '--json'], as('carol'))))).toEqual([q.id, r2.id]);
    expect(coord(dir, ['thread', q.id], as('dave')).code).toBe(3);
    expect(coord(dir, ['reply', q.id, 'not mine'], as('dave')).code).toBe(3);
    // Acknowledged messages stay in the thread.
    coord(dir, ['ack', '--all'], as('bob'));
    expect(ids(json(coord(dir, ['thread', q.id, '--json'], as('bob'))))).toEqual([q.id, r1.id, r2.id, r3.id]);
  });
});

describe('expiry and dead letters', () => {
  it('an expired message is shown to nobody; one asking for acks that expired unacknowledged is a dead letter', async () => {
    const dir = repo();
    // Lifetimes long enough for the acknowledgements to land first even on a loaded machine.
    const dead = sent(send(dir, 'alice', ['bob,carol', 'ack me', '--ack', '--ttl', '8s']));
    const done = sent(send(dir, 'alice', ['bob', 'ack me too', '--ack', '--ttl', '8s']));
    expect(coord(dir, ['ack', dead.id, done.id], as('bob')).code).toBe(0);
    const plain = sent(send(dir, 'alice', ['bob', 'no ack asked', '--ttl', '1s']));
    const bcast = sent(send(dir, 'alice', ['@all', 'anyone?', '--ack', '--ttl', '1s']));
    const live = sent(send(dir, 'alice', ['bob', 'lives on']));
    const lastExpiry = Math.max(...[dead, done, plain, bcast].map((m) => Date.parse(m.expiresAt)));
    await sleep(Math.max(0, lastExpiry - Date.now()) + 100);
    expect(ids(inbox(dir, 'bob'))).toEqual([live.id]);
    expect(ids(inbox(dir, 'carol'))).toEqual([]);
    expect(ids(inbox(dir, 'bob', ['--all']))).toEqual([live.id]);
    expect(coord(dir, ['ack', plain.id], as('bob')).code).toBe(3);
    expect(coord(dir, ['ack', dead.id], as('bob')).code).toBe(0);
    const out = json(coord(dir, ['outbox', '--json'], as('alice')));
    expect(ids(out).sort()).toEqual([live.id, dead.id, bcast.id].sort());
    const deadOnly = json(coord(dir, ['outbox', '--dead', '--json'], as('alice')));
    expect(ids(deadOnly).sort()).toEqual([dead.id, bcast.id].sort());
    expect(deadOnly.find((x: any) => x.id === dead.id)).toMatchObject({ dead: true, acks: { bob: expect.any(String), carol: null } });
    expect(coord(dir, ['outbox', '--dead'], as('alice')).stdout).toMatch(/DEAD LETTER/);
    // The next send prunes the sender's expired @all ref; the next ack prunes the reader's expired deliveries.
    sent(send(dir, 'alice', ['carol', 'after']));
    expect(refs(dir, 'refs/coordination/messages/all/')).toEqual([]);
    coord(dir, ['ack', live.id], as('bob'));
    expect(refs(dir, 'refs/coordination/messages/to/bob/')).toEqual([]);
    // Dead letters outlive the pruning.
    expect(ids(json(coord(dir, ['outbox', '--dead', '--json'], as('alice')))).sort()).toEqual([dead.id, bcast.id].sort());
  });
});

describe('waiting', () => {
  it('inbox --wait returns when a message arrives, and exits 3 when none does', async () => {
    const dir = repo();
    const none = coord(dir, ['inbox', '--wait', '1s'], as('bob'));
    expect(none.code).toBe(3);
    expect(none.stderr).toMatch(/no message arrived/);
    const waiting = coordAsync(dir, ['inbox', '--wait', '60s', '--json'], as('bob'));
    await sleep(1_000);
    const m = sent(send(dir, 'alice', ['bob', 'here you are']));
    const got = await waiting;
    expect(got.code, got.stderr).toBe(0);
    expect(ids(json(got))).toEqual([m.id]);
  });

  it('send --wait-reply with a responder process; exit 3 when no reply comes, the message stays sent', async () => {
    const dir = repo();
    // The responder: waits for a message, replies to it.
    const script = `
      const { execFileSync } = require('node:child_process');
      const [cli] = process.argv.slice(1);
      const run = (...a) => execFileSync(process.execPath, [cli, ...a, '--agent', 'bob'], { stdio: 'pipe' }).toString();
      const [m] = JSON.parse(run('inbox', '--wait', '60s', '--json'));
      run('reply', m.id, 'pong: ' + m.body);
      run('ack', m.id);`;
    const responder = new Promise<number>((resolve) => {
      const child = spawn(process.execPath, ['-e', script, CLI], { cwd: dir, env: ENV, stdio: 'ignore' });
      child.on('close', (code) => resolve(code ?? 1));
    });
    const r = coord(dir, ['send', 'bob', 'ping', '--wait-reply', '60s', '--json'], as('alice'));
    expect(r.code, r.stderr).toBe(0);
    const out = json(r);
    expect(out.reply).toMatchObject({ from: 'bob', to: ['alice'], body: 'pong: ping', replyTo: out.id, thread: out.id });
    expect(await responder).toBe(0);
    const text = coord(dir, ['send', 'bob', 'anyone?', '--wait-reply', '1s'], as('alice'));
    expect(text.code).toBe(3);
    const stays = text.stdout.trim();
    expect(text.stderr).toMatch(new RegExp(`no reply to ${stays} arrived.*stays sent`));
    expect(ids(inbox(dir, 'bob'))).toContain(stays);
  });
});

describe('concurrency and crashes', () => {
  it('8 processes sending to one recipient at once, 10 rounds: 8 distinct messages each round, no failure, no retry', async () => {
    const dir = repo();
    let seen = new Set<string>();
    for (let round = 0; round < 10; round++) {
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) => coordAsync(dir, ['send', 'bob', `round ${round} from s${i}`, '--json'], { ...as(`s${i}`), GIT_COORD_TRACE: '1' })),
      );
      for (const r of results) {
        expect(r.code, r.stderr).toBe(0);
        expect(r.stderr).toMatch(/trace: send: 0 retries/);
      }
      const list = inbox(dir, 'bob');
      const fresh = list.filter((m: any) => !seen.has(m.id));
      expect(fresh).toHaveLength(8);
      expect(new Set(fresh.map((m: any) => m.body))).toEqual(new Set(Array.from({ length: 8 }, (_, i) => `round ${round} from s${i}`)));
      seen = new Set(ids(list));
    }
    expect(seen.size).toBe(80);
  }, 120_000);

  it('SIGKILL during send and during ack: every message fully sent or absent, no acknowledgement half-recorded', async () => {
    const dir = repo();
    const kill = async (args: string[], agent: string, afterMs: number) => {
      const child = spawn(process.execPath, [CLI, ...args], { cwd: dir, env: { ...ENV, ...as(agent) }, stdio: 'ignore' });
      const closed = new Promise((r) => child.on('close', r));
      await sleep(afterMs);
      child.kill('SIGKILL');
      await closed;
    };
    // How long a whole command takes here; kills land across its second half, where git works.
    const timed = async (args: string[], agent: string) => {
      const t = performance.now();
      expect((await coordAsync(dir, args, as(agent))).code).toBe(0);
      return performance.now() - t;
    };
    const full = await timed(['send', 'nobody', 'warm-up'], 'v0');
    // Sends to two recipients and a channel (three refs a message), killed at staggered moments.
    for (let i = 0; i < 16; i++) await kill(['send', 'bob,carol,#ops', `victim ${i}`], `v${i % 4}`, full * (0.4 + (0.8 * i) / 16));
    // On a busy machine every kill may land before its send is done: two sends that are not
    // killed make sure the acknowledgements below have messages to work on.
    for (let i = 0; i < 2; i++) expect((await coordAsync(dir, ['send', 'bob,carol,#ops', `survivor ${i}`], as('v0'))).code).toBe(0);
    const sends = json(coord(dir, ['log', '-n', '1000', '--json'])).filter((e: any) => e.action === 'send');
    const sentIds = sends.map((e: any) => e.subject.split(' ')[0]).filter((id: string) => !sends.some((e: any) => e.subject === `${id} to nobody`));
    expect(sentIds.length).toBeGreaterThanOrEqual(2);
    const under = (p: string) => refs(dir, `refs/coordination/messages/${p}`).map((r) => r.slice(r.lastIndexOf('/') + 1)).sort();
    // Fully sent (journal entry, and a ref for each address) or absent (none of it).
    expect(under('to/bob/')).toEqual([...sentIds].sort());
    expect(under('to/carol/')).toEqual([...sentIds].sort());
    // The channel address: each message once on its sender's chain (messages/bcast/<sender>).
    expect(chainMessages(dir).map((m) => m.id).sort()).toEqual([...sentIds].sort());
    expect(ids(inbox(dir, 'bob')).sort()).toEqual([...sentIds].sort());
    // Acks killed at staggered moments.
    const fullAck = await timed(['ack', '--all'], 'nobody');
    for (const [i, id] of sentIds.entries()) await kill(['ack', id], 'bob', fullAck * (0.4 + (0.8 * i) / sentIds.length));
    const acked = json(coord(dir, ['log', '-n', '1000', '--json'])).filter((e: any) => e.action === 'ack' && e.agent === 'bob').map((e: any) => e.subject.split(' ')[0]);
    // A message with a channel address is acknowledged in bob's own acks record (its channel ref stays for others).
    const recorded = ackedIn(dir, 'bob');
    // Each message: acknowledged in full (ref gone, receipt, history) or not at all.
    expect(recorded.sort()).toEqual([...acked].sort());
    expect(under('to/bob/')).toEqual(sentIds.filter((id: string) => !acked.includes(id)).sort());
    expect(ids(inbox(dir, 'bob')).sort()).toEqual(sentIds.filter((id: string) => !acked.includes(id)).sort());
    expect(ids(inbox(dir, 'bob', ['--all'])).sort()).toEqual([...sentIds].sort());
    gitSync(dir, 'fsck', '--no-progress');
    // And everything still works: the survivors can acknowledge the rest.
    const rest = coord(dir, ['ack', '--all'], as('bob'));
    expect(rest.code, rest.stderr).toBe(0);
    expect(inbox(dir, 'bob')).toEqual([]);
  }, 120_000);
});

describe('library', () => {
  it('Messages: send, inbox with a bounded wait, ack, outbox, through the library API', async () => {
    const dir = repo();
    process.env.GIT_CONFIG_GLOBAL = '/dev/null';
    process.env.GIT_CONFIG_NOSYSTEM = '1';
    const { Coord, Messages, RefusedError } = await import('../src/index.js');
    const alice = await Coord.open({ cwd: dir, agent: 'alice', env: ENV });
    const bob = await Coord.open({ cwd: dir, agent: 'bob', env: ENV });
    try {
      const m = await new Messages(alice).send('bob', 'from the library', { subject: 'lib', priority: 1, ack: true });
      const box = new Messages(bob);
      expect((await box.inbox({ waitMs: 1_000 })).map((x) => x.id)).toEqual([m.id]);
      expect((await box.ack([m.id])).acked.map((x) => x.id)).toEqual([m.id]);
      await expect(box.inbox({ waitMs: 300 })).rejects.toBeInstanceOf(RefusedError);
      const out = await new Messages(alice).outbox();
      expect(out[0]).toMatchObject({ id: m.id, acks: { bob: expect.any(String) }, dead: false });
    } finally {
      alice.close();
      bob.close();
    }
  });
});
