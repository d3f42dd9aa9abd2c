/**
 * Printing: text for people, or exactly one JSON document with --json. Diagnostics go to stderr.
 * Text that other agents wrote (reasons, patterns) goes through `printable`, so it cannot forge
 * lines in a terminal; JSON is escaped already.
 */
/** Where a command's output goes. */
export interface Sink {
  out(text: string): void;
  err(text: string): void;
}

const STDIO: Sink = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) };

export class Output {
  constructor(
    readonly json: boolean,
    private readonly sink: Sink = STDIO,
  ) {}

  /** The command's result: `data` as JSON, or `text()` for people. */
  result(data: unknown, text: () => string): void {
    if (this.json) this.sink.out(JSON.stringify(data, null, 2) + '\n');
    else {
      const t = text();
      if (t) this.sink.out(t.endsWith('\n') ? t : t + '\n');
    }
  }

  warn(msg: string): void {
    this.sink.err(`git-coord: warning: ${msg}\n`);
  }

  error(msg: string, code: number, detail: Record<string, unknown>): void {
    this.sink.err(`git-coord: ${msg}\n`);
    if (this.json) this.sink.out(JSON.stringify({ ok: false, code, error: msg.split('\n')[0], ...detail }, null, 2) + '\n');
  }
}
