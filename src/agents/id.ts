/** Agent ids: 1 to 64 letters, digits, `.`, `_` and `-`, starting with a letter or digit. */
import { UsageError } from '../errors.js';

export const AGENT_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function validateAgentId(id: string, source: string): string {
  if (!AGENT_ID.test(id)) {
    throw new UsageError(
      `bad agent id ${JSON.stringify(id)} (from ${source}): use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit`,
    );
  }
  return id;
}
