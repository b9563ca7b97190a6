// A small flattened-device-tree (DTB) writer: header, memory reservation map, structure block,
// strings block. Spec: Devicetree Specification v0.4, chapter 5 "Flattened Devicetree (DTB) Format".

const FDT_MAGIC = 0xd00dfeed;
const FDT_BEGIN_NODE = 0x1;
const FDT_END_NODE = 0x2;
const FDT_PROP = 0x3;
const FDT_END = 0x9;
const FDT_VERSION = 17;
const FDT_LAST_COMP_VERSION = 16;
const FDT_HEADER_SIZE = 40;

/** A property value: a string, a list of strings, 32-bit cells, raw bytes, or empty (a flag). */
export type FdtValue = string | string[] | number[] | Uint8Array | null;

export interface FdtNode {
  name: string;
  props: [string, FdtValue][];
  children: FdtNode[];
}

/** Build a node; `props` keeps insertion order so the output is stable. */
export function node(name: string, props: Record<string, FdtValue> = {}, children: FdtNode[] = []): FdtNode {
  return { name, props: Object.entries(props), children };
}

/** Split a 64-bit quantity into two cells (high, low), as `#address-cells = 2` wants. */
export function cells64(value: number): [number, number] {
  return [Math.floor(value / 2 ** 32) >>> 0, value >>> 0];
}

class ByteSink {
  private buf = new Uint8Array(4096);
  length = 0;

  private grow(extra: number): void {
    if (this.length + extra <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + extra) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }

  u32(v: number): void {
    this.grow(4);
    new DataView(this.buf.buffer).setUint32(this.length, v >>> 0);
    this.length += 4;
  }

  bytes(b: Uint8Array): void {
    this.grow(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }

  align4(): void {
    const pad = (4 - (this.length % 4)) % 4;
    this.grow(pad);
    this.buf.fill(0, this.length, this.length + pad);
    this.length += pad;
  }

  result(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

const utf8 = new TextEncoder();

function cstring(s: string): Uint8Array {
  if (s.includes('\0')) throw new Error(`device tree string contains NUL: ${JSON.stringify(s)}`);
  const b = utf8.encode(s);
  const out = new Uint8Array(b.length + 1);
  out.set(b);
  return out;
}

function encodeValue(v: FdtValue): Uint8Array {
  if (v === null) return new Uint8Array(0);
  if (typeof v === 'string') return cstring(v);
  if (v instanceof Uint8Array) return v;
  if (v.length === 0) return new Uint8Array(0);
  if (typeof v[0] === 'string') {
    const parts = (v as string[]).map(cstring);
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let off = 0;
    for (const p of parts) {
      out.set(p, off);
      off += p.length;
    }
    return out;
  }
  const nums = v as number[];
  const out = new Uint8Array(nums.length * 4);
  const dv = new DataView(out.buffer);
  nums.forEach((n, i) => {
    if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new Error(`device tree cell out of range: ${n}`);
    dv.setUint32(i * 4, n);
  });
  return out;
}

/**
 * Serialize a tree rooted at `root` (whose name must be empty) into a DTB blob.
 * `reservations` lists [address, size] ranges for the memory reservation block.
 */
export function writeFdt(root: FdtNode, opts: { bootCpuId?: number; reservations?: [number, number][] } = {}): Uint8Array {
  if (root.name !== '') throw new Error('the device tree root node must have an empty name');
  const strings = new ByteSink();
  const stringOffsets = new Map<string, number>();
  const strOffset = (name: string): number => {
    let off = stringOffsets.get(name);
    if (off === undefined) {
      off = strings.length;
      strings.bytes(cstring(name));
      stringOffsets.set(name, off);
    }
    return off;
  };

  const struct = new ByteSink();
  const emit = (n: FdtNode): void => {
    struct.u32(FDT_BEGIN_NODE);
    struct.bytes(cstring(n.name));
    struct.align4();
    for (const [name, value] of n.props) {
      const data = encodeValue(value);
      struct.u32(FDT_PROP);
      struct.u32(data.length);
      struct.u32(strOffset(name));
      struct.bytes(data);
      struct.align4();
    }
    for (const c of n.children) emit(c);
    struct.u32(FDT_END_NODE);
  };
  emit(root);
  struct.u32(FDT_END);

  const rsv = new ByteSink();
  for (const [addr, size] of opts.reservations ?? []) {
    rsv.u32(Math.floor(addr / 2 ** 32));
    rsv.u32(addr >>> 0);
    rsv.u32(Math.floor(size / 2 ** 32));
    rsv.u32(size >>> 0);
  }
  for (let i = 0; i < 4; i++) rsv.u32(0); // terminating {0, 0} entry

  // The reservation block must be 8-byte aligned and follows the header.
  const offRsv = (FDT_HEADER_SIZE + 7) & ~7;
  const offStruct = offRsv + rsv.length;
  const offStrings = offStruct + struct.length;
  const total = offStrings + strings.length;
  const out = new Uint8Array((total + 7) & ~7);
  const dv = new DataView(out.buffer);
  const header = [
    FDT_MAGIC,
    out.length,
    offStruct,
    offStrings,
    offRsv,
    FDT_VERSION,
    FDT_LAST_COMP_VERSION,
    opts.bootCpuId ?? 0,
    strings.length,
    struct.length,
  ];
  header.forEach((v, i) => dv.setUint32(i * 4, v));
  out.set(rsv.result(), offRsv);
  out.set(struct.result(), offStruct);
  out.set(strings.result(), offStrings);
  return out;
}
