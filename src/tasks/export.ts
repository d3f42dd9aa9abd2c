/**
 * `task export`: the whole board as JSON Lines, one task a line, in the format `task import`
 * reads. Lines are in creation order (oldest first), so an import, which dates its tasks in file
 * order, keeps the board's order within each priority.
 *
 * A line carries what `task import` takes (`id`, `title`, `priority`, `labels`, `dependsOn`,
 * `body`) and, only where a task has them, the fields of a task that is more than an open task:
 * `status` (claimed, done, failed; left out for open), `claimedBy` and `claimExpiresAt` (claimed),
 * `note` (done), `reason` (failed), `parent`, `comments` (`[{agent, at, text}]`). So a board of
 * open tasks exports to lines that every version of `task import` reads back.
 */
import type { Coord } from '../session/coord.js';
import { Tasks } from './tasks.js';
import type { TaskView } from './rules.js';

export interface ExportComment {
  agent: string;
  at: string;
  text: string;
}

export interface ExportLine {
  id: string;
  title: string;
  priority: number;
  labels: string[];
  dependsOn: string[];
  body: string;
  status?: 'claimed' | 'done' | 'failed';
  claimedBy?: string;
  claimExpiresAt?: string | null;
  note?: string;
  reason?: string;
  parent?: string;
  comments?: ExportComment[];
}

/** One task's line (pure). */
export function exportLine(t: TaskView): ExportLine {
  const line: ExportLine = { id: t.id, title: t.title, priority: t.priority, labels: t.labels, dependsOn: t.dependsOn, body: t.body };
  if (t.status !== 'open') line.status = t.status;
  if (t.status === 'claimed' && t.claimedBy) {
    line.claimedBy = t.claimedBy;
    line.claimExpiresAt = t.claimExpiresAt;
  }
  if (t.status === 'done' && t.note) line.note = t.note;
  if (t.status === 'failed' && t.reason) line.reason = t.reason;
  if (t.parent) line.parent = t.parent;
  if (t.comments && t.comments.length) line.comments = t.comments.map((c) => ({ agent: c.agent, at: c.at, text: c.text }));
  return line;
}

/** Oldest first, then by id: the order `task import` should add them in. */
export function exportOrder(a: TaskView, b: TaskView): number {
  return Date.parse(a.createdAt) - Date.parse(b.createdAt) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** The board's lines (pure). */
export function exportLines(tasks: TaskView[]): ExportLine[] {
  return [...tasks].sort(exportOrder).map(exportLine);
}

/** JSON Lines text: one line a task, each ending in a newline (empty for an empty board). */
export function toJsonLines(lines: ExportLine[]): string {
  return lines.map((l) => `${JSON.stringify(l)}\n`).join('');
}

/** Reads every task on every shelf (with a remote: its fresh state) and returns the lines. */
export async function exportBoard(ctx: Coord): Promise<ExportLine[]> {
  const tasks = await ctx.freshly(() => new Tasks(ctx).list());
  return exportLines(tasks);
}
