// The values a machine's saved state is made of, their text encoding, and a strict reader for them.
// Device models write their state as plain StateValue trees (saveState) and read it back through a
// StateReader (restoreState), which refuses any missing field, wrong type or wrong length with the
// field's path: a state from another build of the emulator is rejected, never half-applied.

export type StateValue = null | boolean | number | string | bigint | Uint8Array | StateValue[] | { [key: string]: StateValue };
export type StateObject = { [key: string]: StateValue };

/** The saved state does not fit this machine (another version, another shape, or damaged). */
export class SnapshotError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SnapshotError';
  }
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_INDEX = new Int16Array(128).fill(-1);
for (let i = 0; i < B64.length; i++) B64_INDEX[B64.charCodeAt(i)] = i;

function toBase64(b: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < b.length; i += 3) {
    const n = (b[i]! << 16) | (b[i + 1]! << 8) | b[i + 2]!;
    out += B64[n >>> 18]! + B64[(n >>> 12) & 63]! + B64[(n >>> 6) & 63]! + B64[n & 63]!;
  }
  if (i < b.length) {
    const n = (b[i]! << 16) | ((b[i + 1] ?? 0) << 8);
    out += B64[n >>> 18]! + B64[(n >>> 12) & 63]! + (i + 1 < b.length ? B64[(n >>> 6) & 63]! : '=') + '=';
  }
  return out;
}

function fromBase64(s: string, path: string): Uint8Array {
  if (s.length % 4 !== 0) throw new SnapshotError(`${path}: bad byte string`);
  const pad = s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((s.length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < s.length; i += 4) {
    let n = 0;
    for (let k = 0; k < 4; k++) {
      const c = s.charCodeAt(i + k);
      const v = c === 61 && i + k >= s.length - pad ? 0 : c < 128 ? B64_INDEX[c]! : -1;
      if (v < 0) throw new SnapshotError(`${path}: bad byte string`);
      n = (n << 6) | v;
    }
    if (o < out.length) out[o++] = n >>> 16;
    if (o < out.length) out[o++] = (n >>> 8) & 255;
    if (o < out.length) out[o++] = n & 255;
  }
  return out;
}

/** JSON with two tagged forms: {"$big": "decimal"} for a bigint, {"$bytes": "base64"} for bytes. */
export function encodeState(v: StateValue): string {
  return JSON.stringify(v, (_key, value: unknown) => {
    if (typeof value === 'bigint') return { $big: value.toString() };
    if (value instanceof Uint8Array) return { $bytes: toBase64(value) };
    if (typeof value === 'number' && !Number.isFinite(value)) return { $num: String(value) };
    return value;
  });
}

export function decodeState(text: string): StateValue {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new SnapshotError('the machine state is not valid JSON');
  }
  return revive(raw, '');
}

function revive(v: unknown, path: string): StateValue {
  if (v === null || typeof v === 'boolean' || typeof v === 'number' || typeof v === 'string') return v;
  if (Array.isArray(v)) return v.map((x, i) => revive(x, `${path}[${i}]`));
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length === 1 && typeof o.$big === 'string') {
      if (!/^-?\d+$/.test(o.$big)) throw new SnapshotError(`${path}: bad integer`);
      return BigInt(o.$big);
    }
    if (keys.length === 1 && typeof o.$bytes === 'string') return fromBase64(o.$bytes, path);
    if (keys.length === 1 && typeof o.$num === 'string') {
      if (o.$num === 'Infinity') return Infinity;
      if (o.$num === '-Infinity') return -Infinity;
      if (o.$num === 'NaN') return NaN;
      throw new SnapshotError(`${path}: bad number`);
    }
    // A null-prototype object: keys such as __proto__ stay plain data.
    const out: StateObject = Object.create(null) as StateObject;
    for (const k of keys) out[k] = revive(o[k], `${path}.${k}`);
    return out;
  }
  throw new SnapshotError(`${path}: unexpected value`);
}

/** Typed, checked access to one object of a saved state. Every getter throws SnapshotError. */
export class StateReader {
  constructor(
    private readonly o: StateObject,
    readonly path: string,
  ) {}

