// Consistent Overhead Byte Stuffing (Cheshire & Baker, 1999): the payload of each agent frame
// carries no 0x00 byte, so 0x00 delimits frames and a reader resynchronises at the next one.

/** Encodes `data`; the result holds no zero byte. */
export function cobsEncode(data: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(data.length + Math.floor(data.length / 254) + 1);
  let codeAt = 0;
  let o = 1;
  let code = 1;
  for (let i = 0; i < data.length; i++) {
    const b = data[i]!;
    if (b === 0) {
      out[codeAt] = code;
      codeAt = o++;
      code = 1;
      continue;
    }
    out[o++] = b;
    if (++code === 0xff) {
      out[codeAt] = code;
      codeAt = o++;
      code = 1;
    }
  }
  out[codeAt] = code;
  return out.subarray(0, o);
}

/** Decodes one block (without its delimiter); null when it is not valid COBS. */
export function cobsDecode(block: Uint8Array): Buffer | null {
  if (block.includes(0)) return null; // a zero is a delimiter, never part of a block
  const out = Buffer.allocUnsafe(block.length);
  let i = 0;
  let o = 0;
  while (i < block.length) {
    const code = block[i++]!;
    if (code === 0 || code - 1 > block.length - i) return null;
    out.set(block.subarray(i, i + code - 1), o);
    o += code - 1;
    i += code - 1;
    if (code !== 0xff && i < block.length) out[o++] = 0;
  }
  return out.subarray(0, o);
}
