// Checks across machines: host ports forwarded twice, MAC addresses and private IPs used twice,
// primary and depends_on (orchestration.ts).
import { deriveMac } from './mac-address.js';
import { checkOrchestration } from './orchestration.js';
import type { MachineDraft } from './normalize-machine.js';
import type { YamlPath } from './problem.js';
import type { Reporter } from './reporter.js';

const WILDCARDS = new Set(['0.0.0.0', '::']);

export function checkProject(drafts: MachineDraft[], projectDir: string, report: Reporter): void {
  checkHostPorts(drafts, report);
  assignUniqueMacs(drafts, projectDir, report);
  checkPrivateIps(drafts, report);
  checkOrchestration(drafts, report);
}

/** Two forwards cannot listen on one host port (a wildcard address overlaps every address). */
function checkHostPorts(drafts: MachineDraft[], report: Reporter): void {
  const seen = new Map<string, { hostIp: string; machine: string; path: YamlPath }[]>();
  for (const d of drafts) {
    for (const f of d.forwards) {
      const { host, hostIp, protocol } = f.config;
      const key = `${protocol}/${host}`;
      const earlier = seen.get(key) ?? [];
      const clash = earlier.find((e) => e.hostIp === hostIp || WILDCARDS.has(e.hostIp) || WILDCARDS.has(hostIp));
      if (clash) {
        const by = clash.machine === d.name ? 'this machine' : `machine "${clash.machine}"`;
        report.error([...f.path, 'host'], `host port ${host}/${protocol} on ${hostIp} is already forwarded by ${by} (${report.where(clash.path)})`, {
          hint: 'each host port can be forwarded once: pick another `host:` port',
        });
        continue;
      }
      earlier.push({ hostIp, machine: d.name, path: [...f.path, 'host'] });
      seen.set(key, earlier);
    }
  }
}

/** Written MACs must differ; a derived MAC that collides (24 random bits) is derived again. */
function assignUniqueMacs(drafts: MachineDraft[], projectDir: string, report: Reporter): void {
  const explicit = new Map<string, { machine: string; path: YamlPath }>();
  for (const d of drafts) {
    for (const n of d.nics) {
      if (!n.macExplicit) continue;
      const first = explicit.get(n.config.mac);
      if (first) {
        report.error([...n.path, 'mac'], `MAC address ${n.config.mac} is already used by a card of machine "${first.machine}" (${report.where(first.path)})`);
      } else {
        explicit.set(n.config.mac, { machine: d.name, path: [...n.path, 'mac'] });
      }
    }
  }
  const taken = new Set(explicit.keys());
  for (const d of drafts) {
    for (const n of d.nics) {
      if (n.macExplicit) continue;
      for (let attempt = 1; taken.has(n.config.mac); attempt++) n.config.mac = deriveMac(projectDir, d.name, n.index, attempt);
      taken.add(n.config.mac);
    }
  }
}

/** A static address can be given to one card per private network. */
function checkPrivateIps(drafts: MachineDraft[], report: Reporter): void {
  const seen = new Map<string, { machine: string; path: YamlPath }>();
  for (const d of drafts) {
    for (const n of d.nics) {
      if (n.config.type !== 'private' || n.config.ip === undefined) continue;
      const key = `${n.config.network}\u0000${n.config.ip}`;
      const first = seen.get(key);
      if (first) {
        report.error([...n.path, 'ip'], `address ${n.config.ip} on network "${n.config.network}" is already given to machine "${first.machine}" (${report.where(first.path)})`);
      } else {
        seen.set(key, { machine: d.name, path: [...n.path, 'ip'] });
      }
    }
  }
}
