// The order of `vm up` from depends_on.
import { describe, expect, it } from 'vitest';
import type { MachineConfig } from '../../../../../src/model/machine-config.js';
import { upOrder } from '../../../../../src/core/lifecycle/power/up-order.js';

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
