// Payloads of the agent's frames, built and parsed with bounds checks (agent/PROTOCOL.md,
// "Payloads"). Integers are little-endian; a byte string is a u32 length then the bytes; a list
// is a u32 count then that many byte strings.
import { MAX_LIST, NONCE_SIZE } from './protocol.js';

/** Appends fields into one buffer. */
export class PayloadWriter {
  private parts: Buffer[] = [];
  length = 0;

  u32(v: number): this {
    const b = Buffer.allocUnsafe(4);
    b.writeUInt32LE(v >>> 0);
    return this.raw(b);
  }

  u8(v: number): this {
    return this.raw(Buffer.from([v & 0xff]));
  }

  raw(bytes: Uint8Array): this {
    this.parts.push(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    this.length += bytes.byteLength;
    return this;
  }

  bytes(bytes: Uint8Array): this {
    return this.u32(bytes.byteLength).raw(bytes);
  }

  list(items: Uint8Array[]): this {
    this.u32(items.length);
    for (const item of items) this.bytes(item);
    return this;
  }

  done(): Buffer {
    return Buffer.concat(this.parts, this.length);
  }
}

export class PayloadError extends Error {}

/** Reads fields; throws PayloadError when the payload is shorter than its fields say. */
export class PayloadReader {
  private at = 0;
  constructor(private readonly buf: Buffer) {}

  private need(n: number, what: string): void {
    if (this.buf.length - this.at < n) throw new PayloadError(`payload too short for ${what}`);
  }

  u8(what = 'u8'): number {
    this.need(1, what);
    return this.buf[this.at++]!;
  }

  u32(what = 'u32'): number {
    this.need(4, what);
    const v = this.buf.readUInt32LE(this.at);
    this.at += 4;
    return v;
  }

  u64(what = 'u64'): bigint {
    this.need(8, what);
    const v = this.buf.readBigUInt64LE(this.at);
    this.at += 8;
    return v;
  }

  raw(n: number, what = 'bytes'): Buffer {
    this.need(n, what);
    const v = this.buf.subarray(this.at, this.at + n);
    this.at += n;
    return v;
  }

  bytes(what = 'byte string'): Buffer {
    return this.raw(this.u32(what), what);
  }

  list(what = 'list'): Buffer[] {
    const n = this.u32(what);
    if (n > MAX_LIST) throw new PayloadError(`${what} has ${n} entries`);
    const out: Buffer[] = [];
    for (let i = 0; i < n; i++) out.push(this.bytes(what));
    return out;
  }

  get remaining(): number {
    return this.buf.length - this.at;
  }
}

/** What the agent says about itself in HELLO_ACK and AGENT_RESET. */
export interface AgentFacts {
  version: string;
  bootId: string;
  arch: string;
  kernel: string;
  pid: number;
  capabilities: string[];
}

export interface HelloAck extends AgentFacts {
  nonce: Buffer;
  protocol: number;
  maxPayload: number;
  maxSessions: number;
  stdinWindow: number;
  fileWindow: number;
}

export function parseFacts(r: PayloadReader): AgentFacts {
  const kv = new Map<string, string>();
  for (const entry of r.list('facts')) {
    const text = entry.toString('utf8');
    const eq = text.indexOf('=');
    if (eq > 0) kv.set(text.slice(0, eq), text.slice(eq + 1));
  }
  return {
    version: kv.get('version') ?? 'unknown',
    bootId: kv.get('boot_id') ?? '',
    arch: kv.get('arch') ?? '',
    kernel: kv.get('kernel') ?? '',
    pid: Number(kv.get('pid') ?? 0),
    capabilities: (kv.get('caps') ?? '').split(',').filter(Boolean),
  };
}

export function parseHelloAck(payload: Buffer): HelloAck {
  const r = new PayloadReader(payload);
  const nonce = Buffer.from(r.raw(NONCE_SIZE, 'nonce'));
  const protocol = r.u32('protocol');
  const maxPayload = r.u32('max payload');
  const maxSessions = r.u32('max sessions');
  const stdinWindow = r.u32('stdin window');
  const fileWindow = r.u32('file window');
  return { nonce, protocol, maxPayload, maxSessions, stdinWindow, fileWindow, ...parseFacts(r) };
}

export function parseError(payload: Buffer): { errno: number; message: string } {
  const r = new PayloadReader(payload);
  const errno = r.u32('errno');
  return { errno, message: r.bytes('message').toString('utf8') };
}

export type ExitStatus = { code: number } | { signal: string; signalNumber: number; coreDumped: boolean };
