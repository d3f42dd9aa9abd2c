/** Agent ids: the rule is src/fields.ts's (AGENT_ID_RE); this checks a given id against it. */
import { UsageError } from '../errors.js';
import { AGENT_ID_HINT, AGENT_ID_RE } from '../fields.js';

/** The id rule (an alias of AGENT_ID_RE, kept for the code that imports it by this name). */
export const AGENT_ID = AGENT_ID_RE;

export function validateAgentId(id: string, source: string): string {
  if (!AGENT_ID_RE.test(id)) throw new UsageError(`bad agent id ${JSON.stringify(id)} (from ${source}): ${AGENT_ID_HINT}`);
  return id;
}
