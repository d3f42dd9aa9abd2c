/** The configuration: `.git-coord.yml` at the top of the work tree, validated by its schema. */
import fs from 'node:fs';
import path from 'node:path';
import type { Repo } from '../git/repo.js';
import { UsageError } from '../errors.js';
import { parseDuration } from './duration.js';
import { printable } from '../printable.js';
import { REMOTE_HINT, REMOTE_NAME } from '../fields.js';
export { REMOTE_HINT, REMOTE_NAME };

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
  /** Default lifetime of a message in ms; null: messages never expire. */
  messages: { ttlMs: number | null };
  /** Default lease of a task claim in ms (null: never expires); without `tasks.ttl`, the `ttl`. */
  tasks: { ttlMs: number | null };
  /** An agent seen within this many ms counts as active; `prune` forgets one not seen for `forgetMs` (null: never). */
  agents: { activeMs: number; forgetMs: number | null };
  /** The commands that write prune a little (operations/upkeep.ts) at most this often, in ms (null: only `prune` does). */
  prune: { autoMs: number | null };
}

export const DEFAULTS: Config = {
  ttlMs: 3_600_000,
  waitMs: 600_000,
  remote: null,
  refresh: 'never',
  timeoutMs: 30_000,
  pollMs: 1_000,
  hooks: { refresh: 60_000, timeoutMs: 5_000, offline: 'allow' },
  messages: { ttlMs: 7 * 86_400_000 },
  tasks: { ttlMs: 3_600_000 },
  agents: { activeMs: 900_000, forgetMs: 30 * 86_400_000 },
  prune: { autoMs: 600_000 },
};

/**
 * A git remote's name (as `git remote add` accepts, in the common spelling): letters, digits,
 * `.`, `_`, `+`, `-`, components joined by `/`, starting with a letter or digit. So it is never
 * an option, a URL or a path; whether such a remote is configured is checked before use.
 */
/** Checks a remote name given on the command line (`--remote`): exit 2 when it is not one. */
export function validateRemoteName(name: string, source: string): string {
  if (name.length > 100 || !REMOTE_NAME.test(name)) throw new UsageError(`bad remote ${JSON.stringify(name)} (from ${source}): ${REMOTE_HINT}`);
  return name;
}


/** A config file is a few lines; anything this large is not one. */
export const CONFIG_MAX_BYTES = 64 * 1024;

/**
 * The text of `.git-coord.yml`, or null when there is none. Only a regular file is read, at most
 * CONFIG_MAX_BYTES: the file is committed, so anyone can make it a FIFO (reading would hang), a
 * link to /dev/zero (endless) or to a file outside the repository. A symbolic link to a regular
 * file inside the work tree is followed. Opened non-blocking and checked on the open descriptor,
 * so the file cannot be swapped between the check and the read.
 */
function readConfigText(top: string): string | null {
  const file = path.join(top, CONFIG_FILE);
  const invalid = (why: string) => new UsageError(`invalid ${CONFIG_FILE}: ${why}`);
  const errno = (e: unknown) => (e as NodeJS.ErrnoException).code ?? (e as Error).message;
  let target = file;
  try {
    if (fs.lstatSync(file).isSymbolicLink()) {
      try {
        target = fs.realpathSync(file);
      } catch (e) {
        throw invalid(`a link that cannot be followed (${errno(e)})`);
      }
      if (!target.startsWith(fs.realpathSync(top) + path.sep)) throw invalid(`a link to ${target}, outside the work tree`);
    }
  } catch (e) {
    if (e instanceof UsageError) throw e;
    if (errno(e) === 'ENOENT') return null;
    throw invalid(`cannot read it (${errno(e)})`);
  }
  let fd: number;
  try {
    fd = fs.openSync(target, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | fs.constants.O_NOFOLLOW);
  } catch (e) {
    throw invalid(`cannot read it (${errno(e)})`);
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw invalid('not a regular file');
    if (st.size > CONFIG_MAX_BYTES) throw invalid(`${st.size} bytes, more than ${CONFIG_MAX_BYTES}`);
    // Read one byte more than allowed: a file that grew since fstat is caught too.
    const buf = Buffer.alloc(CONFIG_MAX_BYTES + 1);
    let n = 0;
    for (let got; n < buf.length && (got = fs.readSync(fd, buf, n, buf.length - n, null)) > 0; ) n += got;
    if (n > CONFIG_MAX_BYTES) throw invalid(`more than ${CONFIG_MAX_BYTES} bytes`);
    return buf.subarray(0, n).toString('utf8');
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Reads `.git-coord.yml` at the top of the work tree; the yaml parser is loaded only when there is
 * one. Every problem with it is a UsageError with `detail.code` 'bad-config' (the agent hooks tell
 * the agent, and let no held path through).
 */
export async function loadConfig(repo: Repo): Promise<Config> {
  try {
    return await readConfig(repo);
  } catch (e) {
    if (e instanceof UsageError) throw new UsageError(e.message, { ...e.detail, code: 'bad-config', file: CONFIG_FILE });
    throw e;
  }
}

async function readConfig(repo: Repo): Promise<Config> {
  if (!repo.top) return DEFAULTS;
  const text = readConfigText(repo.top);
  if (text === null) return DEFAULTS;
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
    // Keys are the committer's text: shown escaped (no forged lines), and only the first few.
    const named = 'keys' in issue && Array.isArray(issue.keys) ? (issue.keys as string[]) : [issue.path.map(String).join('.')];
    const keys = named.slice(0, 5).map(printable).join(', ') + (named.length > 5 ? ` and ${named.length - 5} more` : '');
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
    // A time limit of 0 would mean none: every remote operation has one.
    timeoutMs: Math.max(100, ms(c.timeout, 'timeout', DEFAULTS.timeoutMs)),
    pollMs: Math.max(100, ms(c.poll, 'poll', DEFAULTS.pollMs)),
    hooks: {
      refresh: refresh(c.hooks?.refresh, 'hooks.refresh', DEFAULTS.hooks.refresh),
      timeoutMs: Math.max(100, ms(c.hooks?.timeout, 'hooks.timeout', DEFAULTS.hooks.timeoutMs)),
      offline: c.hooks?.offline ?? DEFAULTS.hooks.offline,
    },
    messages: {
      ttlMs: c.messages?.ttl === undefined ? DEFAULTS.messages.ttlMs : parseDuration(c.messages.ttl, 'messages.ttl in config', true),
    },
    tasks: { ttlMs: c.tasks?.ttl === undefined ? ttlMs : parseDuration(c.tasks.ttl, 'tasks.ttl in config', true) },
    agents: {
      activeMs: ms(c.agents?.active, 'agents.active', DEFAULTS.agents.activeMs),
      forgetMs: c.agents?.forget === undefined ? DEFAULTS.agents.forgetMs : parseDuration(c.agents.forget, 'agents.forget in config', true),
    },
    prune: { autoMs: c.prune?.auto === undefined ? DEFAULTS.prune.autoMs : parseDuration(c.prune.auto, 'prune.auto in config', true) },
  };
}
