/** Printing: text for people, or exactly one JSON document with --json. Diagnostics go to stderr. */
import type { LockView, Conflict } from '../locks/locks.js';

export class Output {
  constructor(readonly json: boolean) {}

  /** The command's result: `data` as JSON, or `text()` for people. */
  result(data: unknown, text: () => string): void {
    if (this.json) process.stdout.write(JSON.stringify(data, null, 2) + '\n');
    else {
      const t = text();
      if (t) process.stdout.write(t.endsWith('\n') ? t : t + '\n');
    }
  }

  warn(msg: string): void {
    process.stderr.write(`git-coord: warning: ${msg}\n`);
  }

  error(msg: string, code: number, detail: Record<string, unknown>): void {
    process.stderr.write(`git-coord: ${msg}\n`);
    if (this.json) process.stdout.write(JSON.stringify({ ok: false, code, error: msg.split('\n')[0], ...detail }, null, 2) + '\n');
  }
}

export function expiry(l: { expiresAt: string | null }): string {
  return l.expiresAt ? `until ${l.expiresAt}` : 'no expiry';
}

export function lockLine(l: LockView): string {
  return `${l.pattern}  ${l.agent}  ${expiry(l)}  token ${l.token}${l.reason ? `  "${l.reason}"` : ''}`;
}

export function conflictLine(c: Conflict): string {
  return `${c.path}: locked by ${c.agent} as ${c.pattern}${c.reason ? ` ("${c.reason}")` : ''}, ${expiry(c)}`;
}
