/**
 * SHA-1 and SHA-256 of small inputs in plain JavaScript (@noble/hashes, bundled): a command that hashes a few records
 * (object ids, ref names) need not load node:crypto, which costs a command's start-up ~2-3 ms
 * (docs/design.md, Start-up). Past SMALL_TOTAL bytes hashed in one process (an import of
 * thousands of records), or in a process running for more than a second (the MCP server, a
 * watch: its start is behind it, and JIT-compiled native hashing is cheaper per call),
 * node:crypto takes over. test/sha.test.ts holds both equal to node:crypto.
 */
import { sha1 as nobleSha1 } from '@noble/hashes/legacy.js';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';

/** Bytes hashed in JavaScript before node:crypto takes over. */
const SMALL_TOTAL = 256 * 1024;
let hashedHere = 0;
let native: typeof import('node:crypto') | undefined;

/** The hex digest of the concatenated `parts` (UTF-8 for strings). */
export function hashHex(algo: 'sha1' | 'sha256', ...parts: (string | Uint8Array)[]): string {
  const bytes = parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : p));
  const size = bytes.reduce((n, b) => n + b.length, 0);
  if (native || hashedHere + size > SMALL_TOTAL || process.uptime() > 1) {
    native ??= process.getBuiltinModule('node:crypto') as typeof import('node:crypto');
    const h = native.createHash(algo);
    for (const b of bytes) h.update(b);
    return h.digest('hex');
  }
  hashedHere += size;
  const data = bytes.length === 1 ? bytes[0]! : Buffer.concat(bytes);
  return algo === 'sha1' ? sha1(data) : sha256(data);
}

/** SHA-1 (git's object ids, ref-name hashes), from @noble/hashes (audited, no node:crypto). */
export function sha1(data: Uint8Array): string {
  return bytesToHex(nobleSha1(data));
}

/** SHA-256 (repositories with objectFormat sha256). */
export function sha256(data: Uint8Array): string {
  return bytesToHex(nobleSha256(data));
}
