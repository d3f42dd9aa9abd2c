/** The configuration: `.git-coord.yml` at the top of the work tree, validated by its schema. */
import fs from 'node:fs';
import path from 'node:path';
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
}

export const DEFAULTS: Config = {
  ttlMs: 3_600_000,
  waitMs: 600_000,
  remote: null,
  refresh: 'never',
  pollMs: 1_000,
  hooks: { refresh: 60_000, timeoutMs: 5_000, offline: 'allow' },
};

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
  // It and the file's schema (zod) load only here: most commands run without a config file.
  const [yaml, { ConfigFile }] = await Promise.all([
    import('yaml') as Promise<typeof import('yaml') & { default?: typeof import('yaml') }>,
    import('./config-file.js'),
  ]);
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
    pollMs: Math.max(100, ms(c.poll, 'poll', DEFAULTS.pollMs)),
    hooks: {
      refresh: refresh(c.hooks?.refresh, 'hooks.refresh', DEFAULTS.hooks.refresh),
      timeoutMs: ms(c.hooks?.timeout, 'hooks.timeout', DEFAULTS.hooks.timeoutMs),
      offline: c.hooks?.offline ?? DEFAULTS.hooks.offline,
    },
  };
}
