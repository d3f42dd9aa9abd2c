/**
 * The command line: finds the command, parses its options with node's own `util.parseArgs`
 * (no parser to load on every lock), opens the session, runs it, prints. Exit codes follow the
 * contract: 0 done, 1 failed, 2 bad usage, 3 refused by coordination.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { CoordError, EXIT, UsageError } from '../errors.js';
import { Coord } from '../session/coord.js';
import { printable } from '../printable.js';
import { Writers } from '../store/records.js';
import { VERSION } from '../version.js';
import { readStdin } from '../stdin.js';
import { Output } from './output.js';
import { errorText } from './render.js';
import type { CommandSpec, Faces, OptionSpec, OptionValues } from './command.js';

/** Each command's module: loaded only when that command runs (or for the full help). */
const MODULES = {
  locks: () => import('./commands/locks.js'),
  session: () => import('./commands/session.js'),
  hooks: () => import('./commands/hooks.js'),
  integrations: () => import('./commands/integrations.js'),
  messages: () => import('./commands/messages.js'),
  tasks: () => import('./commands/tasks.js'),
  agents: () => import('./commands/agents.js'),
  context: () => import('./commands/context.js'),
  'task-export': () => import('./commands/task-export.js'),
  live: () => import('./commands/live.js'),
  verify: () => import('./commands/verify.js'),
} satisfies Record<string, () => Promise<{ commands: CommandSpec[] }>>;

type ModuleName = keyof typeof MODULES;

/** Which module serves each command, in the order help lists them. */
const INDEX: Record<string, ModuleName> = {
  whoami: 'session',
  lock: 'locks',
  unlock: 'locks',
  renew: 'locks',
  locks: 'locks',
  check: 'locks',
  prune: 'locks',
  verify: 'verify',
  'task add': 'tasks',
  'task import': 'tasks',
  'task list': 'tasks',
  'task show': 'tasks',
  'task edit': 'tasks',
  'task comment': 'tasks',
  'task done': 'tasks',
  'task fail': 'tasks',
  'task release': 'tasks',
  'task reopen': 'tasks',
  'task depend': 'tasks',
  'task undepend': 'tasks',
  'task export': 'task-export',
  claim: 'tasks',
  heartbeat: 'agents',
  agents: 'agents',
  status: 'agents',
  log: 'session',
  watch: 'live',
  board: 'live',
  sync: 'session',
  send: 'messages',
  reply: 'messages',
  inbox: 'messages',
  ack: 'messages',
  thread: 'messages',
  outbox: 'messages',
  'channel join': 'messages',
  'channel leave': 'messages',
  'channel list': 'messages',
  'context set': 'context',
  'context get': 'context',
  'context list': 'context',
  'context rm': 'context',
  'install-hooks': 'hooks',
  'uninstall-hooks': 'hooks',
  prime: 'integrations',
  mcp: 'integrations',
  'setup claude': 'integrations',
  'setup codex': 'integrations',
};

/**
 * Commands whose first git exchange is a write (a lock writes its pending record before it reads):
 * git's `update-ref` starts before the command's module loads and its options are parsed, so its
 * start-up overlaps that work. Started in the current directory; a session opened elsewhere (-C)
 * closes it and starts its own (Coord.open).
 */
const WRITE_FIRST = new Set(['lock']);

/** Words that take a second word naming the command (`task add`). */
const GROUPS = new Set(Object.keys(INDEX).filter((n) => n.includes(' ')).map((n) => n.split(' ')[0]!));

/** Accepted before or after the command. */
const GLOBAL: Record<string, OptionSpec> = {
  C: { type: 'string', short: 'C', value: '<dir>', help: 'run as if started in <dir>' },
  agent: { type: 'string', value: '<id>', help: 'act as this agent (else GIT_COORD_AGENT, else `whoami --set`)' },
  json: { type: 'boolean', help: 'print exactly one JSON document on stdout' },
  remote: { type: 'string', value: '<name>', help: 'this git remote decides every change (else the config\'s remote)' },
  fresh: { type: 'boolean', help: 'with a remote: refresh the local view before reading' },
  help: { type: 'boolean', short: 'h', help: 'show help' },
  version: { type: 'boolean', help: 'print the version' },
};

/** The command's words: the first word that is not a global option (and its value), and for a group the next. */
function findCommand(argv: string[]): { name: string | null; rest: string[] } {
  const rest: string[] = [];
  const words: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    const takesValue = a === '-C' || a === '--agent' || a === '--remote';
    if (takesValue) {
      rest.push(a, ...(i + 1 < argv.length ? [argv[++i]!] : []));
      continue;
    }
    if (words.length === 0 && !a.startsWith('-')) {
      words.push(a);
      // A group's command is the word right after it (`task add`; `task --help` names none).
      if (GROUPS.has(a) && i + 1 < argv.length && !argv[i + 1]!.startsWith('-')) words.push(argv[++i]!);
    } else rest.push(a);
  }
  return { name: words.length ? words.join(' ') : null, rest };
}

