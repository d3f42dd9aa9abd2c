/**
 * What a command is: its name, its one-line summary, its arguments and options, and what it does.
 * Each concept's commands live in one module under commands/ and export a list of these; main.ts
 * loads only the module of the command being run.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Coord } from '../session/coord.js';
import type { Output } from './output.js';
import { UsageError } from '../errors.js';

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** May be given more than once; the value is then an array. */
  multiple?: boolean;
  /** The value's placeholder in help, such as `<duration>`. */
  value?: string;
  /**
   * The value may be left out (`--wait` or `--wait 5m`): as with most parsers, the next word is
   * the value unless it starts with `-`; left out, the value is the empty string. (Taking the next
   * word only when it looks like a value would silently turn a mistyped value into an argument.)
   */
  optionalValue?: boolean;
  help: string;
}

export type OptionValues = Record<string, string | boolean | string[] | undefined>;

export interface Invocation {
  ctx: Coord;
  out: Output;
  opts: OptionValues;
  args: string[];
  /**
   * Reads the text an argument `-` stands for: the process's stdin, at most `maxBytes` bytes
   * (more: exit 2, the rest unread), strictly UTF-8.
   */
  stdin?: (maxBytes: number, what?: string) => Promise<string>;
  /** Other faces this one starts (the MCP server), handed in by the entry (src/cli.ts): no face imports another. */
  faces: Faces;
}

/** The other faces a command can start. */
export interface Faces {
  /** Serves MCP on stdio with this session; `reopen` opens another session like it (for a call that waits). */
  serveMcp(ctx: Coord, version: string, reopen: () => Promise<Coord>): Promise<void>;
  /** Serves the web board on 127.0.0.1 until `signal` aborts; `url` is what to print, `closed` when it stopped. */
  serveBoard(
    ctx: Coord,
    opts: { port: number; signal: AbortSignal; onWarning?: (msg: string) => void },
  ): Promise<{ url: string; closed: Promise<void> }>;
}

export interface CommandSpec {
  /** One word, or a group and a word (`task add`). */
  name: string;
  summary: string;
  /** The positional arguments as help shows them, such as `<pattern>...`. */
  args?: string;
  minArgs?: number;
  maxArgs?: number;
  options?: Record<string, OptionSpec>;
  /** The command changes state: git's writing processes start while the repository is found. */
  writes?: boolean;
  /** Returns the exit code (0 when nothing is returned). */
  run(inv: Invocation): Promise<number | void>;
}

/** A string option's value, or undefined when not given. */
export function str(opts: OptionValues, name: string): string | undefined {
  const v = opts[name];
  return typeof v === 'string' ? v : undefined;
}

/** A repeatable option's values (empty when not given). */
export function list(opts: OptionValues, name: string): string[] {
  const v = opts[name];
  return Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];
}

/**
 * The git-coord that is running: its Node and its bundled CLI (the entry script, through npx's
 * symlink), and the package root. Hooks and agent settings call exactly these, so they work
 * where a worktree has no node_modules.
 */
export function runtime(): { node: string; cli: string; root: string } {
  const cli = fs.realpathSync(process.argv[1]!);
  return { node: process.execPath, cli, root: path.resolve(path.dirname(cli), '..') };
}

/** A count option such as `-n`: a whole number, 1 or more; `fallback` when not given. */
export function count(opts: OptionValues, name: string, fallback?: number): number | undefined {
  const raw = str(opts, name);
  if (raw === undefined) return fallback;
  const n = /^[0-9]{1,9}$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= 1)) throw new UsageError(`bad count for ${name.length === 1 ? '-' : '--'}${name}: ${JSON.stringify(raw)} (a whole number, 1 or more)`);
  return n;
}
