// Consistent Overhead Byte Stuffing (Cheshire & Baker, 1999): the payload of each agent frame
// carries no 0x00 byte, so 0x00 delimits frames and a reader resynchronises at the next one.
// Both directions are tight loops over typed arrays: runs shorter than COPY_MIN bytes are copied
// byte by byte (a subarray + set per run cost ~30x more on zero-heavy data), longer ones natively.

/** Runs at least this long are copied with TypedArray.set (native memcpy); shorter ones in the loop. */
const COPY_MIN = 32;

/** Encodes `data`; the result holds no zero byte. */
export function cobsEncode(data: Uint8Array): Buffer {
  const n = data.length;
  const out = Buffer.allocUnsafe(n + Math.floor(n / 254) + 1);
  let codeAt = 0;
  let o = 1;
  let i = 0;
  while (i < n) {
    if (data[i] === 0) {
      // an empty run: zero-filled data takes this path byte after byte
      out[codeAt] = 1;
      codeAt = o++;
      i++;
      continue;
    }
    // one run: up to 254 non-zero bytes, ended by a zero (consumed), the run limit or the end
    const limit = i + 254 < n ? i + 254 : n;
    const start = i;
    while (i < limit && data[i] !== 0) i++;
    const len = i - start;
    if (len >= COPY_MIN) {
      out.set(data.subarray(start, i), o);
      o += len;
    } else {
      for (let k = start; k < i; k++) out[o++] = data[k]!;
    }
    if (len === 254) {
      out[codeAt] = 0xff; // a full run: no zero implied, even if one follows
      codeAt = o++;
    } else if (i < n) {
      out[codeAt] = len + 1; // data[i] is a zero
      codeAt = o++;
      i++;
    } else {
      out[codeAt] = len + 1; // the end of the data
    }
  }
  // data ending in a zero, or a full 254-byte run, leaves a last empty run to close
  if (codeAt === o - 1) out[codeAt] = 1;
  return out.subarray(0, o);
}

/** Decodes one block (without its delimiter); null when it is not valid COBS. */
export function cobsDecode(block: Uint8Array): Buffer | null {
  if (block.includes(0)) return null; // a zero is a delimiter, never part of a block
  const n = block.length;
  const out = Buffer.allocUnsafe(n);
  let i = 0;
  let o = 0;
  while (i < n) {
    const len = block[i++]! - 1;
    if (len > n - i) return null;
    const end = i + len;
    if (len >= COPY_MIN) {
      out.set(block.subarray(i, end), o);
      o += len;
    } else {
      for (let k = i; k < end; k++) out[o++] = block[k]!;
    }
    i = end;
    if (len !== 254 && i < n) out[o++] = 0;
  }
  return out.subarray(0, o);
}
