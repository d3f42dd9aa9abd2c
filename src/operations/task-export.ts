/** `task export`: the whole board as the lines `task import` reads (the face writes them out). */
import { exportBoard, toJsonLines, type ExportLine } from '../tasks/export.js';
import type { Coord } from '../session/coord.js';

export type { ExportLine };
export { toJsonLines };

/** Every task on every shelf (with a remote: read fresh from it), oldest first. */
export async function exportTasks(ctx: Coord): Promise<ExportLine[]> {
  return exportBoard(ctx);
}
