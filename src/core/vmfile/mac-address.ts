// Stable MAC addresses: the same project, machine and card always get the same address, so DHCP
// leases and guest network configs survive `vm destroy && vm up`.
import { createHash } from 'node:crypto';

/** qemu's locally administered prefix; the rest comes from a hash. */
export const MAC_PREFIX = '52:54:00';

export function deriveMac(projectDir: string, machine: string, nicIndex: number, attempt = 0): string {
  const h = createHash('sha256').update(`${projectDir}\u0000${machine}\u0000${nicIndex}\u0000${attempt}`).digest();
  const tail = [h[0]!, h[1]!, h[2]!].map((b) => b.toString(16).padStart(2, '0')).join(':');
  return `${MAC_PREFIX}:${tail}`;
}

/** Lower-case, colon-separated: how MACs are compared and written out. */
export function normalizeMac(mac: string): string {
  return mac.toLowerCase();
}

/** A MAC whose first octet has the group bit set is a multicast address, which no card may have. */
export function isMulticastMac(mac: string): boolean {
  return (parseInt(mac.slice(0, 2), 16) & 1) === 1;
}
