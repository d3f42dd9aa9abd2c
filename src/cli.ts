#!/usr/bin/env node
// The entry: a small loader. `--version` answers at once; a bare `git-coord mcp` (what `setup`
// registers) starts with the MCP front (mcp/front.ts), which answers the session's opening and
// loads the rest at the first call; everything else runs the command line's bundle (dist/app.js,
// from src/app.ts) through V8's code cache (startup/code-cache.ts).
// `watch` and `board` catch SIGINT and SIGTERM from here on (early-signals.ts): first import.
import { catchEarlySignals } from './early-signals.js';
import path from 'node:path';
import { runCached } from './startup/code-cache.js';
import { serveFront } from './mcp/front.js';

declare const __VERSION__: string;
declare const __BUILD_ID__: string;

const app = () => runCached(path.join(__dirname, 'app.js'), typeof __BUILD_ID__ === 'string' ? __BUILD_ID__ : 'dev');
const args = process.argv.slice(2);
catchEarlySignals(args);
if (args.length === 1 && args[0] === '--version') process.stdout.write(`${typeof __VERSION__ === 'string' ? __VERSION__ : '0.0.0-dev'}\n`);
else if (args.length === 1 && args[0] === 'mcp' && !process.env.GIT_COORD_NO_MCP_FRONT) serveFront(path.join(__dirname, 'mcp-ready.json'), app);
else app();
