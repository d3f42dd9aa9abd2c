/**
 * Errors that carry the command contract's exit code. Every layer throws these; only the faces
 * turn them into exit codes and messages, so an expected failure never shows a stack trace.
 */
export const EXIT = { ok: 0, failed: 1, usage: 2, refused: 3 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export class CoordError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    /** Structured detail for --json output (conflicts, hints). */
    readonly detail: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Bad usage or invalid input: exit 2. */
export class UsageError extends CoordError {
  constructor(message: string, detail: Record<string, unknown> = {}) {
    super(message, EXIT.usage, detail);
  }
}

/** Refused by coordination (held by another agent, not held by you): exit 3. */
export class RefusedError extends CoordError {
  constructor(message: string, detail: Record<string, unknown> = {}) {
    super(message, EXIT.refused, detail);
  }
}

/** A git failure, unreadable state, anything unexpected: exit 1. */
export class FailedError extends CoordError {
  constructor(message: string, detail: Record<string, unknown> = {}) {
    super(message, EXIT.failed, detail);
  }
}
