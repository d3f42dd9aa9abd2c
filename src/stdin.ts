/**
 * Reading input with a cap. Every input git-coord reads (stdin for `-`, a file given by name, a
 * hook's event) is read up to one byte past the limit it must meet and no further: `</dev/zero`
 * is refused at once with bounded memory, never read whole. Text is decoded strictly: bytes that
 * are not UTF-8 are refused, not silently replaced.
 */
import fs from 'node:fs';
import { UsageError } from './errors.js';

/**
 * The cap of an input that names none: 64 MiB (the lists of pushed refs a pre-push or pre-receive
 * hook reads, about 200,000 refs). Every input with a limit of its own reads with that limit.
 */
export const STDIN_DEFAULT_MAX_BYTES = 64 * 1024 * 1024;

/** Input past its cap: exit 2 (a hook turns it into "no decision" with a note). */
export class InputTooLarge extends UsageError {
  constructor(what: string, maxBytes: number) {
    super(`${what} too long: more than ${maxBytes} bytes`, { code: 'input-too-large', field: what, max: maxBytes });
  }
}

/** `buf` as UTF-8 text, or UsageError naming `what`. */
export function decodeUtf8(buf: Uint8Array, what: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(buf);
  } catch {
    throw new UsageError(`${what} is not valid UTF-8 text`, { code: 'not-utf8', field: what });
  }
}

/** Bytes of this process's stdin, at most `maxBytes` (more: InputTooLarge, the rest unread). */
export function readStdinBytes(maxBytes = STDIN_DEFAULT_MAX_BYTES, what = 'stdin'): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stdin = process.stdin;
    const done = (f: () => void) => {
      stdin.off('data', onData).off('end', onEnd).off('error', onEnd);
      f();
    };
    const onData = (d: Buffer) => {
      size += d.length;
      if (size > maxBytes) {
        // Stop reading: the rest is never buffered. The process exits soon after with the error.
        stdin.pause();
        stdin.destroy();
        done(() => reject(new InputTooLarge(what, maxBytes)));
        return;
      }
      chunks.push(d);
    };
    // A read error (a closed or unreadable stdin) ends the input: what was read so far.
    const onEnd = () => done(() => resolve(Buffer.concat(chunks)));
    stdin.on('data', onData).on('end', onEnd).on('error', onEnd);
  });
}

/** This process's stdin as text, at most `maxBytes` bytes, strictly UTF-8. */
export async function readStdin(maxBytes = STDIN_DEFAULT_MAX_BYTES, what = 'stdin'): Promise<string> {
  return decodeUtf8(await readStdinBytes(maxBytes, what), what);
}

/**
 * A file named on the command line, as text: at most `maxBytes` bytes (read in pieces, so
 * `/dev/zero` or a huge file is refused without being read whole), strictly UTF-8.
 */
export function readFileCapped(file: string, maxBytes: number, what = file): string {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (e) {
    throw new UsageError(`cannot read ${what}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    const st = fs.fstatSync(fd);
    if (st.isDirectory()) throw new UsageError(`cannot read ${what}: it is a directory`);
    if (st.isFile() && st.size > maxBytes) throw new InputTooLarge(what, maxBytes);
    const buf = Buffer.alloc(Math.min(maxBytes + 1, st.isFile() ? st.size + 1 : maxBytes + 1));
    let n = 0;
    for (;;) {
      let r: number;
      try {
        r = fs.readSync(fd, buf, n, buf.length - n, null);
      } catch (e) {
        throw new UsageError(`cannot read ${what}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
      if (r === 0) break;
      n += r;
      if (n > maxBytes) throw new InputTooLarge(what, maxBytes);
      if (n === buf.length) break; // a regular file grew while read: its size at the start counts
    }
    return decodeUtf8(buf.subarray(0, n), what);
  } finally {
    fs.closeSync(fd);
  }
}
