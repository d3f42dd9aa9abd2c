/**
 * The command line proper (dist/app.js), started by the loader in cli.ts. Hooks take a lean path
 * that never loads the command parser; everything else goes through it.
 */
const argv = process.argv.slice(2);
const run: Promise<number> =
  argv[0] === 'hook'
    ? import('./hooks/entry.js').then((m) => m.runHook(argv[1], argv.slice(2)))
    : import('./cli/main.js').then((m) => m.main(argv));

run.then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`git-coord: ${(e as Error)?.message ?? String(e)}\n`);
    process.exitCode = 1;
  },
);
