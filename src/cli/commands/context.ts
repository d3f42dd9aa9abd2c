/** The shared context commands: context set/get/list/rm. */
import { UsageError } from '../../errors.js';
import * as ops from '../../operations/context.js';
import type { ContextView } from '../../context/rules.js';
import { MAX_VALUE_BYTES } from '../../context/schema.js';
import { preview } from '../../context/rules.js';
import { printable } from '../../printable.js';
import { noteView } from '../render.js';
import { str, type CommandSpec, type Invocation, type OptionValues } from '../command.js';

const expectOption = {
  expect: { type: 'string', value: '<version>', help: 'change only if the key is at this version (0: only if it does not exist); else exit 3' },
} as const;

function expectOf(opts: OptionValues): { expect?: number } {
  const raw = str(opts, 'expect');
  if (raw === undefined) return {};
  if (!/^[0-9]{1,15}$/.test(raw)) throw new UsageError(`bad --expect ${JSON.stringify(raw)}: a version, a whole number (0: the key must not exist)`);
  return { expect: Number(raw) };
}

/**
 * The value `-` stands for: stdin, read up to one byte past the limit (a longer value is refused
 * without reading it all), and decoded strictly: bytes that are not UTF-8 are refused, not replaced.
 */
async function stdinValue(): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of process.stdin) {
    chunks.push(c as Buffer);
    size += (c as Buffer).length;
    if (size > MAX_VALUE_BYTES) throw new UsageError(`context value too long (more than ${MAX_VALUE_BYTES} bytes, 64 KiB, on stdin)`, { max: MAX_VALUE_BYTES });
  }
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(Buffer.concat(chunks));
  } catch {
    throw new UsageError('context value on stdin is not valid UTF-8: a value is text');
  }
}

async function valueOf(arg: string, stdin: Invocation['stdin']): Promise<string> {
  if (arg === '-' && stdin) return stdinValue();
  // Node turns bytes of the command line that are not UTF-8 into U+FFFD: refuse rather than store them garbled.
  if (arg.includes('\ufffd')) throw new UsageError('context value is not valid UTF-8 (it carries U+FFFD); pass text, or give it on stdin with -');
  return arg;
}

/** A value for people: every line made printable (another agent wrote it). */
function valueText(v: ContextView): string {
  return v.value.split('\n').map(printable).join('\n');
}

function keyLine(v: ContextView): string {
  return `${v.key}  v${v.version}  ${v.agent}  ${v.at}  ${preview(v.value)}`;
}

export const commands: CommandSpec[] = [
  {
    name: 'context set',
    summary: 'set a shared fact for every agent (its version rises); - reads the value from stdin',
    args: '<key> <value>|-',
    minArgs: 2,
    maxArgs: 2,
    writes: true,
    options: expectOption,
    async run({ ctx, out, opts, args, stdin }) {
      const expect = expectOf(opts);
      const value = await valueOf(args[1]!, stdin);
      const v = await ops.setContext(ctx, { key: args[0]!, value, ...expect });
      out.result(v, () => `set ${v.key} (version ${v.version})`);
    },
  },
  {
    name: 'context get',
    summary: "a shared fact's value (exit 3 when the key does not exist)",
    args: '<key>',
    minArgs: 1,
    maxArgs: 1,
    async run({ ctx, out, args }) {
      const v = await ops.getContext(ctx, { key: args[0]! });
      noteView(ctx);
      out.result(v, () => valueText(v));
    },
  },
  {
    name: 'context list',
    summary: 'every shared fact: key, version, who set it, when, the start of its value',
    async run({ ctx, out }) {
      const all = await ops.listContext(ctx);
      noteView(ctx);
      out.result(all, () => (all.length === 0 ? 'no context keys' : all.map(keyLine).join('\n')));
    },
  },
  {
    name: 'context rm',
    summary: 'remove a shared fact (its version still rises; exit 3 when it does not exist)',
    args: '<key>',
    minArgs: 1,
    maxArgs: 1,
    writes: true,
    options: expectOption,
    async run({ ctx, out, opts, args }) {
      const v = await ops.removeContext(ctx, { key: args[0]!, ...expectOf(opts) });
      out.result(v, () => `removed ${v.key} (version ${v.version})`);
    },
  },
];
