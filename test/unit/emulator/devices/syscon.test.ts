// The SiFive test finisher: 0x5555 pass/poweroff, 0x7777 reset, (code << 16) | 0x3333 fail.
import { describe, expect, it } from 'vitest';
import { Syscon, type MachineExit } from '../../../../src/emulator/devices/syscon.js';

describe('Syscon', () => {
  const run = (offset: number, size: 1 | 2 | 4, value: number) => {
    const exits: MachineExit[] = [];
    new Syscon((e) => exits.push(e)).write(offset, size, value);
    return exits;
  };
  it('powers off, reboots and fails with the code from bits 31:16', () => {
    expect(run(0, 4, 0x5555)).toEqual([{ kind: 'poweroff', status: 0 }]);
    expect(run(0, 4, 0x7777)).toEqual([{ kind: 'reboot', status: 0 }]);
    expect(run(0, 4, (3 << 16) | 0x3333)).toEqual([{ kind: 'fail', status: 3 }]);
    expect(run(0, 4, 0xffff3333)).toEqual([{ kind: 'fail', status: 0xffff }]);
  });
  it('accepts 16-bit writes, as OpenSBI’s sifive_test driver issues them (writew)', () => {
    expect(run(0, 2, 0x5555)).toEqual([{ kind: 'poweroff', status: 0 }]);
    expect(run(0, 2, 0x7777)).toEqual([{ kind: 'reboot', status: 0 }]);
  });
  it('ignores other values, offsets and widths', () => {
    expect(run(0, 4, 0x1234)).toEqual([]);
    expect(run(4, 4, 0x5555)).toEqual([]);
    expect(run(0, 1, 0x55)).toEqual([]);
  });
});
