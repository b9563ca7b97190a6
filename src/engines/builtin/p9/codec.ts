// Little-endian 9P message reading and writing. The reader is bounded by the message's own size
// field and throws EPROTO on any overrun, so a truncated or lying message never reads past its end.
// Reference: 9P2000 intro(5) "data types": integers little-endian, strings as len[2] + bytes.

import { HEADER_SIZE, QID_SIZE } from './protocol.js';
import { EPROTO, P9Error } from './errno.js';

export interface Qid {
  type: number;
  version: number;
  path: bigint;
}

const malformed = (what: string): P9Error => new P9Error(EPROTO, `malformed message: ${what}`);

export class Reader {
  private off: number;
  private readonly view: DataView;

  /** Reads `buf` from `start` (just past the header) up to `end` (the message's size field). */
  constructor(
    private readonly buf: Uint8Array,
    start: number,
    private readonly end: number,
  ) {
    this.off = start;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  get remaining(): number {
    return this.end - this.off;
  }

  private need(n: number, what: string): number {
    if (n > this.end - this.off) throw malformed(`${what} runs past the end`);
    const at = this.off;
    this.off += n;
    return at;
  }

  u8(): number {
    return this.view.getUint8(this.need(1, 'u8'));
  }

  u16(): number {
    return this.view.getUint16(this.need(2, 'u16'), true);
  }

  u32(): number {
    return this.view.getUint32(this.need(4, 'u32'), true);
  }

  u64(): bigint {
    return this.view.getBigUint64(this.need(8, 'u64'), true);
  }

  /** A string's raw bytes (a view into the message; names are bytes on Linux, not UTF-8). */
  str(): Uint8Array {
    const len = this.u16();
    const at = this.need(len, 'string');
    return this.buf.subarray(at, at + len);
  }

  /** `n` raw bytes (a view into the message). */
  bytes(n: number): Uint8Array {
    const at = this.need(n, 'data');
    return this.buf.subarray(at, at + n);
  }
}

/** Builds one reply. The size field is filled by `finish`. */
export class Writer {
  private buf: Uint8Array;
  private view: DataView;
  private off = HEADER_SIZE;

  constructor(capacity = 64) {
    this.buf = new Uint8Array(Math.max(capacity, HEADER_SIZE));
    this.view = new DataView(this.buf.buffer);
  }

  private room(n: number): number {
    if (this.off + n > this.buf.length) {
      const bigger = new Uint8Array(Math.max(this.buf.length * 2, this.off + n));
      bigger.set(this.buf.subarray(0, this.off));
      this.buf = bigger;
      this.view = new DataView(bigger.buffer);
    }
    const at = this.off;
    this.off += n;
    return at;
  }

  get length(): number {
    return this.off;
  }

  u8(v: number): this {
    this.view.setUint8(this.room(1), v);
    return this;
  }

  u16(v: number): this {
    this.view.setUint16(this.room(2), v, true);
    return this;
  }

  u32(v: number): this {
    this.view.setUint32(this.room(4), v >>> 0, true);
    return this;
  }

  u64(v: bigint): this {
    this.view.setBigUint64(this.room(8), BigInt.asUintN(64, v), true);
    return this;
  }

  str(bytes: Uint8Array): this {
    if (bytes.length > 0xffff) throw new P9Error(EPROTO, 'string longer than 65535 bytes');
    this.u16(bytes.length);
    this.buf.set(bytes, this.room(bytes.length));
    return this;
  }

  bytes(data: Uint8Array): this {
    this.buf.set(data, this.room(data.length));
    return this;
  }

  qid(q: Qid): this {
    const at = this.room(QID_SIZE);
    this.view.setUint8(at, q.type);
    this.view.setUint32(at + 1, q.version >>> 0, true);
    this.view.setBigUint64(at + 5, BigInt.asUintN(64, q.path), true);
    return this;
  }

  /** The finished message of type `type` answering `tag`. */
  finish(type: number, tag: number): Uint8Array {
    writeHeader(this.view, this.off, type, tag);
    return this.buf.subarray(0, this.off);
  }
}

export function writeHeader(view: DataView, size: number, type: number, tag: number): void {
  view.setUint32(0, size, true);
  view.setUint8(4, type);
  view.setUint16(5, tag, true);
}

/** An empty reply (Rclunk, Rflush, ...). */
export function emptyReply(type: number, tag: number): Uint8Array {
  return new Writer(HEADER_SIZE).finish(type, tag);
}
