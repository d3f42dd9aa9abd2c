/**
 * The evident write targets of a shell command, for denying it before it runs when another agent
 * holds one of them: redirections (`>`, `>>`, `>|`, `&>`, `<>`), `tee`, `sed -i`, `perl -i`,
 * `cp`/`mv`/`install`/`ln`, `rm`, `touch`, `truncate`, `chmod`/`chown`, `dd of=`,
 * `git checkout -- <path>`, `git restore <path>`, `git rm`/`git mv`, patches (`apply_patch`),
 * across `;`, `&&`, `||`, `|`, subshells, command substitutions, `bash -c`, `eval`, wrappers
 * (`sudo`, `env`, `timeout`, `xargs`…) and `cd <dir>` (the working directory is tracked).
 *
 * `unclear` means the command may write somewhere this cannot name before it runs: a target
 * holding `$VAR`, a glob or a command substitution, a working directory that is not known, a
 * program that writes what its input or code says (`python -c`, `node -e`, `find -delete`,
 * `xargs rm`, `git checkout <branch>`, `git stash`, `tar -x`…). The caller then compares the
 * work tree before and after the command. A program this does not know (a build, a test run, a
 * script) is not unclear: what it writes is seen only after it ran.
 *
 * A target is an absolute, `/`-separated path; it may name a directory (`rm -r dir`, `cp x dir/`),
 * and then anything below it counts as written. Pure and total: never throws.
 */
import path from 'node:path';
import { lex, REDIRECTS, type Op, type Word } from './shell-lex.js';
import { containsPatch, patchPaths } from './patch.js';
import { commandRule, type Ctx } from './shell-commands.js';

/** The most of a command read; a longer one is unclear (a patch in it is still read). */
export const SHELL_MAX_CHARS = 1024 * 1024;
/** How deep `bash -c`, `eval` and substitutions are followed. */
const MAX_DEPTH = 8;
const OUTPUT = new Set(['>', '>>', '>|', '&>', '&>>', '<>']);
const NOT_FILES = /^\/dev\/(null|stdout|stderr|stdin|tty|zero|full|random|urandom|fd\/\d+)$/;

export interface ShellWrites {
  targets: string[];
  unclear: boolean;
}

interface Acc {
  targets: string[];
  seen: Set<string>;
  unclear: boolean;
  /** An apply_patch fed from a pipe or file: unclear unless the command itself carries the patch. */
  patchElsewhere: boolean;
}

/** The evident write targets of `command` run in `cwd` (absolute). */
export function shellWrites(command: unknown, cwd: string): ShellWrites {
  const acc: Acc = { targets: [], seen: new Set(), unclear: false, patchElsewhere: false };
  if (typeof command !== 'string' || typeof cwd !== 'string') return { targets: [], unclear: typeof command === 'string' };
  const base = cwd.replace(/\\/g, '/');
  if (command.length > SHELL_MAX_CHARS) {
    acc.unclear = true;
    if (containsPatch(command)) for (const p of patchPaths(command, base).paths) add(acc, p);
    return { targets: acc.targets, unclear: true };
  }
  analyse(command, base, 0, acc);
  // A patch anywhere in the command is evident even when what feeds it to apply_patch is not
  // (`echo '…' | apply_patch`): its paths count, read against the command's directory.
  const inline = containsPatch(command) ? patchPaths(command, base).paths : [];
  for (const p of inline) add(acc, p);
  if (acc.patchElsewhere && inline.length === 0) acc.unclear = true;
  return { targets: acc.targets, unclear: acc.unclear };
}

function add(acc: Acc, abs: string): void {
  if (!acc.seen.has(abs)) {
    acc.seen.add(abs);
    acc.targets.push(abs);
  }
}

/** A target word at `cwd` (null: not known): added when evident, else the command is unclear. */
function target(acc: Acc, w: Word | string, cwd: string | null): void {
  const text = typeof w === 'string' ? w : w.text;
  if (typeof w !== 'string' && w.proc) return;
  if (typeof w !== 'string' && (w.dynamic || w.glob)) {
    acc.unclear = true;
    return;
  }
  if (text === '' || text.includes('\0')) return;
  if (NOT_FILES.test(text)) return;
  if (path.posix.isAbsolute(text)) return add(acc, path.posix.normalize(text));
  if (cwd === null) {
    acc.unclear = true;
    return;
  }
  add(acc, path.posix.resolve(cwd, text));
}

