/**
 * The message record schemas, loaded on first use: building them (and loading zod) costs a
 * command several ms, so a read starts its git process first and loads them while git works
 * (as locks/query.ts does). Import the types from schema.ts; take the values from here.
 */
import type * as Schemas from './schema.js';

let loading: Promise<typeof Schemas> | undefined;
export function messageSchemas(): Promise<typeof Schemas> {
  return (loading ??= import('./schema.js'));
}
