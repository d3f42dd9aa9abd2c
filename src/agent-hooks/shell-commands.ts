/**
 * What each program writes, from its arguments: the per-command rules of shell-writes.ts. A rule
 * names targets through `ctx.target`, says `ctx.unclear()` when the program may write somewhere
 * its arguments do not name, and returns the new directory for `cd`/`pushd`/`popd`.
 */
import path from 'node:path';
import type { Word } from './shell-lex.js';
import { at, join, parse, type Ctx } from './shell-args.js';
import { git } from './shell-git.js';

export type { Ctx } from './shell-args.js';

/** cp, mv, install, ln: the destination (and each source's name inside it, when it is a directory). */
function copyLike(args: Word[], ctx: Ctx, sourcesToo: boolean, short = 'tS', long = ['--target-directory', '--suffix']): void {
  const p = parse(args, short, long);
  const dir = p.opts.get('-t') ?? p.opts.get('--target-directory');
  const ops = p.operands.filter((w) => !/^[^/]*:/.test(w.text) || w.quoted); // rsync/scp remote paths
  if (sourcesToo) for (const s of ops) ctx.target(s);
  if (dir !== undefined && dir.text !== '') {
    ctx.target(dir);
    for (const s of ops) if (!s.dynamic && !s.glob) ctx.target(join(dir, s));
    return;
  }
  if (ops.length < 2) return;
  const dest = ops[ops.length - 1]!;
  ctx.target(dest);
  if (dest.dynamic || dest.glob || p.opts.has('-T') || p.opts.has('--no-target-directory')) return;
  for (const s of ops.slice(0, -1)) if (!s.dynamic && !s.glob) ctx.target(join(dest, s));
}

/** sed: with -i (GNU `-i[SUF]`, `--in-place[=SUF]`, BSD `-i ''`/`-i .bak`), every file operand. */
function sed(args: Word[], ctx: Ctx): void {
  let inPlace = false;
  let script = false;
  const files: Word[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const t = a.text;
    if (t === '--') {
      files.push(...args.slice(i + 1));
      break;
    }
    if (t.startsWith('--')) {
      if (t === '--in-place' || t.startsWith('--in-place=')) inPlace = true;
      else if (t === '--expression' || t === '--file') (i++, (script = true));
      else if (t.startsWith('--expression=') || t.startsWith('--file=')) script = true;
      continue;
    }
    if (t.startsWith('-') && t.length > 1 && !a.quoted) {
      for (let j = 1; j < t.length; j++) {
        const c = t[j]!;
        if (c === 'i' || c === 'I') {
          inPlace = true;
          // `-i` alone then '' or a suffix-looking word: the BSD form (the suffix is its own word).
          const next = args[i + 1];
          if (j === t.length - 1 && next && (next.text === '' || (/^(\.[\w.~-]*|~)$/.test(next.text) && args.length - i > 2))) i++;
          break;
        }
        if (c === 'e' || c === 'f') {
          script = true;
          if (j === t.length - 1) i++;
          break;
        }
        if (c === 'l') {
          if (j === t.length - 1) i++;
          break;
        }
      }
      continue;
    }
    if (!script) script = true; // the first operand is the script
    else files.push(a);
  }
  if (inPlace) for (const f of files) ctx.target(f);
}

/** perl/ruby: -i edits every file operand in place; -e/-E code with no -i is unclear. */
function interpreterInPlace(args: Word[], ctx: Ctx): void {
  let inPlace = false;
  let code = false;
  const ops: Word[] = [];
  for (let i = 0; i < args.length; i++) {
    const t = args[i]!.text;
    if (t === '--') {
      ops.push(...args.slice(i + 1));
      break;
    }
    if (t.startsWith('-') && t.length > 1 && !args[i]!.quoted) {
      for (let j = 1; j < t.length; j++) {
        const c = t[j]!;
        if (c === 'i') {
          inPlace = true;
          break; // the rest of the cluster is the backup suffix
        }
        if (c === 'e' || c === 'E') {
          code = true;
          if (j === t.length - 1) i++;
          break;
        }
        if ('IMmdDxlC0'.includes(c)) break; // take a value attached
      }
      continue;
    }
    ops.push(args[i]!);
  }
  if (!inPlace) {
    if (code || ctx.body !== undefined) ctx.unclear();
    return;
  }
  for (const f of code ? ops : ops.slice(1)) ctx.target(f);
}

const SHELLS = /^(ba|da|z|k|mk|a|fi)?sh$/;
const INTERPRETERS = /^(python[0-9.]*|pypy[0-9.]*|node|nodejs|deno|bun|ruby|php|lua|luajit|Rscript|osascript|tclsh|pwsh|powershell|awk|gawk|mawk|nawk)$/;
/** Wrappers that run the rest of their arguments as a command: how many leading options take a value. */
const WRAPPERS: Record<string, string> = { sudo: 'ugCDhpr', doas: 'uC', nohup: '', nice: 'n', ionice: 'cnp', stdbuf: 'ioe', chronic: '', unbuffer: '', command: '', builtin: '', exec: 'a', time: '', caffeinate: 'tw' };

