/** Times as git-coord writes them into records: ISO 8601 in UTC with milliseconds (`2026-01-02T03:04:05.678Z`). */
export function iso(ms: number): string {
  return new Date(ms).toISOString();
}
