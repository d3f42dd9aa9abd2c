/** Watching: `watch` (the history as it happens) and `board` (a live web page of the whole board). */
import { EXIT, UsageError } from '../../errors.js';
import { printable } from '../../printable.js';
import { str, type CommandSpec } from '../command.js';
import type { HistoryEntry } from '../../history/history.js';
import { takeEarlySignal } from '../../early-signals.js';

/** The same line `log` prints for an entry. */
export function entryLine(e: HistoryEntry): string {
  return `${e.at}  ${printable(e.agent)}  ${printable(e.action)} ${printable(e.subject)}${e.other ? ` (${printable(e.other)}'s)` : ''}${e.reason ? `  "${printable(e.reason)}"` : ''}`;
}

/** An AbortSignal that SIGINT and SIGTERM (and a closed stdout) abort; `done` removes the handlers. */
function interruption(): { signal: AbortSignal; done: () => void } {
  const ac = new AbortController();
  const stop = () => ac.abort();
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  process.stdout.on('error', stop);
  // A signal that came while the command line loaded (the loader recorded it): stop at once.
  if (takeEarlySignal() !== null) stop();
  return {
    signal: ac.signal,
    done: () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      process.stdout.off('error', stop);
    },
  };
}

/** Writes to stdout, waiting when the pipe is full. */
function write(text: string, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    if (process.stdout.write(text)) resolve();
    else {
      const go = () => {
        signal.removeEventListener('abort', go);
        process.stdout.off('drain', go);
        resolve();
      };
      process.stdout.once('drain', go);
      signal.addEventListener('abort', go);
    }
  });
}

function parsePort(text: string | undefined): number {
  if (text === undefined) return 0;
  const n = /^[0-9]{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(n >= 0 && n <= 65535)) throw new UsageError(`bad --port ${JSON.stringify(text.slice(0, 20))}: a port number from 0 to 65535 (0: any free port)`);
  return n;
}

export const commands: CommandSpec[] = [
  {
    name: 'watch',
    summary: 'print coordination events as they happen, from every worktree (and the remote)',
    options: {
      since: { type: 'string', value: '<time>', help: 'first print what happened since then (an ISO time, or a duration ago: 10m)' },
    },
    async run({ ctx, opts }) {
      const json = Boolean(opts.json);
      const { watch, parseSince } = await import('../../views/watch.js');
      const sinceText = str(opts, 'since');
      const sinceMs = sinceText === undefined ? undefined : parseSince(sinceText, ctx.now());
      const stop = interruption();
      try {
        const events = watch(ctx, {
          ...(sinceMs !== undefined ? { sinceMs } : {}),
          signal: stop.signal,
          onWarning: (w) => process.stderr.write(`git-coord: warning: ${w}\n`),
        });
        for await (const e of events) await write(`${json ? JSON.stringify(e) : entryLine(e)}\n`, stop.signal);
      } finally {
        stop.done();
      }
      return EXIT.ok;
    },
  },
  {
    name: 'board',
    summary: 'serve a live web page of the whole board on 127.0.0.1 (prints its URL first)',
    options: {
      port: { type: 'string', value: '<n>', help: 'the port to listen on (default: any free port)' },
    },
    async run({ ctx, opts, faces }) {
      const port = parsePort(str(opts, 'port'));
      const stop = interruption();
      try {
        const server = await faces.serveBoard(ctx, { port, signal: stop.signal, onWarning: (w) => process.stderr.write(`git-coord: warning: ${w}\n`) });
        process.stdout.write(`${server.url}\n`);
        process.stderr.write('git-coord: serving the board (read-only) until interrupted (Ctrl-C)\n');
        await server.closed;
      } finally {
        stop.done();
      }
      return EXIT.ok;
    },
  },
];