/** The rule for one simple command (assignments and keywords already removed). */
export function commandRule(words: Word[], ctx: Ctx): string | null | undefined {
  const head = words[0]!;
  if (head.dynamic || head.glob) {
    ctx.unclear();
    return undefined;
  }
  const name = path.posix.basename(head.text);
  const args = words.slice(1);
  if (name in WRAPPERS) {
    let i = 0;
    const withValue = WRAPPERS[name]!;
    if (name === 'command' && args.some((w) => w.text === '-v' || w.text === '-V')) return undefined;
    let dir = ctx.cwd;
    for (; i < args.length && args[i]!.text.startsWith('-') && args[i]!.text !== '-'; i++) {
      const t = args[i]!.text;
      if (t === '--') {
        i++;
        break;
      }
      const last = t[t.length - 1]!;
      if (t.length === 2 && withValue.includes(last)) {
        if (name === 'sudo' && last === 'D') dir = args[i + 1]?.dynamic ? null : path.posix.resolve(dir ?? '/', args[i + 1]?.text ?? '.');
        i++;
      }
    }
    if (/^-?\d+$/.test(args[i]?.text ?? '') && name === 'nice') i++;
    if (i >= args.length) return undefined;
    return commandRule(args.slice(i), at(ctx, dir));
  }
  switch (name) {
    case 'cd':
    case 'pushd': {
      const d = args.find((w) => !w.text.startsWith('-') || w.text === '-');
      if (!d || d.text === '-' || d.dynamic || d.glob) return null;
      if (path.posix.isAbsolute(d.text)) return path.posix.normalize(d.text);
      return ctx.cwd === null ? null : path.posix.resolve(ctx.cwd, d.text);
    }
    case 'popd':
      return null;
    case 'env': {
      let i = 0;
      let dir = ctx.cwd;
      for (; i < args.length; i++) {
        const t = args[i]!.text;
        if (t === '-u' || t === '--unset') i++;
        else if (t === '-C' || t === '--chdir') dir = args[++i]?.dynamic ? null : path.posix.resolve(dir ?? '/', args[i]?.text ?? '.');
        else if (t.startsWith('--chdir=')) dir = path.posix.resolve(dir ?? '/', t.slice(8));
        else if (t === '-S' || t.startsWith('--split-string')) return ctx.unclear(), undefined;
        else if (!(t.startsWith('-') || /^[A-Za-z_][A-Za-z0-9_]*=/.test(t))) break;
      }
      return i < args.length ? commandRule(args.slice(i), at(ctx, dir)) : undefined;
    }
    case 'timeout': {
      let i = 0;
      while (i < args.length && args[i]!.text.startsWith('-')) i += ['-s', '-k', '--signal', '--kill-after'].includes(args[i]!.text) ? 2 : 1;
      return i + 1 < args.length ? commandRule(args.slice(i + 1), ctx) : undefined;
    }
    case 'xargs': {
      let i = 0;
      while (i < args.length && args[i]!.text.startsWith('-')) i += /^-[IiLlnPsdEa]$/.test(args[i]!.text) ? 2 : 1;
      if (i < args.length) {
        const before = { n: 0 };
        // `{}` and the like stand for input lines: not names of their own.
        const named = (w: Word | string, d?: string | null) => {
          if (!(typeof w === 'string' ? w : w.text).includes('{}')) ctx.target(w, d);
          before.n++;
        };
        commandRule(args.slice(i), { ...ctx, target: named });
        // The inner command's operands come from input: unclear when it is one that writes.
        if (WRITERS.has(path.posix.basename(args[i]!.text)) || before.n > 0) ctx.unclear();
      }
      return undefined;
    }
    case 'eval': {
      if (args.some((w) => w.dynamic)) ctx.unclear();
      ctx.script(args.map((w) => w.text).join(' '));
      return undefined;
    }
    case 'tee':
      for (const f of parse(args).operands) if (f.text !== '-') ctx.target(f);
      return undefined;
    case 'sed':
    case 'gsed':
      sed(args, ctx);
      return undefined;
    case 'perl':
    case 'ruby':
      interpreterInPlace(args, ctx);
      return undefined;
    case 'cp':
      copyLike(args, ctx, false);
      return undefined;
    case 'install':
      copyLike(args, ctx, false, 'tSmog', ['--target-directory', '--suffix', '--mode', '--owner', '--group']);
      return undefined;
    case 'rsync':
    case 'scp':
      copyLike(args, ctx, false, name === 'rsync' ? 'eTf' : 'iFoPlcSJ', ['--rsh', '--temp-dir', '--filter', '--exclude', '--include', '--exclude-from', '--include-from']);
      return undefined;
    case 'mv':
      copyLike(args, ctx, true);
      return undefined;
    case 'ln': {
      const p = parse(args, 'tS', ['--target-directory', '--suffix']);
      if (p.opts.has('-t') || p.opts.has('--target-directory')) return copyLike(args, ctx, false), undefined;
      const ops = p.operands;
      if (ops.length === 1 && !ops[0]!.dynamic) ctx.target(path.posix.basename(ops[0]!.text));
      else if (ops.length >= 2) copyLike(args, ctx, false);
      return undefined;
    }
    case 'rm':
    case 'unlink':
    case 'rmdir':
    case 'shred':
    case 'srm':
    case 'ed':
    case 'ex':
      for (const f of parse(args, name === 'shred' ? 'nsu' : '').operands) ctx.target(f);
      return undefined;
    case 'touch':
      for (const f of parse(args, 'dtr', ['--date', '--reference', '--time']).operands) ctx.target(f);
      return undefined;
    case 'truncate':
      for (const f of parse(args, 'sr', ['--size', '--reference']).operands) ctx.target(f);
      return undefined;
    case 'chmod':
    case 'chown':
    case 'chgrp': {
      const p = parse(args);
      const ops = [...p.opts.keys()].some((k) => k === '--reference') ? p.operands : p.operands.slice(1);
      for (const f of ops) ctx.target(f);
      return undefined;
    }
    case 'dd':
      for (const a of args) if (a.text.startsWith('of=')) ctx.target({ ...a, text: a.text.slice(3) });
      return undefined;
    case 'curl': {
      const p = parse(args, 'oKuHdXAeEwTxyzCbcr', ['--output', '--config', '--user', '--header', '--data', '--request']);
      const out = p.opts.get('-o') ?? p.opts.get('--output');
      if (out && out.text !== '-') ctx.target(out);
      if (p.opts.has('-O') || p.opts.has('--remote-name') || p.opts.has('--output-dir')) ctx.unclear();
      return undefined;
    }
    case 'wget': {
      const p = parse(args, 'OoaPe', ['--output-document', '--directory-prefix']);
      const out = p.opts.get('-O') ?? p.opts.get('--output-document');
      if (out && out.text !== '-') ctx.target(out);
      else if (!out) ctx.unclear();
      return undefined;
    }
    case 'git':
      git(args, ctx);
      return undefined;
    case 'apply_patch':
    case 'applypatch': {
      ctx.patch(ctx.body ?? args.map((w) => w.text).join('\n'));
      return undefined;
    }
    case 'patch': {
      const p = parse(args, 'oipdDBFrVzYg', ['--output', '--input', '--directory']);
      if (p.opts.has('--dry-run')) return undefined;
      const out = p.opts.get('-o') ?? p.opts.get('--output');
      if (out) ctx.target(out);
      else ctx.unclear();
      if (p.operands[0]) ctx.target(p.operands[0]);
      return undefined;
    }
    case 'find':
      if (args.some((w) => /^-(delete|exec|execdir|ok|okdir|fprint|fprint0|fprintf|fls)$/.test(w.text))) ctx.unclear();
      return undefined;
    case 'tar':
    case 'unzip':
    case 'gunzip':
    case 'bunzip2':
    case 'unxz':
    case 'cpio':
      if (name !== 'tar' || args.some((w) => /^(-[a-zA-Z]*x|x[a-zA-Z]*$|--extract|--get)/.test(w.text))) ctx.unclear();
      return undefined;
    default:
      break;
  }
  if (SHELLS.test(name)) {
    const c = args.findIndex((w) => /^-[a-zA-Z]*c[a-zA-Z]*$/.test(w.text) && !w.quoted);
    if (c >= 0) {
      const code = args[c + 1];
      if (!code) return undefined;
      if (code.dynamic) ctx.unclear();
      ctx.script(code.text);
    } else if (ctx.body !== undefined) ctx.script(ctx.body);
    return undefined;
  }
  if (INTERPRETERS.test(name)) {
    if (name.endsWith('awk') && args.some((w) => w.text === 'inplace')) {
      // gawk -i inplace 'prog' files…
      const ops = parse(args, 'ivfF').operands;
      for (const f of ops.slice(1)) ctx.target(f);
      return undefined;
    }
    // awk writes only through `print > file`, `|` or system(); other interpreters whenever given code.
    const inline = name.endsWith('awk')
      ? args.some((w) => /[>|]|system\s*\(/.test(w.text))
      : args.some((w) => /^(-c|-e|-E|-p|-r|--eval|--print|-)$/.test(w.text)) || ctx.body !== undefined;
    if (inline) ctx.unclear();
    return undefined;
  }
  return undefined;
}

/** Programs whose operands are write targets (for `xargs <writer>`: unclear). */
const WRITERS = new Set(['rm', 'unlink', 'rmdir', 'shred', 'cp', 'mv', 'install', 'ln', 'touch', 'truncate', 'chmod', 'chown', 'chgrp', 'tee', 'sed', 'gsed', 'perl', 'dd', 'git', 'patch']);
