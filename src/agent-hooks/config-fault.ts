/**
 * An agent hook that cannot read the repository's configuration (`.git-coord.yml` invalid or
 * unreadable) cannot tell what is held: it says so to the agent and lets no write through but the
 * fix of that file (the git hooks refuse commits for the same reason).
 */
import path from 'node:path';
import { CoordError } from '../errors.js';
import { CONFIG_FILE } from '../session/config.js';
import { owningTop, realDir } from './paths.js';

/** The configuration cannot be read (session/config.ts marks its errors `bad-config`). */
export function isConfigFault(e: unknown): e is CoordError {
  return e instanceof CoordError && (e.detail as { code?: unknown }).code === 'bad-config';
}

/** `file` (absolute) is the configuration file at the top of the repository that holds it. */
export function isConfigFile(cwd: string, file: string): boolean {
  const abs = path.resolve(cwd, file);
  return path.basename(abs) === CONFIG_FILE && owningTop(abs) === realDir(path.dirname(abs));
}
