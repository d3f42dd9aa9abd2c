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
  /** How often `lock --wait` polls the remote, in ms. */
  pollMs: number;
  hooks: { refresh: Refresh; timeoutMs: number; offline: 'allow' | 'refuse' };
  /** Default lease of a task claim in ms (null: never expires); without `tasks.ttl`, the `ttl`. */
  tasks: { ttlMs: number | null };
  /** An agent seen within this many ms counts as active. */
  agents: { activeMs: number };
}

export const DEFAULTS: Config = {
  ttlMs: 3_600_000,
  waitMs: 600_000,
  remote: null,
  refresh: 'never',
  pollMs: 1_000,
  hooks: { refresh: 60_000, timeoutMs: 5_000, offline: 'allow' },
  tasks: { ttlMs: 3_600_000 },
  agents: { activeMs: 900_000 },
};

const Duration = z.string().check(z.regex(/^(\d+[smhdw])+$/, 'expected a duration such as 90s, 30m, 2h, 1d or 1h30m'));
const RemoteName = z.string().check(z.regex(/^[^\s:]+$/, 'expected the name of a git remote, such as origin'));

/** `.git-coord.yml`. Unknown keys are refused so a typo never silently does nothing. */
export const ConfigFile = z.nullable(
  z.strictObject({
    /** Default lease for `lock` (`none`: never expires). */
    ttl: z.optional(z.union([Duration, z.literal('none')])),
    /** Longest `lock --wait` waits when given no duration. */
    wait: z.optional(Duration),
    /** The git remote that decides every change (agents in separate clones). */
    remote: z.optional(RemoteName),
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
  const ttlMs = c.ttl === undefined ? DEFAULTS.ttlMs : parseDuration(c.ttl, 'ttl in config', true);
  return {
    ttlMs,
    waitMs: ms(c.wait, 'wait', DEFAULTS.waitMs),
    remote: c.remote ?? null,
    refresh: refresh(c.refresh, 'refresh', DEFAULTS.refresh),
    pollMs: Math.max(100, ms(c.poll, 'poll', DEFAULTS.pollMs)),
    hooks: {
      refresh: refresh(c.hooks?.refresh, 'hooks.refresh', DEFAULTS.hooks.refresh),
      timeoutMs: ms(c.hooks?.timeout, 'hooks.timeout', DEFAULTS.hooks.timeoutMs),
      offline: c.hooks?.offline ?? DEFAULTS.hooks.offline,
    },
    tasks: { ttlMs: c.tasks?.ttl === undefined ? ttlMs : parseDuration(c.tasks.ttl, 'tasks.ttl in config', true) },
    agents: { activeMs: ms(c.agents?.active, 'agents.active', DEFAULTS.agents.activeMs) },
  };
}
