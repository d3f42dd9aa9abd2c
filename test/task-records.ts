/** A task record for the pure-rule tests (tasks-rules, tasks-ready-rules): open, made by `a` a minute before NOW. */
import type { TaskRecord } from '../src/tasks/schema.js';

export const NOW = Date.parse('2026-01-01T12:00:00Z');
export const iso = (ms: number) => new Date(ms).toISOString();

export function task(id: string, over: Partial<TaskRecord> = {}): TaskRecord {
  return {
    v: 1, type: 'task', id, title: id, body: '', priority: 2, labels: [], dependsOn: [], status: 'open',
    createdAt: iso(NOW - 60_000), createdBy: 'a', claimedBy: null, claimedAt: null, claimExpiresAt: null, claimTtlMs: null,
    locks: [], note: null, reason: null, updatedAt: iso(NOW), event: { action: 'add', by: 'a', at: iso(NOW) }, ...over,
  };
}
