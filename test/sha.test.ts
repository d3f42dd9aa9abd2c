/** src/git/sha.ts: SHA-1 and SHA-256 in JavaScript equal node:crypto's, at every padding length. */
import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hashHex, sha1, sha256 } from '../src/git/sha.js';

describe('SHA-1 and SHA-256 without node:crypto', () => {
  it('equal node:crypto on inputs of 0 to 300 bytes and a few large ones', () => {
    for (const n of [...Array.from({ length: 301 }, (_, i) => i), 4096, 65_537, 1 << 20]) {
      const b = crypto.randomBytes(n);
      expect(sha1(b), `sha1 of ${n} bytes`).toBe(crypto.createHash('sha1').update(b).digest('hex'));
      expect(sha256(b), `sha256 of ${n} bytes`).toBe(crypto.createHash('sha256').update(b).digest('hex'));
    }
  });

  it('hash an object as git does, in parts, UTF-8 for text', () => {
    expect(hashHex('sha1', 'blob 0\0')).toBe('e69de29bb2d1d6434b8b29ae775ad8c2e48c5391');
    expect(hashHex('sha256', 'tree 0\0')).toBe('6ef19b41225c5369f1c104d45d8d85efa9b057b53b14b4b9b939dd74decc5321');
    expect(hashHex('sha1', 'blob 3\0', Buffer.from('é\n'))).toBe(crypto.createHash('sha1').update('blob 3\0é\n').digest('hex'));
    // Past its budget, node:crypto takes over with the same answers.
    const big = crypto.randomBytes(300 * 1024);
    expect(hashHex('sha1', big)).toBe(crypto.createHash('sha1').update(big).digest('hex'));
    expect(hashHex('sha256', 'x')).toBe(crypto.createHash('sha256').update('x').digest('hex'));
  });
});
