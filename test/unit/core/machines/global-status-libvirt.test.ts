// `vm global-status` and libvirt hosts: the domains vm made, found by their metadata on every host
// an index entry names, folded into the indexed machines' rows, listed when the index does not know
// them (their project gone), and a host that cannot be reached is a warning, not a failure. Against
// this host's real libvirt daemon (qemu:///system): domains are defined from domainXml, never started,
// and undefined after. Skipped, with the reason, without a libvirt daemon.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { globalStatus, pruneIndex } from '../../../../src/core/machines/global-status.js';
import { recordMachine } from '../../../../src/core/machines/global-index.js';
import { domainXml } from '../../../../src/engines/libvirt/domain-xml.js';
import { parseDomainList, listVmDomains } from '../../../../src/engines/libvirt/domains.js';
import { metadataOwner } from '../../../../src/engines/libvirt/domain-info.js';
import { domainName } from '../../../../src/engines/libvirt/names.js';
import type { MachineConfig } from '../../../../src/model/machine-config.js';
import { riscvConfig } from '../../engines/qemu/machine-fixture.js';

const URI = 'qemu:///system';
const virsh = (...args: string[]) => spawnSync('virsh', ['-q', '-c', URI, ...args], { encoding: 'utf8' });
const v = spawnSync('virsh', ['-c', URI, 'version'], { encoding: 'utf8' });
const reason = v.error ? 'virsh is not installed' : v.status !== 0 ? `no libvirt daemon at ${URI}` : undefined;

describe('reading virsh', () => {
  it('list --all rows', () => {
    expect(parseDomainList(' 3    vm-web-1a2b3c4d   running\n -    vm-db-1a2b3c4d    shut off\n -    other             paused\n')).toEqual([
      { domain: 'vm-web-1a2b3c4d', state: 'running' },
      { domain: 'vm-db-1a2b3c4d', state: 'shut off' },
      { domain: 'other', state: 'paused' },
    ]);
  });

  it('metadata output (the element without its prefix), entities undone', () => {
    expect(metadataOwner('<machine>\n  <name>web</name>\n  <project>/home/dev/a &amp; b</project>\n  <vmfile>/home/dev/a &amp; b/Vmfile</vmfile>\n</machine>\n')).toEqual({ name: 'web', project: '/home/dev/a & b' });
    expect(metadataOwner('')).toBeUndefined();
  });
});

describe.skipIf(reason !== undefined)(reason ? `global-status on libvirt hosts (skipped: ${reason})` : 'global-status on libvirt hosts (this host\'s qemu:///system, domains defined only)', () => {
  let root: string;
  let home: string;
  let indexed: string;
  let gone: string;
  const configs: MachineConfig[] = [];
  const define = (c: MachineConfig): void => {
    const file = join(root, `${c.name}.xml`);
    writeFileSync(file, domainXml({ config: c, domain: domainName(c), volumes: { pool: 'vm', kernel: '/dev/null', extra: [] }, local: true }));
    const r = virsh('define', file);
    expect(r.status, r.stderr).toBe(0);
    configs.push(c);
  };
  const machine = (project: string, name: string): MachineConfig =>
    riscvConfig({ name, engine: 'libvirt', engineRequested: 'libvirt', libvirt: { uri: URI, pool: 'vm' }, project: { dir: project, vmfile: join(project, 'Vmfile'), stateDir: join(project, '.vm', 'machines', name) } });

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'vm-gs-libvirt-'));
    home = join(root, 'home');
    indexed = join(root, 'indexed');
    gone = join(root, 'gone-project');
    mkdirSync(indexed);
    // an indexed machine whose .vm/ folder is gone, its domain still defined
    define(machine(indexed, 'web'));
    await recordMachine({ project: indexed, name: 'web', engine: 'libvirt', state: 'halted', libvirtUri: URI }, { home });
    // a domain of a project this index never knew, whose folder does not exist
    define(machine(gone, 'db'));
    // a host that cannot be reached
    await recordMachine({ project: indexed, name: 'far', engine: 'libvirt', state: 'halted', libvirtUri: 'qemu+ssh://nobody@127.0.0.1:1/system?no_verify=1' }, { home });
  });

  afterAll(() => {
    for (const c of configs) virsh('undefine', domainName(c));
    rmSync(root, { recursive: true, force: true });
  });

  it('lists vm\'s domains on a host, by their metadata', async () => {
    const mine = (await listVmDomains(URI)).filter((d) => d.project.startsWith(root));
    expect(mine.sort((a, b) => a.name.localeCompare(b.name))).toEqual([
      { uri: URI, domain: domainName(configs[1]!), state: 'shut off', project: gone, name: 'db' },
      { uri: URI, domain: domainName(configs[0]!), state: 'shut off', project: indexed, name: 'web' },
    ]);
  });

  it('folds domains into indexed rows, lists unindexed ones with their project gone, warns of an unreachable host', async () => {
    const warnings: string[] = [];
    const rows = (await globalStatus({ home }, { warn: (m) => warnings.push(m) })).filter((m) => m.project.startsWith(root));
    const web = domainName(configs[0]!);
    const db = domainName(configs[1]!);
    expect(rows).toEqual([
      { project: gone, name: 'db', engine: 'libvirt', status: 'missing', detail: `project folder is gone (not in this host's index; its domain ${db} is shut off on ${URI})`, stale: false, libvirt: { uri: URI, domain: db, state: 'shut off' }, indexed: false },
      expect.objectContaining({ project: indexed, name: 'far', status: 'not created', stale: true }),
      expect.objectContaining({ project: indexed, name: 'web', status: 'not created', stale: false, detail: `its state folder is gone, but its domain ${web} is shut off on ${URI}`, libvirt: { uri: URI, domain: web, state: 'shut off' } }),
    ]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^cannot list vm's domains on qemu\+ssh:\/\/nobody@127\.0\.0\.1:1\/system\?no_verify=1: cannot reach the libvirt host/);
  });

  it('prune keeps an entry whose domain still exists, drops one without', async () => {
    const pruned = await pruneIndex({ home }, { warn: () => undefined });
    expect(pruned.map((m) => m.name)).toEqual(['far']);
    const rows = (await globalStatus({ home }, { libvirtHosts: false })).map((m) => m.name);
    expect(rows).toEqual(['web']);
  });
});
