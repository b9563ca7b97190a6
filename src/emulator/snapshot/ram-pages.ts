// Guest RAM for a snapshot: the runs of pages that are not all zero (untouched and zeroed pages cost
// nothing in a state file), and writing such runs back. The host side compresses what it is given.

import type { Ram } from '../machine/ram.js';
import { SnapshotError } from './state-value.js';

export const PAGE_SIZE = 4096;
const PAGE_WORDS = PAGE_SIZE / 4;

function isZeroPage(words: Int32Array, page: number): boolean {
  const start = page * PAGE_WORDS;
  const end = start + PAGE_WORDS;
  let acc = 0;
  for (let i = start; i < end; i += 4) acc |= words[i]! | words[i + 1]! | words[i + 2]! | words[i + 3]!;
  return acc === 0;
}

/** Runs of consecutive non-zero pages, each at most `maxPages` long, in address order. */
export function* nonZeroRuns(ram: Ram, maxPages = 256): Generator<{ page: number; bytes: Uint8Array }> {
  const words = new Int32Array(ram.memory.buffer, 0, ram.size / 4);
  const pages = ram.size / PAGE_SIZE;
  let p = 0;
  while (p < pages) {
    if (isZeroPage(words, p)) {
      p++;
      continue;
    }
    const first = p;
    while (p < pages && p - first < maxPages && !isZeroPage(words, p)) p++;
    yield { page: first, bytes: ram.bytes.subarray(first * PAGE_SIZE, p * PAGE_SIZE) };
  }
}

/** Write a saved run back at page `page`. */
export function writeRun(ram: Ram, page: number, bytes: Uint8Array): void {
  const at = page * PAGE_SIZE;
  if (!Number.isInteger(page) || page < 0 || bytes.length % PAGE_SIZE !== 0 || at + bytes.length > ram.size) {
    throw new SnapshotError(`a RAM run of ${bytes.length} bytes at page ${page} does not fit ${ram.size} bytes of RAM`);
  }
  ram.bytes.set(bytes, at);
}

/**
 * Zero every page that `written` (one flag per page) does not mark and that is not zero already:
 * what the loader put in a fresh machine before the saved RAM replaced it. Reading untouched pages
 * commits no memory; only the pages that need it are written.
 */
export function zeroPagesNotWritten(ram: Ram, written: Uint8Array): void {
  const words = new Int32Array(ram.memory.buffer, 0, ram.size / 4);
  const pages = ram.size / PAGE_SIZE;
  for (let p = 0; p < pages; p++) {
    if (!written[p] && !isZeroPage(words, p)) ram.bytes.fill(0, p * PAGE_SIZE, (p + 1) * PAGE_SIZE);
  }
}
