#!/usr/bin/env node
/**
 * A hook that only records: `node hook-logger.mjs <log.jsonl> <label>` appends the event's JSON
 * (as the client sent it on stdin) to the log and prints nothing, so it never changes what the
 * client does. The harness registers it for every event at the user level of each client (the
 * scratch HOME / CODEX_HOME), beside whatever the project registers, to capture real payloads.
 */
import fs from 'node:fs';

const [log, label] = process.argv.slice(2);
const chunks = [];
process.stdin.on('data', (c) => chunks.push(c));
process.stdin.on('end', () => {
  const raw = Buffer.concat(chunks).toString('utf8');
  let payload;
  try {
    payload = JSON.parse(raw);
  } catch {
    payload = { unparsed: raw.slice(0, 4000) };
  }
  const env = {};
  for (const k of ['GIT_COORD_AGENT', 'CLAUDE_PROJECT_DIR', 'CODEX_HOME', 'PWD']) if (process.env[k] !== undefined) env[k] = process.env[k];
  fs.appendFileSync(log, JSON.stringify({ at: new Date().toISOString(), label, cwd: process.cwd(), env, payload }) + '\n');
  process.exit(0);
});
