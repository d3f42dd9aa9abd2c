/**
 * Which process wrote a pending record, and whether it is gone. A pending record whose writer
 * was killed blocks its pattern until `pendingUntil`; when the writer ran in this same process
 * namespace and no longer exists, the record is known dead at once and may be replaced.
 *
 * A pid means something only inside its pid namespace on one running kernel: the namespace is
 * named by the kernel's boot id and the pid namespace's inode (Linux). Elsewhere there is no
 * such name, and records are judged by time alone.
 */
import fs from 'node:fs';

export interface Writer {
  space: string;
  pid: number;
}

let space: string | null | undefined;

/** This process's namespace name, or null where it cannot be named. */
function processSpace(): string | null {
  if (space !== undefined) return space;
  try {
    const boot = fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    const ns = fs.readlinkSync('/proc/self/ns/pid');
    space = boot && ns ? `${boot}/${ns}` : null;
  } catch {
    space = null;
  }
  return space;
}

/** This process, as a pending record's writer (undefined where it cannot be named). */
export function thisWriter(): Writer | undefined {
  const s = processSpace();
  return s ? { space: s, pid: process.pid } : undefined;
}

/** Whether `w` is known to have exited: same namespace, and no process has its pid. */
export function writerGone(w: Writer | undefined): boolean {
  if (!w || w.space !== processSpace() || w.pid === process.pid) return false;
  try {
    process.kill(w.pid, 0);
    return false;
  } catch (e) {
    // EPERM: a process with that pid exists (someone else's); only ESRCH means none does.
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
