/**
 * git's subcommands that write the work tree: `checkout -- <path>`, `restore` (not `--staged`
 * alone), `rm`, `mv`; those that rewrite it beyond their arguments (a branch switch, `stash`,
 * `reset --hard`, `clean`, `apply`, `pull`…) make the command unclear.
 */
import path from 'node:path';
import type { Word } from './shell-lex.js';
import { join, parse, type Ctx } from './shell-args.js';

/** git: the subcommands that write the work tree. */
export function git(args: Word[], ctx: Ctx): void {
  let dir = ctx.cwd;
  let i = 0;
  for (; i < args.length; i++) {
    const t = args[i]!.text;
    if (t === '-C') {
      const d = args[++i];
      if (!d || d.dynamic) dir = null;
      else dir = dir === null && !path.posix.isAbsolute(d.text) ? null : path.posix.resolve(dir ?? '/', d.text);
    } else if (t === '-c' || t === '--git-dir' || t === '--namespace' || t === '--exec-path') i++;
    else if (t.startsWith('--work-tree')) ctx.unclear();
    else if (!t.startsWith('-')) break;
  }
  const sub = args[i]?.text;
  const rest = args.slice(i + 1);
  const paths = (ws: Word[]) => {
    for (const w of ws) {
      if (w.text.startsWith(':')) ctx.unclear(); // pathspec magic
      else ctx.target(w, dir);
    }
  };
  switch (sub) {
    case 'checkout': {
      const dd = rest.findIndex((w) => w.text === '--' && !w.quoted);
      if (dd >= 0) return paths(rest.slice(dd + 1));
      const p = parse(rest, 'bB', ['--orphan', '--conflict']);
      ctx.unclear(); // a branch switch, or paths and a tree-ish we cannot tell apart
      if (!p.opts.has('-b') && !p.opts.has('-B') && !p.opts.has('--orphan')) paths(p.operands);
      return;
    }
    case 'restore': {
      const p = parse(rest, 's', ['--source', '--conflict']);
      if (p.opts.has('--pathspec-from-file')) ctx.unclear();
      const staged = p.opts.has('-S') || p.opts.has('--staged');
      const worktree = p.opts.has('-W') || p.opts.has('--worktree');
      if (staged && !worktree) return; // the index only
      return paths(p.operands);
    }
    case 'rm': {
      const p = parse(rest);
      if (p.opts.has('--cached') || p.opts.has('-n') || p.opts.has('--dry-run')) return;
      return paths(p.operands);
    }
    case 'mv': {
      const ops = parse(rest).operands;
      paths(ops);
      const dest = ops[ops.length - 1];
      if (dest && ops.length >= 2 && !dest.dynamic) for (const s of ops.slice(0, -1)) if (!s.dynamic && !s.glob) ctx.target(join(dest, s), dir);
      return;
    }
    case 'stash': {
      const what = rest.find((w) => !w.text.startsWith('-'))?.text;
      if (what !== 'list' && what !== 'show' && what !== 'branch' && what !== 'create' && what !== 'store') ctx.unclear();
      return;
    }
    case 'reset':
      if (rest.some((w) => ['--hard', '--merge', '--keep'].includes(w.text))) ctx.unclear();
      return;
    case 'clean':
      if (!rest.some((w) => w.text === '-n' || w.text === '--dry-run' || /^-[a-zA-Z]*n/.test(w.text))) ctx.unclear();
      return;
    case 'apply':
      if (!rest.some((w) => ['--check', '--stat', '--numstat', '--summary', '--cached'].includes(w.text))) ctx.unclear();
      return;
    case 'switch':
    case 'merge':
    case 'pull':
    case 'rebase':
    case 'cherry-pick':
    case 'revert':
    case 'am':
    case 'read-tree':
    case 'submodule':
    case 'worktree':
    case 'sparse-checkout':
      ctx.unclear();
      return;
    default:
      return;
  }
}

