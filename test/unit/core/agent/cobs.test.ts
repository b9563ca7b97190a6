// COBS against a byte-at-a-time reference (the paper's algorithm, written the plain way): the fast
// encoder/decoder must produce exactly the same bytes on every run length around their internal
// thresholds (byte loop vs native copy at 32, the 254-byte run limit) and on zero-heavy data.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { cobsDecode, cobsEncode } from '../../../../src/core/agent/cobs.js';

function referenceEncode(data: Uint8Array): Buffer {
  const out: number[] = [0];
  let codeAt = 0;
  let code = 1;
  for (const b of data) {
    if (b === 0) {
      out[codeAt] = code;
      codeAt = out.push(0) - 1;
      code = 1;
      continue;
    }
    out.push(b);
    if (++code === 0xff) {
      out[codeAt] = code;
      codeAt = out.push(0) - 1;
      code = 1;
    }
  }
  out[codeAt] = code;
  return Buffer.from(out);
}

/** Runs of non-zero bytes of the given lengths, each followed by `zeros` zero bytes. */
function runs(lengths: number[], zeros: number): Buffer {
  const parts: Buffer[] = [];
  for (const len of lengths) parts.push(Buffer.alloc(len, 0xa5), Buffer.alloc(zeros));
  return Buffer.concat(parts);
}

function check(data: Buffer): void {
  const enc = cobsEncode(data);
  const ref = referenceEncode(data);
  if (!enc.equals(ref)) expect({ len: data.length, enc: enc.toString('hex') }).toEqual({ len: data.length, enc: ref.toString('hex') });
  const dec = cobsDecode(enc);
  if (!dec || !dec.equals(data)) expect(dec?.toString('hex')).toBe(data.toString('hex'));
}

describe('COBS matches the byte-at-a-time reference', () => {
  const edge = [0, 1, 2, 30, 31, 32, 33, 63, 64, 200, 252, 253, 254, 255, 256, 300, 507, 508, 509, 762];
  it('on every edge run length, alone, trailed by one or two zeros, and back to back', () => {
    for (const len of edge) {
      for (const zeros of [0, 1, 2]) check(runs([len], zeros));
      check(Buffer.concat([Buffer.alloc(1), runs([len], 0)]));
    }
    for (const a of edge) for (const b of edge) check(runs([a, b], 1));
  });

  it('on all lengths up to 1100 of mixed, all-zero and zero-free data', () => {
    for (let n = 0; n <= 1100; n++) {
      check(Buffer.alloc(n));
      check(Buffer.alloc(n, 0x11));
      const mixed = randomBytes(n);
      for (let j = 0; j < n; j += 1 + (j % 37)) mixed[j] = 0;
      check(mixed);
    }
  });

  it('on large random and sparse buffers (a 64 KiB frame, a zero-filled file chunk)', () => {
    check(randomBytes(65_552));
    const sparse = Buffer.alloc(65_552);
    for (let j = 0; j < sparse.length; j += 4096) sparse[j] = 1;
    check(sparse);
  });

  it('rejects truncated runs and embedded zeros at any position', () => {
    const enc = cobsEncode(randomBytes(1000));
    expect(cobsDecode(Buffer.from([0x21, ...Buffer.alloc(31, 1)]))).toBeNull(); // run claims 32, has 31
    expect(cobsDecode(Buffer.from([0xff, ...Buffer.alloc(253, 1)]))).toBeNull();
    for (const at of [0, 1, 40, enc.length - 1]) {
      const bad = Buffer.from(enc);
      bad[at] = 0;
      expect(cobsDecode(bad)).toBeNull();
    }
  });
});