  static of(v: StateValue, path: string): StateReader {
    if (v === null || typeof v !== 'object' || Array.isArray(v) || v instanceof Uint8Array) throw new SnapshotError(`${path || 'state'}: expected an object`);
    return new StateReader(v as StateObject, path);
  }

  private get(key: string): StateValue {
    if (!Object.prototype.hasOwnProperty.call(this.o, key)) throw new SnapshotError(`${this.path}.${key}: missing`);
    return this.o[key]!;
  }

  private bad(key: string, what: string): never {
    throw new SnapshotError(`${this.path}.${key}: expected ${what}`);
  }

  has(key: string): boolean {
    return Object.prototype.hasOwnProperty.call(this.o, key);
  }

  /** A number, optionally an integer within [min, max]. Infinity is allowed only when asked. */
  num(key: string, min = -Infinity, max = Infinity): number {
    const v = this.get(key);
    if (typeof v !== 'number' || Number.isNaN(v) || v < min || v > max) this.bad(key, `a number from ${min} to ${max}`);
    return v;
  }

  int(key: string, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): number {
    const v = this.get(key);
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) this.bad(key, `a whole number from ${min} to ${max}`);
    return v;
  }

  /** An int32 (signed) or uint32 word. */
  i32(key: string): number {
    return this.int(key, -0x8000_0000, 0xffff_ffff) | 0;
  }

  bool(key: string): boolean {
    const v = this.get(key);
    if (typeof v !== 'boolean') this.bad(key, 'true or false');
    return v;
  }

  str(key: string): string {
    const v = this.get(key);
    if (typeof v !== 'string') this.bad(key, 'a string');
    return v;
  }

  big(key: string): bigint {
    const v = this.get(key);
    if (typeof v !== 'bigint') this.bad(key, 'an integer');
    return v;
  }

  /** Bytes, of exactly `length` when given. */
  bytes(key: string, length?: number): Uint8Array {
    const v = this.get(key);
    if (!(v instanceof Uint8Array) || (length !== undefined && v.length !== length)) this.bad(key, length === undefined ? 'bytes' : `${length} bytes`);
    return v;
  }

  /** Bytes copied into `into` (which fixes the length): for typed-array device registers. */
  fill(key: string, into: { length: number; set(a: ArrayLike<number>): void; buffer: ArrayBufferLike; byteOffset: number; byteLength: number }): void {
    const b = this.bytes(key, into.byteLength);
    new Uint8Array(into.buffer, into.byteOffset, into.byteLength).set(b);
  }

  obj(key: string): StateReader {
    const v = this.get(key);
    if (v === null || typeof v !== 'object' || Array.isArray(v) || v instanceof Uint8Array || typeof v === 'bigint') this.bad(key, 'an object');
    return new StateReader(v as StateObject, `${this.path}.${key}`);
  }

  /** An object or null. */
  objOrNull(key: string): StateReader | null {
    return this.get(key) === null ? null : this.obj(key);
  }

  /** An array, of exactly `length` when given. */
  list(key: string, length?: number): StateValue[] {
    const v = this.get(key);
    if (!Array.isArray(v) || (length !== undefined && v.length !== length)) this.bad(key, length === undefined ? 'a list' : `a list of ${length}`);
    return v;
  }

  /** An array of objects, each as a reader. */
  objects(key: string, length?: number): StateReader[] {
    return this.list(key, length).map((v, i) => StateReader.of(v, `${this.path}.${key}[${i}]`));
  }

  /** An array of whole numbers within [min, max]. */
  ints(key: string, min: number, max: number, length?: number): number[] {
    return this.list(key, length).map((v, i) => {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new SnapshotError(`${this.path}.${key}[${i}]: expected a whole number from ${min} to ${max}`);
      return v;
    });
  }

  /** An array of byte strings. */
  byteList(key: string): Uint8Array[] {
    return this.list(key).map((v, i) => {
      if (!(v instanceof Uint8Array)) throw new SnapshotError(`${this.path}.${key}[${i}]: expected bytes`);
      return v;
    });
  }
}

/** The bytes of a typed array (a copy), for saveState. */
export function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength).slice();
}
