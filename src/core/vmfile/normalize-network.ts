// A machine's network cards and port forwards: defaults (one NAT card, 127.0.0.1, tcp), stable MACs.
import { isIP, isIPv4 } from 'node:net';
import type { ForwardConfig, NicConfig } from '../../model/machine-config.js';
import { DEFAULT_FORWARD_HOST_IP, DEFAULT_FORWARD_PROTOCOL } from './defaults.js';
import type { Located } from './machine-sources.js';
import { deriveMac, isMulticastMac, normalizeMac } from './mac-address.js';
import type { YamlPath } from './problem.js';
import type { Reporter } from './reporter.js';
import { asInteger, asString, isRecord, quote } from './values.js';

export interface DraftNic {
  config: NicConfig;
  /** Where the card was declared; the machine's path for the default NAT card. */
  path: YamlPath;
  /** The MAC was written in the Vmfile (else derived, and re-derivable on a collision). */
  macExplicit: boolean;
  index: number;
}

export interface DraftForward {
  config: ForwardConfig;
  path: YamlPath;
}

export function normalizeNics(items: Located[], projectDir: string, machine: string, report: Reporter, machinePath: YamlPath = []): DraftNic[] {
  if (items.length === 0) {
    return [{ config: { type: 'nat', mac: deriveMac(projectDir, machine, 0) }, path: machinePath, macExplicit: false, index: 0 }];
  }
  const out: DraftNic[] = [];
  items.forEach((item, index) => {
    if (!isRecord(item.value)) return;
    const v = item.value;
    let mac = deriveMac(projectDir, machine, index);
    let macExplicit = false;
    const macText = asString(v.mac);
    if (macText !== undefined && /^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$/.test(macText)) {
      if (isMulticastMac(macText)) {
        report.error([...item.path, 'mac'], `MAC address ${macText} is a multicast address; a card needs a unicast one (first byte even, such as 52:54:00:...)`);
      } else {
        mac = normalizeMac(macText);
        macExplicit = true;
      }
    }
    if (v.type === 'nat') {
      out.push({ config: { type: 'nat', mac }, path: item.path, macExplicit, index });
    } else if (v.type === 'private' && typeof v.network === 'string') {
      const config: NicConfig = { type: 'private', network: v.network, mac };
      const ip = asString(v.ip);
      if (ip !== undefined) {
        if (isIPv4(ip)) config.ip = ip;
        else if (/^[0-9]{1,3}(\.[0-9]{1,3}){3}$/.test(ip)) report.error([...item.path, 'ip'], `${quote(ip)} is not an IPv4 address: each part must be 0 to 255`);
      }
      out.push({ config, path: item.path, macExplicit, index });
    }
  });
  return out;
}

const WILDCARDS = new Set(['0.0.0.0', '::']);

export function normalizeForwards(items: Located[], report: Reporter): DraftForward[] {
  const out: DraftForward[] = [];
  for (const item of items) {
    if (!isRecord(item.value)) continue;
    const guest = asInteger(item.value.guest);
    const host = asInteger(item.value.host);
    const hostIp = item.value.host_ip === undefined ? DEFAULT_FORWARD_HOST_IP : asString(item.value.host_ip);
    const protocol = item.value.protocol === undefined ? DEFAULT_FORWARD_PROTOCOL : item.value.protocol;
    if (hostIp !== undefined && isIP(hostIp) === 0) {
      report.error([...item.path, 'host_ip'], `host_ip must be an IP address of this host such as 127.0.0.1; got ${quote(hostIp)}`);
      continue;
    }
    const portOk = (p: number | undefined) => p !== undefined && p >= 1 && p <= 65535;
    if (!portOk(guest) || !portOk(host) || hostIp === undefined || (protocol !== 'tcp' && protocol !== 'udp')) continue;
    if (WILDCARDS.has(hostIp)) {
      report.warn([...item.path, 'host_ip'], `host port ${host} listens on ${hostIp}: every network this host is on can reach guest port ${guest}`, {
        hint: 'leave host_ip out (127.0.0.1) unless other computers must reach it',
      });
    }
    out.push({ config: { guest: guest!, host: host!, hostIp, protocol, ...(item.value.auto_correct === true ? { autoCorrect: true as const } : {}) }, path: item.path });
  }
  return out;
}
