/**
 * The shared parts of the shell rules: the context a rule writes its findings to, and the
 * splitting of a program's arguments into options and operands.
 */
import path from 'node:path';
import type { Word } from './shell-lex.js';

export interface Ctx {
  /** The working directory (absolute), or null when a cd made it unknown. */
  cwd: string | null;
  /** The here-document fed to the command, if any. */
  body: string | undefined;
  target(w: Word | string, dir?: string | null): void;
  unclear(): void;
  /** Analyses a shell script (`bash -c`, `eval`, a here-document fed to a shell). */
  script(text: string, dir?: string | null): void;
  /** Reads an apply_patch patch (when it names no file, its patch came from elsewhere). */
  patch(text: string, dir?: string | null): void;
}

/** The same context with another working directory for everything that follows. */
export function at(ctx: Ctx, dir: string | null): Ctx {
  return {
    ...ctx,
    cwd: dir,
    target: (w, d = dir) => ctx.target(w, d),
    script: (t, d = dir) => ctx.script(t, d),
    patch: (t, d = dir) => ctx.patch(t, d),
  };
}

export interface Parsed {
  /** Option name (`-x`, `--long`) to its value (an empty word for a flag); the last one wins. */
  opts: Map<string, Word>;
  /** Every option as given, in order (for clusters such as `-pi`). */
  flags: string[];
  operands: Word[];
}

/**
 * Splits arguments into options and operands. `short` lists the short options that take a value
 * (`-t dir`, `-tdir`), `long` the long ones (`--target-directory dir`, `--target-directory=dir`).
 */
export function parse(args: Word[], short = '', long: string[] = []): Parsed {
  const out: Parsed = { opts: new Map(), flags: [], operands: [] };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const t = a.text;
    if (t === '--' && !a.dynamic) {
      out.operands.push(...args.slice(i + 1));
      break;
    }
    if (t.startsWith('--') && t.length > 2) {
      const eq = t.indexOf('=');
      const name = eq < 0 ? t : t.slice(0, eq);
      out.flags.push(name);
      if (eq >= 0) out.opts.set(name, { ...a, text: t.slice(eq + 1) });
      else if (long.includes(name) && i + 1 < args.length) out.opts.set(name, args[++i]!);
      else out.opts.set(name, EMPTY);
    } else if (t.startsWith('-') && t.length > 1 && !a.quoted) {
      out.flags.push(t);
      for (let j = 1; j < t.length; j++) {
        const c = t[j]!;
        if (short.includes(c)) {
          const v = j + 1 < t.length ? { ...a, text: t.slice(j + 1) } : i + 1 < args.length ? args[++i]! : EMPTY;
          out.opts.set(`-${c}`, v);
          break;
        }
        out.opts.set(`-${c}`, EMPTY);
      }
    } else out.operands.push(a);
  }
  return out;
}

export const EMPTY: Word = { kind: 'word', text: '', dynamic: false, glob: false, quoted: false, subs: [] };
export const join = (dir: Word, src: Word): string => `${dir.text.replace(/\/+$/, '')}/${path.posix.basename(src.text)}`;

