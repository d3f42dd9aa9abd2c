/**
 * `watch` and `board` end with exit 0 on SIGINT or SIGTERM (the contract). Loading the command
 * line takes a while; a signal meanwhile would kill the process with node's default (exit 130 or
 * 143). So the loader (cli.ts), for those two commands, catches the signals from its first
 * statement and only records them; the command, when it installs its own handlers
 * (`takeEarlySignal`), removes these and ends at once if one came. The loader and the command
 * line are separate bundles: they meet on a global. A signal before node runs any JavaScript
 * cannot be caught (README, `watch`).
 */
const KEY = Symbol.for('git-coord.early-signals');
const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

interface Early {
  got: NodeJS.Signals | null;
  handler: (s: NodeJS.Signals) => void;
}

/** The command's word: the first argument that is not a global option or its value (as cli/main.ts finds it). */
export function commandWord(argv: string[]): string | null {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') return null;
    if (a === '-C' || a === '--agent' || a === '--remote') i++;
    else if (!a.startsWith('-')) return a;
  }
  return null;
}

/** In the loader: for `watch` and `board`, records SIGINT and SIGTERM until the command takes them. */
export function catchEarlySignals(argv: string[]): void {
  const word = commandWord(argv);
  if (word !== 'watch' && word !== 'board') return;
  const early: Early = {
    got: null,
    handler: (s) => {
      // A second one while the command is still starting (waiting on a slow remote, say): the
      // user insists, and nothing was printed yet: end now, as the command would have.
      if (early.got !== null) process.exit(0);
      early.got = s;
    },
  };
  (globalThis as Record<symbol, unknown>)[KEY] = early;
  for (const s of SIGNALS) process.on(s, early.handler);
  if (process.env.GIT_COORD_TRACE) process.stderr.write(`trace: catching ${SIGNALS.join(' and ')} from the start (${word})\n`);
}

/**
 * For the command, once its own handlers are on: stops the loader's recording, and returns the
 * signal that came before (null: none).
 */
export function takeEarlySignal(): NodeJS.Signals | null {
  const g = globalThis as Record<symbol, unknown>;
  const early = g[KEY] as Early | undefined;
  if (!early) return null;
  delete g[KEY];
  for (const s of SIGNALS) process.off(s, early.handler);
  return early.got;
}
