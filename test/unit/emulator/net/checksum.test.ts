import { describe, expect, it } from 'vitest';
import { finishChecksum, internetChecksum, pseudoHeaderSum, sumWords } from '../../../../src/emulator/net/checksum.js';
import { ICMP_ECHO, TCP_SYN } from './fixtures/guest-frames.js';

describe('internet checksum (RFC 1071)', () => {
  it('matches the worked example of RFC 1071 §3', () => {
    const bytes = new Uint8Array([0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]);
    expect(sumWords(bytes, 0, bytes.length)).toBe(0x2ddf0);
    expect(finishChecksum(sumWords(bytes, 0, bytes.length))).toBe(0x220d);
  });

  it('pads an odd tail with a zero byte', () => {
    expect(sumWords(new Uint8Array([0x12, 0x34, 0x56]), 0, 3)).toBe(0x1234 + 0x5600);
  });

  it('is zero over a kernel-built IPv4 header, ICMP message and TCP segment', () => {
    expect(internetChecksum(ICMP_ECHO, 14, 34)).toBe(0);
    expect(internetChecksum(ICMP_ECHO, 34)).toBe(0);
    const tcp = TCP_SYN.subarray(34);
    const src = 0x0a00020f;
    const dst = 0x0a000202;
    expect(finishChecksum(sumWords(tcp, 0, tcp.length, pseudoHeaderSum(src, dst, 6, tcp.length)))).toBe(0);
  });

  it('folds very large sums exactly', () => {
    const big = new Uint8Array(65536).fill(0xff);
    expect(internetChecksum(big)).toBe(0);
  });
});
