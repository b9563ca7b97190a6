// `vm debug boot`: boot a box (or a kernel) on the builtin engine in the foreground, with the serial
// console on this terminal in raw mode. Ctrl-A X quits, Ctrl-A Ctrl-A sends a literal Ctrl-A (as QEMU).

import { Flags } from '@oclif/core';
import { resolve } from 'node:path';
import { BaseCommand } from '../../base-command.js';
import { UserError } from '../../../core/errors.js';
import { resolveBox } from '../../../core/boxes/catalog.js';
import { parseSize } from '../../../core/vmfile/units.js';
import { engineUserError } from '../../../core/engine-errors.js';
import { startBuiltinMachine, type BuiltinBootSpec } from '../../../engines/builtin/builtin-machine.js';
import { formatProfile } from '../../../engines/builtin/hart-profile.js';
import type { MachineExitEvent } from '../../../emulator/machine/virt.js';
import { paint } from '../../ui/color.js';

const CTRL_A = 0x01;

export default class DebugBoot extends BaseCommand {
  static override summary = 'Boot a box on the builtin engine in the foreground, console on this terminal';
  static override description =
    'Boots the box (default: tiny) or a kernel you name, with no Vmfile and no saved state. The guest console is this terminal: type into the shell; Ctrl-A X quits, Ctrl-A Ctrl-A sends Ctrl-A. A guest poweroff exits with status 0.';
  static override examples = [
    '<%= config.bin %> debug boot',
    '<%= config.bin %> debug boot --cpus 2 --memory 512M',
    '<%= config.bin %> debug boot --kernel Image --initrd initrd.gz --append "quiet"',
    '<%= config.bin %> debug boot --firmware /usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.bin',
    '<%= config.bin %> debug boot --profile',
  ];

  static override flags = {
    box: Flags.string({ description: 'box to boot (from the store or bundled)', env: 'VM_DEBUG_BOX', exclusive: ['kernel'] }),
    kernel: Flags.string({ description: 'kernel Image to boot instead of a box (gzip accepted)' }),
    initrd: Flags.string({ description: 'initramfs for --kernel (gzip accepted)', dependsOn: ['kernel'] }),
    memory: Flags.string({ description: 'guest RAM, e.g. 256M, 1G', default: '256M', env: 'VM_DEBUG_MEMORY' }),
    cpus: Flags.integer({ description: 'number of harts (1-8)', default: 1, min: 1, max: 8, env: 'VM_DEBUG_CPUS' }),
    firmware: Flags.string({ description: '"sbi" (SBI implemented by the host) or an M-mode firmware image such as OpenSBI fw_jump.bin' }),
    append: Flags.string({ description: 'extra kernel command line arguments' }),
    warp: Flags.string({
      description: 'skip guest idle time: always, until-ready (until the box prints its ready line), never',
      options: ['always', 'until-ready', 'never'],
      default: 'until-ready',
    }),
    profile: Flags.boolean({
      description: 'at exit, print where host time went: guest instructions and MIPS, translated vs interpreted, regions compiled and compile time, region exits by cause (also VM_PROFILE=1)',
    }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(DebugBoot);
    const memoryBytes = parseSize(flags.memory);
    if (memoryBytes === undefined) throw new UserError(`--memory: '${flags.memory}' is not a size`, { hint: 'write it like 256M or 1G' });

    let spec: BuiltinBootSpec;
    if (flags.kernel) {
      spec = {
        kernel: resolve(flags.kernel),
        initrd: flags.initrd ? resolve(flags.initrd) : undefined,
        memoryBytes,
        cpus: flags.cpus,
        cmdline: 'console=ttyS0',
      };
    } else {
      const box = await resolveBox(flags.box ?? 'tiny');
      if (box.arch !== 'riscv64') throw new UserError(`box '${box.name}' is for ${box.arch}; the builtin engine runs riscv64 boxes`);
      spec = { kernel: box.kernel, initrd: box.initrd, firmware: box.firmware, memoryBytes, cpus: flags.cpus, cmdline: box.cmdline };
    }
    if (flags.firmware !== undefined) spec.firmware = flags.firmware === 'sbi' ? undefined : resolve(flags.firmware);
    if (flags.append) spec.cmdline = `${spec.cmdline} ${flags.append}`.trim();
    spec.idleWarp = flags.warp as BuiltinBootSpec['idleWarp'];
    if (flags.profile) spec.profile = true;

    const tty = process.stdin.isTTY === true;
    const note = (m: string): void => {
      process.stderr.write(`${tty ? '\r\n' : '\n'}${paint.dim(`[vm] ${m}`)}${tty ? '\r\n' : '\n'}`);
    };
    let vm;
    try {
      vm = await startBuiltinMachine(spec, { onLog: (m) => note(`guest: ${m}`) });
    } catch (err) {
      throw engineUserError(err);
    }
    if (tty) note('console attached; Ctrl-A X quits');
    vm.output.pipe(process.stdout, { end: false });

    let escape = false;
    let typed = false;
    // Piped input (not a terminal) is held until the guest is ready: typed earlier, the serial
    // driver's start-up would discard it.
    let held: Buffer[] | null = tty ? null : [];
    void vm.ready.then(() => {
      const pending = held;
      held = null;
      if (pending && pending.length > 0) vm.write(Buffer.concat(pending));
    });
    const onInput = (data: Buffer): void => {
      if (held) {
        held.push(data);
        return;
      }
      const pass: number[] = [];
      for (const b of data) {
        if (escape) {
          escape = false;
          if (b === 0x78 || b === 0x58) {
            note('quit (Ctrl-A X)');
            vm.stop();
            return;
          }
          if (b === CTRL_A) pass.push(CTRL_A);
          continue;
        }
        if (b === CTRL_A && tty) escape = true;
        else pass.push(b);
      }
      if (pass.length === 0) return;
      // Someone is typing: the guest is in use, so its time must be real from now on.
      if (!typed) vm.markReady();
      typed = true;
      vm.write(Uint8Array.from(pass));
    };
    if (tty) process.stdin.setRawMode(true);
    process.stdin.on('data', onInput);
    process.stdin.resume();
    const stopOnSignal = (): void => vm.stop();
    process.once('SIGTERM', stopOnSignal);
    process.once('SIGHUP', stopOnSignal);

    let exit: MachineExitEvent;
    try {
      exit = await vm.exit;
    } finally {
      process.stdin.off('data', onInput);
      if (tty) process.stdin.setRawMode(false);
      process.stdin.pause();
      process.off('SIGTERM', stopOnSignal);
      process.off('SIGHUP', stopOnSignal);
      vm.output.unpipe(process.stdout);
    }
    const s = vm.stats();
    if (s.droppedOutputBytes > 0) note(`${s.droppedOutputBytes} console bytes were dropped (the terminal did not keep up)`);
    const profile = vm.profile();
    if (profile) note(formatProfile(profile).join(tty ? '\r\n' : '\n'));
    switch (exit.kind) {
      case 'poweroff':
      case 'stopped':
        return;
      case 'reboot':
        note('the guest asked for a reboot; debug boot ends here');
        return;
      case 'fail':
        note(`the guest reported failure with status ${exit.status}`);
        process.exitCode = Math.min(255, Math.max(1, exit.status));
        return;
      case 'halted':
        note(`the guest stopped for good: ${exit.message}`);
        process.exitCode = 1;
        return;
      case 'error':
        throw new Error(exit.message);
    }
  }
}
