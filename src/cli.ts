#!/usr/bin/env node
// The entry: a small loader. `--version` answers at once; everything else runs the command line's
// bundle (dist/app.js, from src/app.ts) through V8's code cache (startup/code-cache.ts).
import path from 'node:path';
import { runCached } from './startup/code-cache.js';

declare const __VERSION__: string;
declare const __BUILD_ID__: string;

if (process.argv.length === 3 && process.argv[2] === '--version') process.stdout.write(`${typeof __VERSION__ === 'string' ? __VERSION__ : '0.0.0-dev'}\n`);
else runCached(path.join(__dirname, 'app.js'), typeof __BUILD_ID__ === 'string' ? __BUILD_ID__ : 'dev');
