/**
 * Shared context: facts every agent can read (`context set/get/list/rm`). Each key is one record
 * on its own ref; every change is a compare-and-swap of that ref from the state that was read,
 * with its journal entry in the same swap, so of any number of agents changing one key from the
 * same version exactly one succeeds. With a remote as the authority the swap is its atomic push.
 */
import { FailedError } from '../errors.js';
import { printable } from '../printable.js';
import { CONTEXT, contextRef, journalRef } from '../store/layout.js';
import { cas, commit } from '../store/cas.js';
import { decode, type ReadMode, type RefEntry } from '../store/records.js';
import type { Coord } from '../session/coord.js';
import { ContextRecord } from './schema.js';
import { byKey, decideRemove, decideSet, notSet, validateExpect, validateKey, validateValue, view, type ContextView } from './rules.js';

export type { ContextView };


export interface ChangeOptions {
  /** The version the key must be at (0: it must not exist); else the change applies to whatever is there. */
  expect?: number;
}

interface Current {
  oid: string | null;
  record: ContextRecord | null;
  journal: string | null;
}

/** The shared context of one session. Every method returns the contract's JSON shapes. */
export class SharedContext {
  constructor(private readonly ctx: Coord) {}

  /** The record on `key`'s ref (null: never set), and with `me` the agent's journal head, in one read. */
  private async current(key: string, me: string | null, mode: ReadMode): Promise<Current> {
    const ref = contextRef(key);
    const jref = me ? journalRef(me) : null;
    const entries = await this.ctx.store.entries(jref ? [ref, jref] : [ref], mode);
    const journal = (jref && entries.find((e) => e.ref === jref)?.oid) ?? null;
    const entry = entries.find((e) => e.ref === ref);
    if (!entry) return { oid: null, record: null, journal };
    const { records, corrupt } = decode(ContextRecord, [entry]);
    const rec = records[0]?.record;
    if (!rec || rec.key !== key) {
      // Writing over it would restart or repeat its versions: leave it for a person to look at.
      const problem = corrupt[0]?.problem ?? `it names key ${printable(rec?.key ?? '')}`;
      throw new FailedError(`cannot read context key ${printable(key)} (${ref} at ${entry.oid.slice(0, 10)}): ${problem}`, { key, ref });
    }
    return { oid: entry.oid, record: rec, journal };
  }

  /** Sets `key` to `value`: its next version. Refused (RefusedError) when `expect` does not hold. */
  async set(key: string, value: string, opts: ChangeOptions = {}): Promise<ContextView> {
    validateKey(key);
    validateValue(value);
    if (opts.expect !== undefined) validateExpect(opts.expect);
    const me = this.ctx.requireAgent();
    return this.change(key, me, 'context-set', (cur, now) => decideSet(key, value, cur, opts.expect, me, now));
  }

  /** Removes `key` (its version still rises). Refused when it does not exist or `expect` does not hold. Returns the removed value's view with the removal's version. */
  async remove(key: string, opts: ChangeOptions = {}): Promise<ContextView> {
    validateKey(key);
    if (opts.expect !== undefined) validateExpect(opts.expect);
    const me = this.ctx.requireAgent();
    let removed = '';
    const tomb = await this.change(key, me, 'context-rm', (cur, now) => {
      const rec = decideRemove(key, cur, opts.expect, me, now);
      removed = cur!.value!;
      return rec;
    });
    return { ...tomb, value: removed };
  }

  /** One compare-and-swap of the key's ref per round, until it lands or `decide` refuses. */
  private async change(
    key: string,
    me: string,
    action: 'context-set' | 'context-rm',
    decide: (cur: ContextRecord | null, now: number) => ContextRecord,
  ): Promise<ContextView> {
    const ref = contextRef(key);
    return cas(this.ctx.store, me, async () => {
      const cur = await this.current(key, me, 'authority');
      const now = this.ctx.now();
      const rec = decide(cur.record, now);
      const change = { ref, oldOid: cur.oid, record: rec, subject: `${action} ${key}`, event: { action, subject: key } };
      return commit([change], cur.journal, now, { key, value: rec.value ?? '', version: rec.version, agent: rec.agent, at: rec.at });
    });
  }

  /** The key's value; refused (exit 3) when it does not exist. */
  async get(key: string): Promise<ContextView> {
    validateKey(key);
    const cur = await this.current(key, null, this.ctx.readMode());
    const v = cur.record && view(cur.record);
    if (!v) throw notSet(key, cur.record);
    return v;
  }

  /** Every key that exists, by name. Unreadable records are skipped with a warning. */
  async list(): Promise<ContextView[]> {
    const entries: RefEntry[] = await this.ctx.store.entries([CONTEXT], this.ctx.readMode());
    const { records, corrupt } = decode(ContextRecord, entries);
    for (const c of corrupt) this.ctx.warn(`skipping unreadable context record ${c.ref} (${c.oid.slice(0, 10)}): ${c.problem}`);
    const out: ContextView[] = [];
    for (const r of records) {
      // A record on the wrong ref (made by hand) would shadow the real one: trust matching names only.
      if (r.ref !== contextRef(r.record.key)) {
        this.ctx.warn(`skipping context record ${r.ref}: it names key ${printable(r.record.key)}`);
        continue;
      }
      const v = view(r.record);
      if (v) out.push(v);
    }
    return out.sort(byKey);
  }
}
