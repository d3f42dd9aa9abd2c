/**
 * The command line proper (dist/app.js), started by the loader in cli.ts. Hooks take a lean path
 * that never loads the command parser; everything else goes through it. This entry is above every
 * face: the one module that may join them.
 */
const argv = process.argv.slice(2);
const run: Promise<number> =
  argv[0] === 'hook'
    ? import('./hooks/entry.js').then((m) => m.runHook(argv[1], argv.slice(2)))
    : import('./cli/main.js').then((m) =>
        // The entry joins the faces: the command line starts the MCP server without importing it.
        m.main(argv, {
          serveMcp: async (ctx, version, reopen) => (await import('./mcp/server.js')).serve(ctx, version, reopen),
          serveBoard: async (ctx, opts) => (await import('./board/server.js')).serveBoard(ctx, opts),
        }),
      );

run.then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`git-coord: ${(e as Error)?.message ?? String(e)}\n`);
    process.exitCode = 1;
  },
);
