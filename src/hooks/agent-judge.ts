/**
 * Which repository judges each path an agent's tool call writes, for both agent hooks (Claude
 * Code's, Codex's) and every kind of write (a file tool, a patch, a shell command's evident
 * targets):
 *
 * - a write through a symbolic link writes where the link lands, even when that does not exist
 *   yet: the link and the end of its chain are both judged (agent-hooks/paths.ts `writeTargets`);
 * - a path is judged by the repository that holds it: the nearest enclosing repository or worktree
 *   (`owningTop`), not the one the session started in; a stray `.git` (empty, or naming nothing)
 *   opens no repository, so the session's own repository still judges what lies in its work tree;
 * - a repository whose configuration cannot be read judges nothing: the write is refused, unless
 *   it is the fix of that very file (agent-hooks/config-fault.ts).
 */
import path from 'node:path';
import type { Coord } from '../session/coord.js';
import { insideTree, judgeWrites } from '../operations/agent-writes.js';
import type { PublicConflict } from '../operations/locks.js';
import { owningTop, writeTargets } from '../agent-hooks/paths.js';
import { isConfigFault, isConfigFile } from '../agent-hooks/config-fault.js';

/** Opens the session of the repository at a directory (agent.ts's Sessions). */
export interface SessionSource {
  at(dir: string, agent?: string): Promise<Coord | null>;
}

/** Other agents' locks over the targets, or the problem of a configuration that cannot be read. */
export type Judged = { held: PublicConflict[] } | { configFault: string };

/**
 * The targets (absolute) and, for each that is a symbolic link, where its chain ends. A target
 * named as a directory (a trailing `/`) is kept as it is.
 */
export function expandLinks(targets: string[]): string[] {
  const out = new Set<string>();
  for (const t of targets) {
    if (t.endsWith('/')) out.add(t);
    else for (const p of writeTargets(t)) out.add(p.split(path.sep).join('/'));
  }
  return [...out];
}

/** `t` (absolute) is the configuration file at the top of the repository that holds it. */
const isConfig = (t: string) => isConfigFile(path.dirname(t), t);

/** Every target (and where each link among them lands) is a configuration file. */
export function onlyConfigFiles(targets: string[]): boolean {
  return expandLinks(targets).every(isConfig);
}

/**
 * What other agents hold of `targets` (absolute), each judged by the repository that holds it:
 * `here` (the session's own, null when the cwd is in none) or a session opened there for `me`.
 */
export async function judgeAcross(sessions: SessionSource, here: Coord | null, targets: string[], me: string | null, warn: (msg: string) => void): Promise<Judged> {
  const mine: string[] = [];
  const elsewhere = new Map<string, string[]>();
  for (const t of expandLinks(targets)) {
    const top = owningTop(t.endsWith('/') ? t.slice(0, -1) : t);
    if (here && (top === null || top === here.repo.top)) mine.push(t);
    else {
      const at = top ?? path.dirname(t);
      elsewhere.set(at, [...(elsewhere.get(at) ?? []), t]);
    }
  }
  const held: PublicConflict[] = [];
  for (const [at, group] of elsewhere) {
    let ctx: Coord | null;
    try {
      ctx = await sessions.at(at, me ?? undefined);
    } catch (e) {
      if (!isConfigFault(e)) throw e;
      if (group.every(isConfig)) continue;
      return { configFault: e.message };
    }
    try {
      const theirs: string[] = [];
      for (const t of group) {
        // No repository there after all (a stray `.git` an agent made to hide a held file): the
        // session's own repository still judges what lies in its work tree.
        if (ctx && (insideTree(ctx.repo.top, t) !== null || !here)) theirs.push(t);
        else if (here) mine.push(t);
      }
      if (ctx && theirs.length > 0) held.push(...(await judgeWrites(ctx, { targets: theirs, agent: me, mode: 'view' })));
    } finally {
      ctx?.close();
      for (const w of ctx?.warnings ?? []) warn(w);
    }
  }
  if (here && mine.length > 0) held.push(...(await judgeWrites(here, { targets: mine, agent: me, mode: 'view' })));
  // A link and where it lands may name the same held path: once.
  const once = new Map(held.map((h) => [`${h.agent}\0${h.pattern}\0${h.path}`, h]));
  return { held: [...once.values()] };
}
