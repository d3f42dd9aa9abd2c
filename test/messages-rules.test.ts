/** The rules of messages, without git: addressing, validation, visibility, order, expiry, dead letters. */
import { describe, expect, it } from 'vitest';
import {
  addressedTo,
  channelName,
  checkBody,
  expired,
  inboxOrder,
  isDead,
  keepUntil,
  keptAcks,
  keptSent,
  newMessageId,
  parseAddresses,
  parsePriority,
  recipientAcks,
  replySubject,
  view,
  DEAD_RETAIN_MS,
  advanceMark,
  examineChain,
  markCovers,
  shouldReroot,
} from '../src/messages/rules.js';
import type { MessageRecord, SentEntry } from '../src/messages/schema.js';
import { deliveryRef, inboxPrefix } from '../src/store/layout.js';

const T0 = Date.parse('2030-01-01T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

function msg(over: Partial<MessageRecord> = {}): MessageRecord {
  return {
    v: 1,
    type: 'message',
    id: 'm-1',
    from: 'alice',
    to: ['bob'],
    subject: '',
    body: 'hi',
    priority: 2,
    thread: 'm-1',
    replyTo: null,
    sentAt: iso(T0),
    expiresAt: iso(T0 + 60_000),
    ack: false,
    ...over,
  };
}

describe('addresses', () => {
  it('agent ids, @all and #channels, comma-separated, trimmed, without duplicates', () => {
    expect(parseAddresses('bob, carol,#ops,@all,bob')).toEqual(['bob', 'carol', '#ops', '@all']);
    expect(parseAddresses(['bob', 'carol,#ops'])).toEqual(['bob', 'carol', '#ops']);
  });
  it.each(['', ',', 'bob,,carol', 'bad/id', '#', '#-x', '@everyone', 'a b', 'x'.repeat(65), '#ops,']) ('refuses %j', (a) => {
    expect(() => parseAddresses(a)).toThrow(/bad address|bad channel name|empty address/);
  });
  it('channel names with or without #', () => {
    expect(channelName('#ops')).toBe('ops');
    expect(channelName('ops')).toBe('ops');
    expect(() => channelName('#a/b')).toThrow(/channel name/);
  });
  it('refs: one per address, valid names', () => {
    expect(deliveryRef('bob', 'm-1')).toBe('refs/coordination/messages/to/bob/m-1');
    expect(deliveryRef('@all', 'm-1')).toBe('refs/coordination/messages/all/m-1');
    expect(deliveryRef('#Ops', 'm-1')).toBe('refs/coordination/messages/channel/_4fps/m-1');
    expect(inboxPrefix('Bob.lock')).toBe('refs/coordination/messages/to/_42ob_2elock/');
  });
});

describe('input', () => {
  it('bodies: not empty, at most 64 KiB', () => {
    expect(() => checkBody('')).toThrow(/empty/);
    expect(() => checkBody(' \n')).toThrow(/empty/);
    expect(() => checkBody('x'.repeat(65536))).not.toThrow();
    expect(() => checkBody('x'.repeat(65537))).toThrow(/64 KiB/);
    expect(() => checkBody('é'.repeat(32769))).toThrow(/65538 bytes/);
  });
  it('priorities 0 to 4', () => {
    expect(parsePriority('0')).toBe(0);
    expect(parsePriority('4')).toBe(4);
    for (const bad of ['5', '-1', '1.5', 'x', '']) expect(() => parsePriority(bad)).toThrow(/priority/);
  });
  it('ids are unique, time-ordered and valid ref components', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => newMessageId(T0)));
    expect(ids.size).toBe(1000);
    for (const id of ids) expect(id).toMatch(/^m-[0-9a-z]+-[0-9a-f]{12}$/);
    expect(newMessageId(T0) < newMessageId(T0 + 1000)).toBe(true);
  });
  it('reply subjects', () => {
    expect(replySubject('schema')).toBe('Re: schema');
    expect(replySubject('RE: schema')).toBe('RE: schema');
    expect(replySubject('')).toBe('');
  });
});

describe('who sees what', () => {
  const none = new Set<string>();
  it('direct, @all (not its sender), channels joined', () => {
    expect(addressedTo(msg(), 'bob', none)).toBe(true);
    expect(addressedTo(msg(), 'carol', none)).toBe(false);
    expect(addressedTo(msg({ to: ['@all'] }), 'zed', none)).toBe(true);
    expect(addressedTo(msg({ to: ['@all'] }), 'alice', none)).toBe(false);
    expect(addressedTo(msg({ to: ['#ops'] }), 'bob', none)).toBe(false);
    expect(addressedTo(msg({ to: ['#ops'] }), 'bob', new Set(['ops']))).toBe(true);
    expect(addressedTo(msg({ to: ['alice'] }), 'alice', none)).toBe(true);
  });
  it('expiry: shown to nobody from expiresAt on; null never expires', () => {
    expect(expired(msg(), T0 + 59_999)).toBe(false);
    expect(expired(msg(), T0 + 60_000)).toBe(true);
    expect(expired(msg({ expiresAt: null }), T0 + 1e12)).toBe(false);
  });
  it('order: most urgent first, then oldest first', () => {
    const list = [
      view(msg({ id: 'a', priority: 2, sentAt: iso(T0) }), false),
      view(msg({ id: 'b', priority: 0, sentAt: iso(T0 + 5) }), false),
      view(msg({ id: 'c', priority: 2, sentAt: iso(T0 - 5) }), false),
      view(msg({ id: 'd', priority: 0, sentAt: iso(T0 + 1) }), false),
    ];
    expect(list.sort(inboxOrder).map((m) => m.id)).toEqual(['d', 'b', 'c', 'a']);
  });
});

