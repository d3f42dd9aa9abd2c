/**
 * `setup codex --trust`: trusts git-coord's own Codex hooks, as a user would by approving them in
 * Codex's `/hooks`, and only when asked. Codex runs a hook only once `[hooks.state."<key>"]
 * trusted_hash` in `$CODEX_HOME/config.toml` matches the hash of its handler; the hash is Codex's
 * own, so it is asked for: `codex app-server` (JSON-RPC on stdio: `initialize`, `initialized`,
 * `hooks/list` with the project's directory) lists each hook's `key` and `currentHash`
 * (scripts/real-clients/FINDINGS.md). Only hooks of this project's `.codex/hooks.json` whose
 * command is git-coord's `hook codex` are trusted; every key written is returned, to be shown.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { FailedError, UsageError } from '../errors.js';
import { planFile, writePlanned } from './setup-files.js';

/** The longest `codex app-server` may take to list the hooks. */
const APP_SERVER_TIMEOUT_MS = 30_000;
/** The most of app-server's output read. */
const MAX_OUTPUT = 4 * 1024 * 1024;

export interface TrustedHook {
  key: string;
  hash: string;
}

interface ListedHook {
  key?: unknown;
  currentHash?: unknown;
  command?: unknown;
  source?: unknown;
  trustStatus?: unknown;
}

/** The hooks `codex app-server` lists for `cwd`. `codex`: the command that runs Codex (argv). */
function listHooks(codex: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<ListedHook[]> {
  return new Promise((resolve, reject) => {
    let p;
    try {
      p = spawn(codex[0]!, [...codex.slice(1), 'app-server'], { cwd, env, stdio: ['pipe', 'pipe', 'ignore'] });
    } catch (e) {
      reject(new FailedError(`cannot start codex app-server: ${(e as Error).message}`));
      return;
    }
    let buf = '';
    let size = 0;
    let done = false;
    const finish = (err: Error | null, hooks?: ListedHook[]) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      p.kill();
      if (err) reject(err);
      else resolve(hooks ?? []);
    };
    const timer = setTimeout(() => finish(new FailedError('codex app-server did not list the hooks within 30 s')), APP_SERVER_TIMEOUT_MS);
    p.on('error', (e) => finish(new FailedError(`cannot start ${codex[0]}: ${e.message} (is Codex installed? GIT_COORD_CODEX names its command)`)));
    p.on('close', () => finish(new FailedError('codex app-server ended before listing the hooks')));
    const send = (o: unknown) => p.stdin.write(`${JSON.stringify(o)}\n`);
    p.stdin.on('error', () => undefined);
    p.stdout.setEncoding('utf8');
    p.stdout.on('data', (d: string) => {
      size += d.length;
      if (size > MAX_OUTPUT) return finish(new FailedError('codex app-server: too much output'));
      buf += d;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        let msg: { id?: unknown; result?: { data?: { hooks?: ListedHook[] }[] }; error?: { message?: string } };
        try {
          msg = JSON.parse(line);
        } catch {
          continue;
        }
        if (msg.id === 1) {
          send({ jsonrpc: '2.0', method: 'initialized' });
          send({ jsonrpc: '2.0', id: 2, method: 'hooks/list', params: { cwds: [cwd] } });
        } else if (msg.id === 2) {
          if (msg.error) return finish(new FailedError(`codex app-server hooks/list: ${String(msg.error.message ?? 'error')}`));
          return finish(null, (msg.result?.data ?? []).flatMap((c) => (Array.isArray(c?.hooks) ? c.hooks : [])));
        }
      }
    });
    send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { clientInfo: { name: 'git-coord', version: '1' } } });
  });
}

/** The command that runs Codex: GIT_COORD_CODEX (split on spaces), else `codex` on PATH. */
export function codexCommand(env: NodeJS.ProcessEnv = process.env): string[] {
  const given = env.GIT_COORD_CODEX?.trim();
  return given ? given.split(/\s+/) : ['codex'];
}

const tomlString = (s: string) => JSON.stringify(s);

/**
 * Trusts git-coord's hooks in `hooksFile` (absolute) for the project at `top`: writes each one's
 * trusted_hash to `<codexHome>/config.toml`. Returns the hooks trusted (those already trusted
 * with the same hash are left as they are, and not returned).
 */
export async function trustCodexHooks(input: { top: string; hooksFile: string; codexHome: string; isOurs: (command: unknown) => boolean }): Promise<TrustedHook[]> {
  const env = { ...process.env, CODEX_HOME: input.codexHome };
  const listed = await listHooks(codexCommand(), input.top, env);
  const ours = listed.filter((h) => typeof h.key === 'string' && h.key.startsWith(`${input.hooksFile}:`) && typeof h.currentHash === 'string' && input.isOurs(h.command));
  if (ours.length === 0)
    throw new UsageError(`Codex lists none of git-coord's hooks for ${input.top}: trust the project first (start codex there once and accept), then run setup codex --trust again`);
  const todo = ours.filter((h) => h.trustStatus !== 'trusted').map((h) => ({ key: h.key as string, hash: h.currentHash as string }));
  if (todo.length === 0) return todo;
  const file = path.join(input.codexHome, 'config.toml');
  const plan = planFile(file, file, input.codexHome);
  const toml = await import('smol-toml');
  const cur = plan.current ?? '';
  let doc: Record<string, unknown>;
  try {
    doc = toml.parse(cur) as Record<string, unknown>;
  } catch (e) {
    throw new UsageError(`${file} is not valid TOML (${(e as Error).message.split('\n')[0]}): fix it, then run setup codex --trust again`);
  }
  const state = ((doc.hooks as Record<string, unknown> | undefined)?.state ?? {}) as Record<string, unknown>;
  let text: string;
  if (todo.every((t) => state[t.key] === undefined)) {
    // Appended as text: the file's comments are kept.
    const tables = todo.map((t) => `[hooks.state.${tomlString(t.key)}]\ntrusted_hash = ${tomlString(t.hash)}\n`).join('\n');
    text = `${cur.replace(/\n*$/, cur ? '\n\n' : '')}${tables}`;
    try {
      toml.parse(text);
    } catch {
      text = '';
    }
  } else text = '';
  if (!text) {
    const hooks = (doc.hooks ?? {}) as Record<string, unknown>;
    const st = { ...(hooks.state as Record<string, unknown> | undefined) };
    for (const t of todo) st[t.key] = { ...(st[t.key] as object | undefined), trusted_hash: t.hash };
    text = `${toml.stringify({ ...doc, hooks: { ...hooks, state: st } })}\n`;
  }
  writePlanned(plan, text);
  return todo;
}
