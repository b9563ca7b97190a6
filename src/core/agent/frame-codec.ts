// Agent frames to bytes and back: header + payload + CRC-32, COBS-encoded, 0x00-delimited
// (agent/PROTOCOL.md, "Framing"). The decoder is strict and bounded: a block that is too long,
// not COBS, fails its CRC or has a bad header is reported and skipped, never thrown.
import { crc32 } from 'node:zlib';
import { cobsDecode, cobsEncode } from './cobs.js';
import { CRC_SIZE, HDR_SIZE, MAX_ENCODED, MAX_PAYLOAD, PROTO_VERSION, type Frame } from './protocol.js';

/** One frame as wire bytes, delimiter included. Throws on a payload over MAX_PAYLOAD (a vm bug). */
export function encodeFrame(type: number, flags: number, session: number, payload: Uint8Array = new Uint8Array(0)): Buffer {
  if (payload.length > MAX_PAYLOAD) throw new RangeError(`agent frame payload of ${payload.length} bytes exceeds ${MAX_PAYLOAD}`);
  const raw = Buffer.allocUnsafe(HDR_SIZE + payload.length + CRC_SIZE);
  raw[0] = PROTO_VERSION;
  raw[1] = type;
  raw[2] = flags;
  raw[3] = 0;
  raw.writeUInt32LE(session >>> 0, 4);
  raw.writeUInt32LE(payload.length, 8);
  raw.set(payload, HDR_SIZE);
  raw.writeUInt32LE(crc32(raw.subarray(0, HDR_SIZE + payload.length)), HDR_SIZE + payload.length);
  const body = cobsEncode(raw);
  const wire = Buffer.allocUnsafe(body.length + 1);
  body.copy(wire);
  wire[body.length] = 0;
  return wire;
}

export type BadFrameReason = 'oversize' | 'cobs' | 'short' | 'crc' | 'header';

/** Parses one COBS block (delimiter removed) into a frame, or says why it is not one. */
export function parseBlock(block: Uint8Array): Frame | BadFrameReason {
  if (block.length > MAX_ENCODED) return 'oversize';
  const raw = cobsDecode(block);
  if (!raw) return 'cobs';
  if (raw.length < HDR_SIZE + CRC_SIZE) return 'short';
  const body = raw.length - CRC_SIZE;
  if (raw.readUInt32LE(body) !== crc32(raw.subarray(0, body))) return 'crc';
  const len = raw.readUInt32LE(8);
  if (raw[0] !== PROTO_VERSION || raw[3] !== 0 || len !== body - HDR_SIZE || len > MAX_PAYLOAD) return 'header';
  return { type: raw[1]!, flags: raw[2]!, session: raw.readUInt32LE(4), payload: raw.subarray(HDR_SIZE, body) };
}

/**
 * Splits a byte stream into frames. Holds at most MAX_ENCODED bytes of an unfinished frame: a
 * longer run without a delimiter is dropped up to the next one and reported as 'oversize'.
 */
export class FrameDecoder {
  private parts: Buffer[] = [];
  private partLen = 0;
  private overflow = false;
  badFrames = 0;

  constructor(
    private readonly onFrame: (frame: Frame) => void,
    private readonly onBad: (reason: BadFrameReason) => void = () => {},
  ) {}

  push(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      const zero = chunk.indexOf(0, at);
      const end = zero < 0 ? chunk.length : zero;
      if (!this.overflow && end > at) {
        if (this.partLen + (end - at) > MAX_ENCODED) {
          this.overflow = true;
          this.parts = [];
          this.partLen = 0;
        } else {
          // copied: the caller may reuse its buffer
          this.parts.push(Buffer.from(chunk.subarray(at, end)));
          this.partLen += end - at;
        }
      }
      if (zero < 0) return;
      at = zero + 1;
      if (this.overflow) {
        this.overflow = false;
        this.bad('oversize');
        continue;
      }
      if (this.partLen === 0) continue; // repeated delimiters are padding
      const block = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.partLen);
      this.parts = [];
      this.partLen = 0;
      const frame = parseBlock(block);
      if (typeof frame === 'string') this.bad(frame);
      else this.onFrame(frame);
    }
  }

  /** Bytes of an unfinished frame currently held. */
  get pending(): number {
    return this.partLen;
  }

  private bad(reason: BadFrameReason): void {
    this.badFrames++;
    this.onBad(reason);
  }
}