describe('what records keep', () => {
  it('acknowledgements until the message expires; a week more when it asked for acks; forever with no expiry', () => {
    expect(keepUntil({ expiresAt: iso(T0), ack: false })).toBe(iso(T0));
    expect(keepUntil({ expiresAt: iso(T0), ack: true })).toBe(iso(T0 + DEAD_RETAIN_MS));
    expect(keepUntil({ expiresAt: null, ack: true })).toBeNull();
    const acks = [
      { id: 'a', oid: 'x', at: iso(T0), until: iso(T0 + 10) },
      { id: 'b', oid: 'y', at: iso(T0), until: null },
    ];
    expect(keptAcks(acks, T0 + 10).map((a) => a.id)).toEqual(['b']);
  });
  it("the sender's index keeps unexpired messages, and those asking for acks a week past expiry", () => {
    const e = (id: string, expiresAt: number | null, ack: boolean): SentEntry => ({ id, oid: 'o', to: ['bob'], ack, expiresAt: expiresAt === null ? null : iso(expiresAt), expect: null, pruned: false });
    const kept = keptSent([e('live', T0 + 1, false), e('gone', T0 - 1, false), e('dead', T0 - 1, true), e('old', T0 - DEAD_RETAIN_MS - 1, true), e('forever', null, false)], T0);
    expect(kept.map((x) => x.id)).toEqual(['live', 'dead', 'forever']);
  });
});

describe('acknowledgements and dead letters', () => {
  const entry = (to: string[], expect: string[] | null = null) => ({ to, expect });
  it('direct recipients, and for @all or channels those it reached plus whoever acknowledged', () => {
    expect(recipientAcks(entry(['bob', 'carol']), 'alice', new Map([['bob', 't1']]))).toEqual({ bob: 't1', carol: null });
    expect(recipientAcks(entry(['@all'], ['bob', 'carol']), 'alice', new Map([['zed', 't2']]))).toEqual({ bob: null, carol: null, zed: 't2' });
    expect(recipientAcks(entry(['#ops']), 'alice', new Map())).toEqual({});
  });
  it('dead: asked for acks, expired, someone (or everyone) missing', () => {
    const m = { ack: true, expiresAt: iso(T0) };
    expect(isDead(m, { bob: 't', carol: null }, T0)).toBe(true);
    expect(isDead(m, { bob: 't' }, T0)).toBe(false);
    expect(isDead(m, {}, T0)).toBe(true);
    expect(isDead(m, { carol: null }, T0 - 1)).toBe(false);
    expect(isDead({ ...m, ack: false }, { carol: null }, T0)).toBe(false);
  });
});

describe('marks on a sender\'s chain', () => {
  const T = Date.parse('2030-01-01T00:00:00.000Z');
  const msg = (i: number, to: string[], ttlMs: number | null = 60_000) => {
    const id = `m-${i}`;
    return {
      oid: `${i}`.padStart(40, '0'),
      record: { v: 1 as const, type: 'message' as const, id, from: 'alice', to, subject: '', body: 'x', priority: 2, thread: id, replyTo: null, sentAt: new Date(T + i).toISOString(), expiresAt: ttlMs === null ? null : new Date(T + i + ttlMs).toISOString(), ack: false },
    };
  };
  const chain = [msg(1, ['@all']), msg(2, ['#ops']), msg(3, ['@all']), msg(4, ['@all'])];

  it('moves past what is acknowledged and what is not addressed to the reader (remembered in skip), stops at the first unread', () => {
    const { mark, covered } = advanceMark(undefined, chain, new Set(['m-1', 'm-3']), 'bob', new Set(), T + 10);
    expect(mark).toMatchObject({ id: 'm-3', oid: chain[2]!.oid, skip: [{ id: 'm-2' }] });
    expect([...covered]).toEqual(['m-1', 'm-2', 'm-3']);
    expect(markCovers(mark, chain[0]!.record)).toBe(true);
    // Passed over unaddressed: not acknowledged (joining #ops shows it).
    expect(markCovers(mark, chain[1]!.record)).toBe(false);
    expect(markCovers(mark, chain[3]!.record)).toBe(false);
    // Acknowledging the skipped one (after joining) clears it; the mark then covers it.
    const next = advanceMark(mark, chain, new Set(['m-2']), 'bob', new Set(['ops']), T + 20).mark;
    expect(next!.skip).toBeUndefined();
    expect(markCovers(next, chain[1]!.record)).toBe(true);
  });

  it('out of order: nothing moves until the first unread is acknowledged; expired ones pass', () => {
    const none = advanceMark(undefined, chain, new Set(['m-3']), 'bob', new Set(['ops']), T + 10);
    expect(none.mark).toBeUndefined();
    // m-1 and m-2 expired: the mark passes them and the acknowledged m-3.
    const later = advanceMark(undefined, chain, new Set(['m-3']), 'bob', new Set(['ops']), T + 60_003);
    expect(later.mark!.id).toBe('m-3');
  });

  it('re-rooting: once as many expired as live; examined only once something expired and the chain doubled', () => {
    expect(shouldReroot(10, 10)).toBe(false);
    expect(shouldReroot(10, 6)).toBe(false);
    expect(shouldReroot(10, 5)).toBe(true);
    expect(shouldReroot(3, 0)).toBe(true);
    const at = new Date(T).toISOString();
    expect(examineChain({ length: 8, checked: 4, firstExpiry: at }, T - 1)).toBe(false);
    expect(examineChain({ length: 8, checked: 4, firstExpiry: at }, T)).toBe(true);
    expect(examineChain({ length: 7, checked: 4, firstExpiry: at }, T)).toBe(false);
    expect(examineChain({ length: 8, checked: 4, firstExpiry: null }, T)).toBe(false);
  });
});
