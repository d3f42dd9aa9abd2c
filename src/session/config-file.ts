/**
 * The schema of `.git-coord.yml` (session/config.ts reads it). A module of its own so that zod
 * loads only when there is a config file to check.
 */
import * as z from 'zod/mini';
import { REMOTE_HINT, REMOTE_NAME } from '../fields.js';
import { DurationText } from '../schemas.js';

const Duration = DurationText;
const RemoteName = z.string().check(z.maxLength(100, REMOTE_HINT), z.regex(REMOTE_NAME, REMOTE_HINT));

/** `.git-coord.yml`. Unknown keys are refused so a typo never silently does nothing. */
export const ConfigFile = z.nullable(
  z.strictObject({
    /** Default lease for `lock` (`none`: never expires). */
    ttl: z.optional(z.union([Duration, z.literal('none')])),
    /** Longest `lock --wait` waits when given no duration. */
    wait: z.optional(Duration),
    /** The git remote that decides every change (agents in separate clones): a configured remote's name. */
    remote: z.optional(RemoteName),
    /** With a remote: the longest a command waits for it in one operation. */
    timeout: z.optional(Duration),
    /** With a remote: reads refresh the local view when it is older than this (`always`, `never`). */
    refresh: z.optional(z.union([Duration, z.literal('always'), z.literal('never')])),
    /** With a remote: how often `lock --wait` asks it again. */
    poll: z.optional(Duration),
    hooks: z.optional(
      z.strictObject({
        /** With a remote: pre-commit refreshes the view when it is older than this. */
        refresh: z.optional(z.union([Duration, z.literal('always'), z.literal('never')])),
        /** How long a hook waits for the remote before giving up. */
        timeout: z.optional(Duration),
        /** When the remote cannot be reached: `allow` checks the last view, `refuse` refuses the commit. */
        offline: z.optional(z.union([z.literal('allow'), z.literal('refuse')])),
      }),
    ),
    tasks: z.optional(
      z.strictObject({
        /** Default lease of a claim (`none`: never expires); else the `ttl` above. */
        ttl: z.optional(z.union([Duration, z.literal('none')])),
      }),
    ),
    agents: z.optional(
      z.strictObject({
        /** An agent seen (any change, or a heartbeat) within this long counts as active. */
        active: z.optional(Duration),
        /** `prune` forgets an agent not seen for this long (`none`: never): its presence and message records, not its history. */
        forget: z.optional(z.union([Duration, z.literal('none')])),
      }),
    ),
    messages: z.optional(
      z.strictObject({
        /** Default lifetime of a message (`none`: never expires); `send --ttl` overrides it. */
        ttl: z.optional(z.union([Duration, z.literal('none')])),
      }),
    ),
    prune: z.optional(
      z.strictObject({
        /** The commands that write prune a little at most this often (`none`: only `git-coord prune` does). */
        auto: z.optional(z.union([Duration, z.literal('none')])),
      }),
    ),
  }),
);
export type ConfigFile = z.infer<typeof ConfigFile>;
