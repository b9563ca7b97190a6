// Which pages of a machine's RAM the host has ever backed with memory, from /proc/self/pagemap
// (Linux Documentation/admin-guide/mm/pagemap.rst: bit 63 present, bit 62 swapped). A page never
// backed is zero, so saving and restoring look only at backed pages: reading the others would make
// V8's WebAssembly memory commit them (a 512 MiB guest using 40 MB would grow to 512 MB and take
// seconds to scan). The memory's address is found by a nonce written into the machine's state area
// and looked for, through /proc/self/mem, at the start of each large anonymous mapping.

import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import type { Ram } from '../../../emulator/memory/ram.js';
import { PAGE_SIZE } from '../../../emulator/snapshot/ram-pages.js';

const NONCE_BYTES = 16;

/** Nonce offsets handed out per Ram (allocState cannot give space back). */
const nonceAt = new WeakMap<Ram, number>();

function readAt(fd: number, position: number, length: number): Buffer | null {
  const buf = Buffer.alloc(length);
  try {
    let done = 0;
    while (done < length) {
      const n = readSync(fd, buf, done, length - done, position + done);
      if (n <= 0) return null;
      done += n;
    }
    return buf;
  } catch {
    return null;
  }
}

/** The host address of `ram`'s first byte, or null when it cannot be found (not Linux, no /proc). */
function findBase(ram: Ram): number | null {
  let at = nonceAt.get(ram);
  if (at === undefined) {
    at = ram.allocState(NONCE_BYTES);
    nonceAt.set(ram, at);
  }
  const nonce = randomBytes(NONCE_BYTES);
  new Uint8Array(ram.memory.buffer, at, NONCE_BYTES).set(nonce);
  let maps: string;
  try {
    maps = readFileSync('/proc/self/maps', 'utf8');
  } catch {
    return null;
  }
  let fd: number;
  try {
    fd = openSync('/proc/self/mem', 'r');
  } catch {
    return null;
  }
  try {
    for (const line of maps.split('\n')) {
      const m = /^([0-9a-f]+)-([0-9a-f]+) rw/.exec(line);
      if (!m) continue;
      const start = parseInt(m[1]!, 16);
      const end = parseInt(m[2]!, 16);
      if (end - start < at + NONCE_BYTES) continue;
      const got = readAt(fd, start + at, NONCE_BYTES);
      if (got && got.equals(nonce)) return start;
    }
    return null;
  } finally {
    closeSync(fd);
  }
}

/**
 * One byte per RAM page: 1 where the host has backed the page (it may hold data), 0 where it never
 * has (it reads as zero). Null when the kernel does not tell; callers then look at every page.
 */
export function residentPages(ram: Ram): Uint8Array | null {
  const base = findBase(ram);
  if (base === null || base % PAGE_SIZE !== 0) return null;
  const pages = ram.size / PAGE_SIZE;
  let fd: number;
  try {
    fd = openSync('/proc/self/pagemap', 'r');
  } catch {
    return null;
  }
  try {
    const out = new Uint8Array(pages);
    const CHUNK = 65536;
    for (let p = 0; p < pages; p += CHUNK) {
      const n = Math.min(CHUNK, pages - p);
      const buf = readAt(fd, (base / PAGE_SIZE + p) * 8, n * 8);
      if (!buf) return null;
      for (let i = 0; i < n; i++) {
        // Bits 63 (present) and 62 (swapped) are the top two of the entry's high word.
        if (buf.readUInt32LE(i * 8 + 4) >>> 30 !== 0) out[p + i] = 1;
      }
    }
    return out;
  } finally {
    closeSync(fd);
  }
}
