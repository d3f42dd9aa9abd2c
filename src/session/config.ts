/** The configuration: `.git-coord.yml` at the top of the work tree, validated by its schema. */
import fs from 'node:fs';
import path from 'node:path';
import * as z from 'zod/mini';
import type { Repo } from '../git/repo.js';
import { UsageError } from '../errors.js';
import { parseDuration } from './duration.js';

export const CONFIG_FILE = '.git-coord.yml';
/** A refresh policy: always, never, or when the view is older than this many ms. */
export type Refresh = 'always' | 'never' | number;

export interface Config {
  /** Default lease in ms; null: locks never expire. */
  ttlMs: number | null;
  /** Longest `lock --wait` in ms when no duration is given. */
  waitMs: number;
  /** The remote that decides, or null: this repository's own refs decide. */
  remote: string | null;
  /** When reads refresh the local view of the remote. */
  refresh: Refresh;
  /** The longest a command waits for the remote in one operation, in ms. */
  timeoutMs: number;
  /** How often `lock --wait` polls the remote, in ms. */
  pollMs: number;
  hooks: { refresh: Refresh; timeoutMs: number; offline: 'allow' | 'refuse' };
}

export const DEFAULTS: Config = {
  ttlMs: 3_600_000,
  waitMs: 600_000,
  remote: null,
  refresh: 'never',
  timeoutMs: 30_000,
  pollMs: 1_000,
  hooks: { refresh: 60_000, timeoutMs: 5_000, offline: 'allow' },
};

const Duration = z.string().check(z.regex(/^(\d+[smhdw])+$/, 'expected a duration such as 90s, 30m, 2h, 1d or 1h30m'));
/**
 * A git remote's name (as `git remote add` accepts, in the common spelling): letters, digits,
 * `.`, `_`, `+`, `-`, components joined by `/`, starting with a letter or digit. So it is never
 * an option, a URL or a path; whether such a remote is configured is checked before use.
 */
export const REMOTE_NAME = /^(?!.*\.\.)(?!.*\.lock$)[A-Za-z0-9][A-Za-z0-9._+-]*(?:\/[A-Za-z0-9][A-Za-z0-9._+-]*)*$/;
const REMOTE_HINT = 'expected the name of a git remote, such as origin (`git remote` lists them), not a URL or a path';
const RemoteName = z.string().check(z.maxLength(100, REMOTE_HINT), z.regex(REMOTE_NAME, REMOTE_HINT));

/** Checks a remote name given on the command line (`--remote`): exit 2 when it is not one. */
export function validateRemoteName(name: string, source: string): string {
  if (name.length > 100 || !REMOTE_NAME.test(name)) throw new UsageError(`bad remote ${JSON.stringify(name)} (from ${source}): ${REMOTE_HINT}`);
  return name;
}

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
  }),
);
export type ConfigFile = z.infer<typeof ConfigFile>;

/** Reads `.git-coord.yml` at the top of the work tree; the yaml parser is loaded only when there is one. */
export async function loadConfig(repo: Repo): Promise<Config> {
  if (!repo.top) return DEFAULTS;
  const file = path.join(repo.top, CONFIG_FILE);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return DEFAULTS;
  }
  // yaml is CommonJS: once bundled, its functions may sit on the namespace or on its default.
  const yaml = (await import('yaml')) as typeof import('yaml') & { default?: typeof import('yaml') };
  const parse = yaml.parse ?? yaml.default!.parse;
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (e) {
    throw new UsageError(`invalid ${CONFIG_FILE}: ${(e as Error).message.split('\n')[0]}`);
  }
  const r = ConfigFile.safeParse(doc ?? null);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const keys = 'keys' in issue && Array.isArray(issue.keys) ? issue.keys.join(', ') : issue.path.join('.');
    const what = issue.code === 'unrecognized_keys' ? `unknown key ${keys}` : `${keys || 'the file'}: ${issue.message}`;
    throw new UsageError(`invalid ${CONFIG_FILE}: ${what}`);
  }
  const c = r.data ?? {};
  const ms = (v: string | undefined, key: string, dflt: number) => (v === undefined ? dflt : parseDuration(v, `${key} in config`)!);
  const refresh = (v: string | undefined, key: string, dflt: Refresh): Refresh =>
    v === undefined ? dflt : v === 'always' || v === 'never' ? v : ms(v, key, 0);
  return {
    ttlMs: c.ttl === undefined ? DEFAULTS.ttlMs : parseDuration(c.ttl, 'ttl in config', true),
    waitMs: ms(c.wait, 'wait', DEFAULTS.waitMs),
    remote: c.remote ?? null,
    refresh: refresh(c.refresh, 'refresh', DEFAULTS.refresh),
    // A time limit of 0 would mean none: every remote operation has one.
    timeoutMs: Math.max(100, ms(c.timeout, 'timeout', DEFAULTS.timeoutMs)),
    pollMs: Math.max(100, ms(c.poll, 'poll', DEFAULTS.pollMs)),
    hooks: {
      refresh: refresh(c.hooks?.refresh, 'hooks.refresh', DEFAULTS.hooks.refresh),
      timeoutMs: Math.max(100, ms(c.hooks?.timeout, 'hooks.timeout', DEFAULTS.hooks.timeoutMs)),
      offline: c.hooks?.offline ?? DEFAULTS.hooks.offline,
    },
  };
}