interface Cmd {
  words: Word[];
  redirs: { op: Op; target: Word | null }[];
}

function analyse(src: string, cwd: string | null, depth: number, acc: Acc): void {
  if (depth > MAX_DEPTH) {
    acc.unclear = true;
    return;
  }
  const { tokens, unclear } = lex(src);
  if (unclear) acc.unclear = true;
  const frames: (string | null)[] = [cwd];
  /** For each open `(`: whether it opened a subshell (a frame), not a function definition. */
  const parens: boolean[] = [];
  let cmd: Cmd = { words: [], redirs: [] };
  let awaiting: { op: Op; target: Word | null } | null = null;
  let pipedIn = false;

  const end = (sep: string) => {
    const here = frames[frames.length - 1]!;
    const pipedOut = sep === '|' || sep === '|&';
    const cd = run(cmd, here, depth, acc);
    // A cd changes the directory of what follows, unless it ran in a pipeline or the background.
    if (cd !== undefined && !pipedIn && !pipedOut && sep !== '&') frames[frames.length - 1] = cd;
    pipedIn = pipedOut;
    cmd = { words: [], redirs: [] };
    awaiting = null;
  };

  for (const t of tokens) {
    if (t.kind === 'word') {
      if (awaiting) {
        awaiting.target = t;
        awaiting = null;
      } else cmd.words.push(t);
      continue;
    }
    if (REDIRECTS.has(t.op)) {
      awaiting = { op: t, target: null };
      cmd.redirs.push(awaiting);
    } else if (t.op === '(') {
      if (cmd.words.length > 0) {
        parens.push(false); // `f() {…}`: a function definition
        continue;
      }
      end(';');
      parens.push(true);
      frames.push(frames[frames.length - 1]!);
    } else if (t.op === ')') {
      if (parens.pop() === false) {
        cmd = { words: [], redirs: [] }; // the function's name: its body follows
        continue;
      }
      end(';');
      if (frames.length > 1) frames.pop();
    } else end(t.op);
  }
  end(';');
}

const KEYWORDS = new Set(['!', '{', '}', 'if', 'then', 'else', 'elif', 'fi', 'do', 'done', 'while', 'until', 'time', 'esac', 'coproc']);
const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*(\[[^\]]*\])?\+?=/;

/** Runs one simple command's rules; returns the directory it changes to (null: unknown), if a cd. */
function run(cmd: Cmd, cwd: string | null, depth: number, acc: Acc): string | null | undefined {
  let words = cmd.words;
  while (words.length && ((KEYWORDS.has(words[0]!.text) && !words[0]!.quoted) || ASSIGNMENT.test(words[0]!.text))) {
    const w = words[0]!;
    if (!KEYWORDS.has(w.text)) for (const sub of w.subs) analyse(sub, cwd, depth + 1, acc);
    words = words.slice(1);
  }
  const first = words[0];
  const test = first?.text === '[[' && !first.quoted;
  for (const r of cmd.redirs) {
    for (const sub of [...(r.target?.subs ?? []), ...(r.op.subs ?? [])]) analyse(sub, cwd, depth + 1, acc);
    if (test || !r.target) continue;
    const op = r.op.op;
    if (OUTPUT.has(op) || (op === '>&' && !/^(\d+|-)$/.test(r.target.text))) target(acc, r.target, cwd);
  }
  for (const w of words) for (const sub of w.subs) analyse(sub, cwd, depth + 1, acc);
  if (!first || test) return undefined;
  if (first.text === 'for' || first.text === 'select') return undefined;
  // `function f { body`: the body's first command follows the name (and an optional `()`).
  if (first.text === 'function') return words.length > 2 ? run({ words: words.slice(2), redirs: [] }, cwd, depth, acc) : undefined;
  if (first.text === 'case') {
    acc.unclear = true;
    return undefined;
  }
  const body = cmd.redirs.find((r) => r.op.body !== undefined)?.op.body;
  const ctx: Ctx = {
    cwd,
    body,
    target: (w, dir = cwd) => target(acc, w, dir),
    unclear: () => {
      acc.unclear = true;
    },
    script: (text, dir = cwd) => analyse(text, dir, depth + 1, acc),
    patch: (text, dir = cwd) => {
      const r = dir === null ? null : patchPaths(text, dir);
      for (const p of r?.paths ?? []) add(acc, p);
      if (!r?.paths.length) acc.patchElsewhere = true;
    },
  };
  return commandRule(words, ctx);
}
