// Guest RAM for a snapshot: the runs of pages that are not all zero (untouched and zeroed pages cost
// nothing in a state file), and writing such runs back. The host side compresses what it is given.

import type { Ram } from '../memory/ram.js';
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

/**
 * The pages that are not all zero, in address order. `backed` (one byte per page, from the host)
 * marks the pages that may hold data; the others are not read at all.
 */
export function* nonZeroPages(ram: Ram, backed: Uint8Array | null = null): Generator<number> {
  const words = new Int32Array(ram.memory.buffer, 0, ram.size / 4);
  const pages = ram.size / PAGE_SIZE;
  for (let p = 0; p < pages; p++) if ((backed === null || backed[p] !== 0) && !isZeroPage(words, p)) yield p;
}

/** Page `page` of RAM (a view, not a copy). */
export function pageBytes(ram: Ram, page: number): Uint8Array {
  return ram.bytes.subarray(page * PAGE_SIZE, (page + 1) * PAGE_SIZE);
}

/** Write a saved page back. */
export function writePage(ram: Ram, page: number, bytes: Uint8Array): void {
  if (!Number.isInteger(page) || page < 0 || bytes.length !== PAGE_SIZE || (page + 1) * PAGE_SIZE > ram.size) {
    throw new SnapshotError(`a RAM page of ${bytes.length} bytes at page ${page} does not fit ${ram.size} bytes of RAM`);
  }
  ram.bytes.set(bytes, page * PAGE_SIZE);
}

/**
 * Zero every page that `written` (one flag per page) does not mark and that is not zero already:
 * what the loader put in a fresh machine before the saved RAM replaced it. `backed` as for nonZeroRuns.
 */
export function zeroPagesNotWritten(ram: Ram, written: Uint8Array, backed: Uint8Array | null = null): void {
  const words = new Int32Array(ram.memory.buffer, 0, ram.size / 4);
  const pages = ram.size / PAGE_SIZE;
  for (let p = 0; p < pages; p++) {
    if (!written[p] && (backed === null || backed[p] !== 0) && !isZeroPage(words, p)) ram.bytes.fill(0, p * PAGE_SIZE, (p + 1) * PAGE_SIZE);
  }
}