function suggest(name: string): string {
  const near = Object.keys(INDEX).filter((c) => c.startsWith(name.slice(0, 3)) || distance(c, name) <= 2);
  return near.length ? ` (did you mean ${near.map((c) => `'${c}'`).join(' or ')}?)` : '';
}

function distance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0]!;
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = d[j]!;
      d[j] = Math.min(d[j]! + 1, d[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return d[b.length]!;
}

/** `--wait` alone, or `--wait 5m`: the next word is the value unless it is an option. */
function fillOptionalValues(rest: string[], options: Record<string, OptionSpec>): string[] {
  const out: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (a === '--') {
      out.push(...rest.slice(i));
      break;
    }
    const spec = a.startsWith('--') && !a.includes('=') ? options[a.slice(2)] : undefined;
    if (spec?.optionalValue) {
      const next = rest[i + 1];
      out.push(next !== undefined && !next.startsWith('-') ? `${a}=${rest[++i]}` : `${a}=`);
    } else out.push(a);
  }
  return out;
}

function optionLine(name: string, o: OptionSpec): string {
  const flag = `${o.short ? `-${o.short}${name.length > 1 ? ', ' : ''}` : ''}${name.length > 1 ? `--${name}` : ''}`;
  const value = o.type === 'string' ? (o.optionalValue ? ` [${o.value ?? '<value>'}]` : ` ${o.value ?? '<value>'}`) : '';
  return `  ${(flag + value).padEnd(28)} ${o.help}${o.multiple ? ' (repeatable)' : ''}`;
}

function commandHelp(c: CommandSpec): { text: string; json: unknown } {
  const usage = `git-coord ${c.name}${c.args ? ` ${c.args}` : ''}${c.options ? ' [options]' : ''}`;
  const lines = [`usage: ${usage}`, '', c.summary, ''];
  if (c.options) lines.push('options:', ...Object.entries(c.options).map(([n, o]) => optionLine(n, o)), '');
  lines.push('global options:', ...Object.entries(GLOBAL).map(([n, o]) => optionLine(n, o)));
  const opts = Object.fromEntries(Object.entries({ ...c.options, ...GLOBAL }).map(([n, o]) => [n, { type: o.type, help: o.help }]));
  return { text: lines.join('\n'), json: { command: c.name, usage, summary: c.summary, options: opts } };
}

async function allCommands(): Promise<CommandSpec[]> {
  const mods = await Promise.all(Object.values(MODULES).map((load) => load()));
  const byName = new Map(mods.flatMap((m) => m.commands).map((c) => [c.name, c]));
  return Object.keys(INDEX).map((n) => byName.get(n)!);
}

async function programHelp(): Promise<{ text: string; json: unknown }> {
  const cmds = await allCommands();
  const width = Math.max(...cmds.map((c) => c.name.length)) + 2;
  const text = [
    'usage: git-coord <command> [options]',
    '',
    'Locks, claims and messages for agents working in parallel on one git repository.',
    '',
    'commands:',
    ...cmds.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    '',
    'global options:',
    ...Object.entries(GLOBAL).map(([n, o]) => optionLine(n, o)),
    '',
    'git-coord <command> --help shows a command\'s options. Exit codes: 0 done, 1 failed, 2 bad usage, 3 refused.',
  ].join('\n');
  return { text, json: { usage: 'git-coord <command> [options]', version: VERSION, commands: cmds.map((c) => ({ name: c.name, summary: c.summary })) } };
}

