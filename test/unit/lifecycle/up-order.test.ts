// The order of `vm up` from depends_on, and the ready probe's reading of the kernel's socket table.
import { describe, expect, it } from 'vitest';
import type { MachineConfig } from '../../../src/engines/machine-config.js';
import { upOrder } from '../../../src/core/lifecycle/power/up-order.js';
import { listeningPorts } from '../../../src/core/lifecycle/ready.js';

const m = (name: string, dependsOn?: string[]): MachineConfig => ({ name, ...(dependsOn ? { dependsOn } : {}) }) as MachineConfig;
const names = (ms: MachineConfig[]): string[] => ms.map((x) => x.name);

describe('upOrder', () => {
  const all = [m('web', ['api']), m('api', ['db', 'cache']), m('cache'), m('db'), m('tools')];

  it('puts dependencies first, otherwise keeping the written order', () => {
    const o = upOrder(all, all, { withDependencies: true });
    expect(names(o.machines)).toEqual(['cache', 'db', 'api', 'web', 'tools']);
    expect(Object.fromEntries(o.waitsFor)).toEqual({ cache: [], db: [], api: ['db', 'cache'], web: ['api'], tools: [] });
    expect(o.added).toEqual([]);
    expect(o.hasDependencies).toBe(true);
  });

  it('brings up what a named machine depends on, transitively', () => {
    const o = upOrder([all[0]!], all, { withDependencies: true });
    expect(names(o.machines)).toEqual(['cache', 'db', 'api', 'web']);
    expect(o.added).toEqual(['api', 'cache', 'db']);
  });

  it('without dependencies added (reload), waits only for machines in the list', () => {
    const o = upOrder([all[0]!, all[3]!], all, { withDependencies: false });
    expect(names(o.machines)).toEqual(['web', 'db']);
    expect(Object.fromEntries(o.waitsFor)).toEqual({ web: [], db: [] });
    expect(o.hasDependencies).toBe(false);
  });
});

describe('listeningPorts', () => {
  it('reads LISTEN sockets (st 0A) of /proc/net/tcp and tcp6, ignoring other states', () => {
    const tcp = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:1F40 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1234 1 0000000000000000 100 0 0 10 0
   1: 0100007F:0016 0100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 1235 1 0000000000000000 20 4 30 10 -1
`;
    const tcp6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:1538 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 99 1 0000000000000000 100 0 0 10 0
`;
    expect(listeningPorts(tcp)).toEqual([8000]);
    expect(listeningPorts(tcp6)).toEqual([5432]);
    expect(listeningPorts('')).toEqual([]);
  });
});
