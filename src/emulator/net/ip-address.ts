// IPv4 and IPv6 addresses as the NAT handles them: IPv4 as unsigned 32-bit numbers, text forms for
// the host side (RFC 791 §3.2 dotted quads, RFC 4291 §2.2 IPv6 text, RFC 5952 output not needed).

/** Parses a dotted-quad IPv4 address; undefined when it is not exactly four decimal octets. */
export function parseIpv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = value * 256 + octet;
  }
  return value >>> 0;
}

export function formatIpv4(ip: number): string {
  return `${ip >>> 24}.${(ip >>> 16) & 0xff}.${(ip >>> 8) & 0xff}.${ip & 0xff}`;
}

/** A prefix length as a netmask, e.g. 24 -> 0xffffff00. */
export function prefixToMask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

export function inSubnet(ip: number, network: number, mask: number): boolean {
  return ((ip & mask) >>> 0) === ((network & mask) >>> 0);
}

/** True for 224.0.0.0/4 (multicast) and 240.0.0.0/4 (reserved, including 255.255.255.255). */
export function isMulticastOrReserved(ip: number): boolean {
  return ip >>> 28 >= 0xe;
}

export function readIpv4(buf: Uint8Array, offset: number): number {
  return ((buf[offset]! << 24) | (buf[offset + 1]! << 16) | (buf[offset + 2]! << 8) | buf[offset + 3]!) >>> 0;
}

export function writeIpv4(buf: Uint8Array, offset: number, ip: number): void {
  buf[offset] = ip >>> 24;
  buf[offset + 1] = (ip >>> 16) & 0xff;
  buf[offset + 2] = (ip >>> 8) & 0xff;
  buf[offset + 3] = ip & 0xff;
}

export const IPV6_ADDR_SIZE = 16;

/** Parses IPv6 text (with `::` and an optional trailing dotted quad) into 16 bytes; undefined if invalid. */
export function parseIpv6(text: string): Uint8Array | undefined {
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groupsOf = (s: string): number[] | undefined => {
    if (s === '') return [];
    const out: number[] = [];
    const pieces = s.split(':');
    for (let i = 0; i < pieces.length; i++) {
      const p = pieces[i]!;
      if (i === pieces.length - 1 && p.includes('.')) {
        const v4 = parseIpv4(p);
        if (v4 === undefined) return undefined;
        out.push(v4 >>> 16, v4 & 0xffff);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return undefined;
        out.push(parseInt(p, 16));
      }
    }
    return out;
  };
  const head = groupsOf(halves[0]!);
  const tail = halves.length === 2 ? groupsOf(halves[1]!) : [];
  if (head === undefined || tail === undefined) return undefined;
  const total = head.length + tail.length;
  if (halves.length === 1 ? total !== 8 : total > 7) return undefined;
  const groups = [...head, ...new Array<number>(8 - total).fill(0), ...tail];
  const bytes = new Uint8Array(IPV6_ADDR_SIZE);
  groups.forEach((g, i) => {
    bytes[i * 2] = g >>> 8;
    bytes[i * 2 + 1] = g & 0xff;
  });
  return bytes;
}
