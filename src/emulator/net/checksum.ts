// The Internet checksum: 16-bit one's complement of the one's complement sum (RFC 1071), and the
// IPv4 pseudo-header that TCP (RFC 9293 §3.1) and UDP (RFC 768) fold into theirs.

/**
 * Adds the bytes [start, end) of `buf` as big-endian 16-bit words to `initial` (an odd tail is
 * padded with a zero byte). The result is an unfolded sum: pass it on or give it to `finishChecksum`.
 */
export function sumWords(buf: Uint8Array, start: number, end: number, initial = 0): number {
  let sum = initial;
  let i = start;
  // Numbers stay exact up to 2^53, so folding once at the end is enough for any IP-sized buffer.
  for (; i + 1 < end; i += 2) sum += (buf[i]! << 8) | buf[i + 1]!;
  if (i < end) sum += buf[i]! << 8;
  return sum;
}

/** Folds carries into 16 bits and complements: the value to store in a checksum field. */
export function finishChecksum(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return ~sum & 0xffff;
}

/** The checksum of [start, end) of `buf`. Over data that includes a correct checksum field it is 0. */
export function internetChecksum(buf: Uint8Array, start = 0, end = buf.length): number {
  return finishChecksum(sumWords(buf, start, end));
}

/** Sum of the IPv4 pseudo-header: source, destination, zero, protocol, upper-layer length. */
export function pseudoHeaderSum(src: number, dst: number, protocol: number, length: number): number {
  return (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + protocol + length;
}
