// The host's frame codec (agent/PROTOCOL.md, "Framing"): COBS and frame round trips, byte-exact
// layout, and a strict, bounded decoder that drops garbage, truncated, corrupt and oversized
// blocks and resynchronises at the next delimiter.
import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { cobsDecode, cobsEncode } from '../../../../src/core/agent/cobs.js';
import { encodeFrame, FrameDecoder, parseBlock, type BadFrameReason } from '../../../../src/core/agent/frame-codec.js';
import { MAX_ENCODED, MAX_PAYLOAD, T, type Frame } from '../../../../src/core/agent/protocol.js';

function collect(): { frames: Frame[]; bad: BadFrameReason[]; decoder: FrameDecoder } {
  const frames: Frame[] = [];
  const bad: BadFrameReason[] = [];
  const decoder = new FrameDecoder(
    (f) => frames.push({ ...f, payload: Buffer.from(f.payload) }),
    (why) => bad.push(why),
  );
  return { frames, bad, decoder };
}

/** A frame with a valid CRC over whatever header bytes are given. */
function rawFrame(header: number[], payload: Buffer): Buffer {
  const raw = Buffer.concat([Buffer.from(header), payload]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32LE(crc32(raw));
  return Buffer.concat([cobsEncode(Buffer.concat([raw, crc])), Buffer.from([0])]);
}

describe('COBS', () => {
  const cases: Record<string, Buffer> = {
    empty: Buffer.alloc(0),
    'one zero': Buffer.from([0]),
    'two zeros': Buffer.from([0, 0]),
    '253 non-zero': Buffer.alloc(253, 7),
    '254 non-zero': Buffer.alloc(254, 7),
    '255 non-zero': Buffer.alloc(255, 7),
    '254 then zero': Buffer.concat([Buffer.alloc(254, 1), Buffer.from([0])]),
    '508 non-zero': Buffer.alloc(508, 0xff),
    'all byte values': Buffer.from(Array.from({ length: 256 }, (_, i) => i)),
  };
  for (const [name, data] of Object.entries(cases)) {
    it(`round-trips ${name}, with no zero in the encoding and at most n/254+1 bytes added`, () => {
      const enc = cobsEncode(data);
      expect(enc.includes(0)).toBe(false);
      expect(enc.length).toBeLessThanOrEqual(data.length + Math.floor(data.length / 254) + 1);
      expect(cobsDecode(enc)?.equals(data)).toBe(true);
    });
  }

  it('round-trips random data of random lengths', () => {
    for (let i = 0; i < 300; i++) {
      const data = randomBytes(Math.floor(Math.random() * 2000));
      if (i % 2) for (let j = 0; j < data.length; j += 3) data[j] = 0; // many zeros
      expect(cobsDecode(cobsEncode(data))?.equals(data)).toBe(true);
    }
  });

  it('encodes the examples of the paper', () => {
    expect([...cobsEncode(Buffer.from([0x11, 0x22, 0x00, 0x33]))]).toEqual([0x03, 0x11, 0x22, 0x02, 0x33]);
    expect([...cobsEncode(Buffer.from([0x00, 0x00]))]).toEqual([0x01, 0x01, 0x01]);
  });

  it('rejects a zero byte and a run longer than the block', () => {
    expect(cobsDecode(Buffer.from([0x00, 0x01]))).toBeNull();
    expect(cobsDecode(Buffer.from([0x02, 0x00]))).toBeNull();
    expect(cobsDecode(Buffer.from([0x05, 0x11, 0x22]))).toBeNull();
  });
});

describe('frames', () => {
  it('lays a frame out byte by byte as PROTOCOL.md says', () => {
    const wire = encodeFrame(T.PING, 1, 0x01020304, Buffer.from('hi'));
    expect(wire[wire.length - 1]).toBe(0);
    const raw = cobsDecode(wire.subarray(0, -1))!;
    expect([...raw.subarray(0, 14)]).toEqual([1, 0x02, 1, 0, 4, 3, 2, 1, 2, 0, 0, 0, 0x68, 0x69]);
    expect(raw.readUInt32LE(14)).toBe(crc32(raw.subarray(0, 14)));
  });

  it('round-trips frames fed whole, byte by byte and in random slices', () => {
    const sent: Frame[] = Array.from({ length: 200 }, (_, i) => ({
      type: i % 256,
      flags: i % 2,
      session: (i * 2654435761) >>> 0,
      payload: randomBytes(i === 0 ? 0 : i === 1 ? MAX_PAYLOAD : Math.floor(Math.random() * 3000)),
    }));
    for (const slicing of ['whole', 'bytes', 'random']) {
      // byte by byte is slow: a subset (which still crosses many frame boundaries) is enough
      const want = slicing === 'bytes' ? sent.slice(2, 40) : sent;
      const stream = Buffer.concat(want.map((f) => encodeFrame(f.type, f.flags, f.session, f.payload)));
      const { frames, bad, decoder } = collect();
      if (slicing === 'whole') decoder.push(stream);
      else if (slicing === 'bytes') for (let i = 0; i < stream.length; i++) decoder.push(stream.subarray(i, i + 1));
      else for (let i = 0; i < stream.length; ) {
        const n = 1 + Math.floor(Math.random() * 5000);
        decoder.push(stream.subarray(i, i + n));
        i += n;
      }
      expect(bad).toEqual([]);
      expect(frames).toEqual(want);
    }
  });

  it('refuses to encode a payload over the maximum', () => {
    expect(() => encodeFrame(T.STDIN, 0, 1, Buffer.alloc(MAX_PAYLOAD + 1))).toThrow(RangeError);
  });

  it('drops garbage between frames and resynchronises at the next delimiter', () => {
    const { frames, bad, decoder } = collect();
    const good = encodeFrame(T.PONG, 0, 5, Buffer.from('ok'));
    decoder.push(Buffer.concat([randomBytes(5000), Buffer.from([0]), good, Buffer.from([0, 0, 0]), randomBytes(300), Buffer.from([0]), good]));
    expect(frames.map((f) => f.payload.toString())).toEqual(['ok', 'ok']);
    expect(bad.length).toBeGreaterThanOrEqual(2);
  });

  it('drops a truncated frame together with whatever follows up to the next delimiter', () => {
    const { frames, bad, decoder } = collect();
    const a = encodeFrame(T.STDOUT, 0, 1, randomBytes(1000));
    const b = encodeFrame(T.STDOUT, 0, 2, Buffer.from('b'));
    const c = encodeFrame(T.STDOUT, 0, 3, Buffer.from('c'));
    // a host reconnecting mid-frame sees the tail of one frame glued to the next
    decoder.push(Buffer.concat([a.subarray(0, 400), b, c]));
    expect(frames.map((f) => f.session)).toEqual([3]);
    expect(bad).toHaveLength(1);
    // a leading delimiter (what a client sends first) keeps the following frame
    const second = collect();
    second.decoder.push(Buffer.concat([a.subarray(0, 400), Buffer.from([0]), b]));
    expect(second.frames.map((f) => f.session)).toEqual([2]);
  });

  it('detects a corrupted byte anywhere in a frame', () => {
    const wire = encodeFrame(T.EXIT, 0, 9, Buffer.from([0, 0, 0, 0, 1, 0, 0, 0]));
    for (let i = 0; i < wire.length - 1; i++) {
      for (const flip of [0x01, 0x80, 0xff]) {
        const bent = Buffer.from(wire);
        bent[i]! ^= flip;
        const { frames, decoder } = collect();
        decoder.push(bent);
        decoder.push(Buffer.from([0]));
        expect(frames, `byte ${i} ^ ${flip}`).toEqual([]);
      }
    }
  });

  it('stays bounded on a run without delimiters, reporting it once as oversize', () => {
    const { frames, bad, decoder } = collect();
    for (let i = 0; i < 40; i++) {
      decoder.push(Buffer.alloc(10_000, 0x41));
      expect(decoder.pending).toBeLessThanOrEqual(MAX_ENCODED);
    }
    decoder.push(Buffer.from([0]));
    decoder.push(encodeFrame(T.PONG, 0, 1, Buffer.from('after')));
    expect(bad).toEqual(['oversize']);
    expect(frames.map((f) => f.payload.toString())).toEqual(['after']);
    expect(decoder.badFrames).toBe(1);
  });

  it('rejects a valid CRC over a bad header: version, reserved byte, length', () => {
    const p = Buffer.from('xyz');
    const header = (v: number, reserved: number, len: number): number[] => [v, T.PONG, 0, reserved, 1, 0, 0, 0, len, 0, 0, 0];
    const { frames, bad, decoder } = collect();
    decoder.push(rawFrame(header(2, 0, 3), p));
    decoder.push(rawFrame(header(1, 1, 3), p));
    decoder.push(rawFrame(header(1, 0, 4), p));
    decoder.push(rawFrame(header(1, 0, 2), p));
    decoder.push(rawFrame([1, 2, 3], Buffer.alloc(0))); // shorter than a header
    decoder.push(rawFrame(header(1, 0, 3), p));
    expect(bad).toEqual(['header', 'header', 'header', 'header', 'short']);
    expect(frames).toHaveLength(1);
  });

  it('parseBlock says why a block is not a frame', () => {
    expect(parseBlock(Buffer.from([0x05, 1]))).toBe('cobs');
    expect(parseBlock(Buffer.alloc(MAX_ENCODED + 1, 1))).toBe('oversize');
    const ok = parseBlock(encodeFrame(T.PONG, 0, 1).subarray(0, -1));
    expect(ok).toMatchObject({ type: T.PONG, session: 1 });
  });

  it('survives random bytes without throwing', () => {
    const { decoder } = collect();
    for (let i = 0; i < 200; i++) expect(() => decoder.push(randomBytes(Math.floor(Math.random() * 4000)))).not.toThrow();
  });
});
