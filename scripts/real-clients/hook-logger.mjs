#!/usr/bin/env node
/**
 * A hook that records: `node hook-logger.mjs <log.jsonl> <label> [<answers.json>]` appends the
 * event's JSON (as the client sent it on stdin) to the log. With no answers file (or no answer for
 * this event) it prints nothing, so it never changes what the client does. The harness registers it
 * for every event at the user level of each client (the scratch HOME / CODEX_HOME), beside whatever
 * the project registers, to capture real payloads. A probe scenario writes answers.json
 * ({"<event>": <JSON to print>}, or {"<event>:<tool_name>": …}) to see what the client does with
 * an answer: whether an additionalContext reaches the model, whether a deny form is honoured.
 */
import fs from 'node:fs';

const [log, label, answersFile] = process.argv.slice(2);
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
  let answers = {};
  try {
    if (answersFile) answers = JSON.parse(fs.readFileSync(answersFile, 'utf8'));
  } catch {}
  const answer = answers[`${label}:${payload.tool_name}`] ?? answers[label];
  if (answer !== undefined) process.stdout.write(JSON.stringify(answer));
  process.exit(0);
});