export async function main(argv: string[], faces: Faces): Promise<number> {
  const json = argv.includes('--json');
  let out = new Output(json);
  let early: Writers | undefined;
  try {
    const { name, rest } = findCommand(argv);
    if (name !== null && WRITE_FIRST.has(name) && !rest.includes('--help') && !rest.includes('-h')) {
      early = new Writers(process.cwd());
      early.warm();
    }
    const wantsHelp = rest.includes('--help') || rest.includes('-h');
    if (name === null) {
      if (rest.includes('--version')) {
        out.result({ version: VERSION }, () => VERSION);
        return EXIT.ok;
      }
      const help = await programHelp();
      if (wantsHelp) {
        out.result(help.json, () => help.text);
        return EXIT.ok;
      }
      // No command is bad usage: help goes to stderr so a script's stdout stays clean.
      if (json) out.result({ ok: false, code: EXIT.usage, error: 'no command given', ...(help.json as object) }, () => '');
      process.stderr.write(`${help.text}\n`);
      return EXIT.usage;
    }
    const mod = INDEX[name];
    if (!mod && GROUPS.has(name)) {
      const subs = Object.keys(INDEX).filter((n) => n.startsWith(`${name} `)).map((n) => n.slice(name.length + 1));
      if (wantsHelp) {
        const cmds = (await allCommands()).filter((c) => c.name.startsWith(`${name} `));
        const width = Math.max(...cmds.map((c) => c.name.length)) + 2;
        out.result({ group: name, commands: cmds.map((c) => ({ name: c.name, summary: c.summary })) }, () =>
          [`usage: git-coord ${name} <command> [options]`, '', 'commands:', ...cmds.map((c) => `  ${c.name.padEnd(width)}${c.summary}`)].join('\n'),
        );
        return EXIT.ok;
      }
      throw new UsageError(`${name} needs a command: ${subs.join(', ')} (git-coord ${name} <command> --help)`);
    }
    if (!mod) throw new UsageError(`unknown command '${name}'${suggest(name)}; git-coord --help lists them`);
    const spec = (await MODULES[mod]()).commands.find((c) => c.name === name)!;
    if (wantsHelp) {
      const help = commandHelp(spec);
      out.result(help.json, () => help.text);
      return EXIT.ok;
    }
    const options = { ...spec.options, ...GLOBAL };
    let parsed: { values: OptionValues; positionals: string[] };
    try {
      parsed = parseArgs({
        args: fillOptionalValues(rest, options),
        options: Object.fromEntries(
          Object.entries(options).map(([n, o]) => [n, { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) }]),
        ),
        strict: true,
        allowPositionals: true,
      }) as { values: OptionValues; positionals: string[] };
    } catch (e) {
      throw new UsageError(`${name}: ${(e as Error).message.replace(/\. To specify a positional argument.*$/s, '')}`);
    }
    const { values: opts, positionals: args } = parsed;
    if (opts.version) {
      out.result({ version: VERSION }, () => VERSION);
      return EXIT.ok;
    }
    const min = spec.minArgs ?? 0;
    const max = spec.maxArgs ?? (spec.args ? Infinity : 0);
    if (args.length < min) throw new UsageError(`${name}: missing ${spec.args ?? 'arguments'} (usage: git-coord ${name} ${spec.args ?? ''})`);
    if (args.length > max) throw new UsageError(`${name}: unexpected argument ${JSON.stringify(args[max])}`);
    for (const key of ['C', 'agent', 'remote'] as const) {
      if (opts[key] === '') throw new UsageError(`${key.length === 1 ? '-' : '--'}${key} needs a non-empty value`);
    }
    out = new Output(Boolean(opts.json));
    const C = opts.C as string | undefined;
    const ctx = await Coord.open({
      cwd: C ? path.resolve(C) : process.cwd(),
      writes: Boolean(spec.writes),
      ...(early ? { writers: early } : {}),
      fresh: Boolean(opts.fresh),
      ...(typeof opts.agent === 'string' ? { agent: opts.agent } : {}),
      ...(typeof opts.remote === 'string' ? { remote: opts.remote } : {}),
    });
    try {
      const code = (await spec.run({ ctx, out, opts, args, stdin: readStdin, faces })) ?? EXIT.ok;
      // The answer is out; a command that writes then keeps the board's state bounded, a little at a time.
      if (spec.writes) await upkeepQuietly(ctx);
      return code;
    } finally {
      ctx.close();
      for (const w of ctx.warnings) out.warn(w);
      for (const n of ctx.notes) process.stderr.write(`git-coord: ${n}\n`);
    }
  } catch (e) {
    if (e instanceof CoordError) {
      const { message, detail } = errorText(e);
      out.error(message, e.exitCode, detail);
      return e.exitCode;
    }
    const msg = process.env.GIT_COORD_DEBUG ? ((e as Error)?.stack ?? String(e)) : ((e as Error)?.message ?? String(e));
    out.error(`unexpected error: ${msg}`, EXIT.failed, {});
    return EXIT.failed;
  } finally {
    // Writers started early: ended with the session that took them, or here when none did (bad
    // usage, help). Closing twice is nothing.
    early?.close();
  }
}

/** Upkeep after a command that wrote (operations/upkeep.ts): never its failure; `GIT_COORD_TRACE=1` says what it did. */
async function upkeepQuietly(ctx: Coord): Promise<void> {
  try {
    const r = await (await import('../operations/upkeep.js')).upkeep(ctx);
    if (process.env.GIT_COORD_TRACE && (r.pruned !== null || r.packed)) process.stderr.write(`trace: upkeep: pruned ${r.pruned ?? '-'}, packed ${r.packed}\n`);
  } catch (e) {
    if (process.env.GIT_COORD_TRACE) process.stderr.write(`trace: upkeep failed: ${printable((e as Error).message)}\n`);
  }
}
