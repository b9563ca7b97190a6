// Writer process for disk-crash.test.ts (run with node and VM_DISK_CRASH_CHILD=1 over the compiled dist/): makes
// one pass of numbered writes to an overlay, flushing every FLUSH_EVERY writes and printing
// `durable N` once writes 0 .. N-1 are flushed; the test kills it with SIGKILL mid-pass.
import { OverlayDisk } from '../../dist/engines/builtin/disk/overlay-disk.js';

/** Partial writes land in blocks the base image covers (read-modify-write), whole ones past it. */
export const PARTIAL_BASE = 16;
export const WHOLE_BASE = 16384;
export const WRITES = 32_000;
export const FLUSH_EVERY = 64;

/** Write i: even = a whole block of (i & 0xff); odd = one 512-byte sector of (i & 0xff) in its own block. */
/** @param {number} i */
export function plan(i) {
  const k = i >> 1;
  return i % 2 === 0 ? { block: WHOLE_BASE + k, sector: 0, whole: true, value: i & 0xff } : { block: PARTIAL_BASE + k, sector: k % 8, whole: false, value: i & 0xff };
}

async function main() {
  const [overlay, basePath, sha256] = process.argv.slice(2);
  const disk = await OverlayDisk.open(overlay, { path: basePath, sha256 });
  for (let i = 0; i < WRITES; i++) {
    const p = plan(i);
    const length = p.whole ? 4096 : 512;
    await disk.write(p.block * 4096 + p.sector * 512, new Uint8Array(length).fill(p.value));
    if ((i + 1) % FLUSH_EVERY === 0) {
      await disk.flush();
      process.stdout.write(`durable ${i + 1}\n`);
    }
  }
  process.stdout.write('pass complete\n');
  await new Promise(() => {}); // wait to be killed
}

if (process.env.VM_DISK_CRASH_CHILD) void main();
