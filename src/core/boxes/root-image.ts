// The size a box's root image gives the guest: what a Vmfile's `disk_size` is measured against. A raw
// image is its file's size; a qcow2 image says its virtual size in its header (QEMU
// docs/interop/qcow2.txt, bytes 24..31), which is read without running qemu-img so `vm validate`
// needs nothing installed.
import { closeSync, openSync, readSync, statSync, constants as C } from 'node:fs';
import type { BoxRef } from '../../model/machine-config.js';
import { parseQcow2Header } from '../../engines/qemu/qemu-img.js';

/** The root image's size in bytes as the guest sees it; undefined when the box has none or it cannot be read (the engine says why at `vm up`). */
export function rootImageBytes(box: Pick<BoxRef, 'rootDisk'>): number | undefined {
  const r = box.rootDisk;
  if (!r) return undefined;
  try {
    if (r.format === 'raw') {
      const st = statSync(r.path);
      return st.isFile() ? st.size : undefined;
    }
    const fd = openSync(r.path, C.O_RDONLY | C.O_NOFOLLOW);
    try {
      const head = new Uint8Array(104);
      const n = readSync(fd, head, 0, head.length, 0);
      const facts = parseQcow2Header(head.subarray(0, n));
      return facts ? Number(facts.virtualSize) : undefined;
    } finally {
      closeSync(fd);
    }
  } catch {
    return undefined;
  }
}
