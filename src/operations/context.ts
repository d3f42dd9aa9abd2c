/** The shared context operations: set, get, list, remove (the contract's JSON shapes: `{key, value, version, agent, at}`). */
import { SharedContext, type ContextView } from '../context/context.js';
import type { Coord } from '../session/coord.js';

export type { ContextView };

export interface SetContextInput {
  key: string;
  /** Text, 1 byte to 64 KiB in UTF-8, without NUL. */
  value: string;
  /** Change only if the key is at this version (0: only if it does not exist); else RefusedError, nothing changed. */
  expect?: number;
}

export async function setContext(ctx: Coord, input: SetContextInput): Promise<ContextView> {
  return new SharedContext(ctx).set(input.key, input.value, input.expect === undefined ? {} : { expect: input.expect });
}

/** The key's value; RefusedError (exit 3) when it does not exist. */
export async function getContext(ctx: Coord, input: { key: string }): Promise<ContextView> {
  return new SharedContext(ctx).get(input.key);
}

/** Every key that exists, by name. */
export async function listContext(ctx: Coord): Promise<ContextView[]> {
  return new SharedContext(ctx).list();
}

/** Removes the key (its version still rises): the removed value with the removal's version, agent and time. */
export async function removeContext(ctx: Coord, input: { key: string; expect?: number }): Promise<ContextView> {
  return new SharedContext(ctx).remove(input.key, input.expect === undefined ? {} : { expect: input.expect });
}
