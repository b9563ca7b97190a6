// Test helper: a tar writer that can produce both well-formed archives (ustar, GNU long names, pax)
// and hostile ones (links, devices, '..', absolute paths, lying sizes) for the reader's tests.
import { gzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';

export interface TarItem {
  name: string;
  /** ustar type flag: '0' file (default), '5' folder, '1' hard link, '2' symlink, '3' char dev, '4' block dev, '6' fifo ... */
  type?: string;
  data?: Buffer | string;
  linkname?: string;
  /** Header size when it should lie about the data (default: data length). */
  size?: number;
  /** How to store a name over 100 bytes (default pax). */
  longName?: 'pax' | 'gnu' | 'ustar';
  /** Extra pax records for this entry. */
  pax?: Record<string, string>;
  /** Write the size field in GNU base-256. */
  base256Size?: boolean;
}

const BLOCK = 512;

function octal(n: number, width: number): string {
  return `${n.toString(8).padStart(width - 1, '0')}\0`;
}

function header(name: string, type: string, size: number, opts: { linkname?: string; prefix?: string; base256?: boolean } = {}): Buffer {
  const h = Buffer.alloc(BLOCK);
  h.write(name, 0, 100, 'utf8');
  h.write(octal(0o644, 8), 100, 'latin1');
  h.write(octal(0, 8), 108, 'latin1');
  h.write(octal(0, 8), 116, 'latin1');
  if (opts.base256) {
    const f = Buffer.alloc(12);
    let v = BigInt(size);
    for (let i = 11; i >= 1; i--) {
      f[i] = Number(v & 0xffn);
      v >>= 8n;
    }
    f[0] = 0x80;
    f.copy(h, 124);
  } else h.write(octal(size, 12), 124, 'latin1');
  h.write(octal(0, 12), 136, 'latin1');
  h.write(type, 156, 'latin1');
  if (opts.linkname) h.write(opts.linkname, 157, 100, 'utf8');
  h.write('ustar\0', 257, 'latin1');
  h.write('00', 263, 'latin1');
  if (opts.prefix) h.write(opts.prefix, 345, 155, 'utf8');
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return h;
}

const pad = (b: Buffer): Buffer => Buffer.concat([b, Buffer.alloc((BLOCK - (b.length % BLOCK)) % BLOCK)]);

function paxBody(records: Record<string, string>): Buffer {
  let out = '';
  for (const [k, v] of Object.entries(records)) {
    const body = ` ${k}=${v}\n`;
    const bodyLen = Buffer.byteLength(body);
    let len = bodyLen + 1;
    while (String(len).length + bodyLen !== len) len = String(len).length + bodyLen;
    out += `${len}${body}`;
  }
  return Buffer.from(out, 'utf8');
}

export function tar(items: TarItem[], opts: { end?: boolean } = {}): Buffer {
  const parts: Buffer[] = [];
  for (const it of items) {
    const type = it.type ?? '0';
    const data = it.data === undefined ? Buffer.alloc(0) : Buffer.isBuffer(it.data) ? it.data : Buffer.from(it.data);
    const size = it.size ?? (type === '0' ? data.length : 0);
    let name = it.name;
    let prefix: string | undefined;
    const pax: Record<string, string> = { ...it.pax };
    if (Buffer.byteLength(name) > 100) {
      const how = it.longName ?? 'pax';
      if (how === 'pax') pax.path = name;
      else if (how === 'gnu') {
        const ln = Buffer.from(`${name}\0`);
        parts.push(header('././@LongLink', 'L', ln.length), pad(ln));
      } else {
        const cut = name.lastIndexOf('/', 155);
        prefix = name.slice(0, cut);
        name = name.slice(cut + 1);
      }
      if (how !== 'ustar') name = name.slice(0, 99);
    }
    if (Object.keys(pax).length > 0) {
      const body = paxBody(pax);
      parts.push(header(`PaxHeaders/${name.slice(0, 80)}`, 'x', body.length), pad(body));
    }
    parts.push(header(name, type, size, { linkname: it.linkname, prefix, base256: it.base256Size }));
    if (data.length > 0) parts.push(pad(data));
  }
  if (opts.end !== false) parts.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(parts);
}

export const tgz = (items: TarItem[], opts?: { end?: boolean }): Buffer => gzipSync(tar(items, opts));

export const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

/** A valid box.json for the given files (name -> content), plus overrides. */
export function boxJson(files: Record<string, Buffer | string>, over: Record<string, unknown> = {}): string {
  const f: Record<string, { sha256: string; size: number }> = {};
  for (const [k, v] of Object.entries(files)) f[k] = { sha256: sha256(v), size: Buffer.byteLength(v) };
  return JSON.stringify(
    {
      name: 'demo',
      version: '1.0.0',
      description: 'a test box',
      architecture: 'riscv64',
      engines: ['builtin', 'qemu'],
      kernel: 'Image',
      cmdline: 'console=ttyS0',
      files: f,
      ...over,
    },
    null,
    2,
  );
}
