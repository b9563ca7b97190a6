// What a boot or `vm provision` runs.
import { describe, expect, it } from 'vitest';
import type { MachineConfig, ProvisionerConfig } from '../../../../src/model/machine-config.js';
import { pickProvisioners, provisionersFor } from '../../../../src/core/lifecycle/provision.js';

const shell = (name: string, run: ProvisionerConfig['run']): ProvisionerConfig => ({ type: 'shell', name, run, script: 'true', args: [], env: {} });

describe('which provisioners run', () => {
  const all = [shell('a', 'once'), shell('b', 'always'), shell('c', 'never')];
  it('on up: first boot once+always, later boots always, running none, --provision once+always', () => {
    const names = (l: ProvisionerConfig[]): string[] => l.map((p) => p.name);
    expect(names(provisionersFor(all, 'first'))).toEqual(['a', 'b']);
    expect(names(provisionersFor(all, 'boot'))).toEqual(['b']);
    expect(names(provisionersFor(all, 'none'))).toEqual([]);
    expect(names(provisionersFor(all, 'forced'))).toEqual(['a', 'b']);
  });
  it('on vm provision: all but never, or the named ones (never included); unknown names fail', () => {
    const config = { name: 'm', provision: all } as unknown as MachineConfig;
    expect(pickProvisioners(config, undefined).map((p) => p.name)).toEqual(['a', 'b']);
    expect(pickProvisioners(config, ['c', 'a']).map((p) => p.name)).toEqual(['a', 'c']);
    expect(() => pickProvisioners(config, ['zz'])).toThrow("machine 'm' has no provisioner named 'zz'");
  });
});
