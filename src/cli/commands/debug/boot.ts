// `vm debug boot`: boot a box (or a kernel) on the builtin engine in the foreground, with the serial
// console on this terminal in raw mode. Ctrl-A X quits, Ctrl-A Ctrl-A sends a literal Ctrl-A (as QEMU).
// The machine and its console are core/debug/foreground-boot.ts's; this parses and prints.

import { Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { paint } from '../../ui/color.js';
import type { ForegroundBootRequest } from '../../../core/debug/foreground-boot.js';

export default class DebugBoot extends BaseCommand {
  static override summary = 'Boot a box on the builtin engine in the foreground, console on this terminal';
  static override description =
    'Boots the box (default: tiny) or a kernel you name, with no Vmfile and no saved state. The guest console is this terminal: type into the shell; Ctrl-A X quits, Ctrl-A Ctrl-A sends Ctrl-A, Ctrl-A H lists the escapes. A guest poweroff exits with status 0; a guest that reports failure exits with its status.';
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
    const { UserError } = await import('../../../core/errors.js');
    const { parseSize } = await import('../../../core/vmfile/units.js');
    const { bootInForeground, foregroundBootSpec } = await import('../../../core/debug/foreground-boot.js');
    const memoryBytes = parseSize(flags.memory);
    if (memoryBytes === undefined) throw new UserError(`--memory: '${flags.memory}' is not a size`, { hint: 'write it like 256M or 1G' });
    const spec = await foregroundBootSpec({
      box: flags.box,
      kernel: flags.kernel,
      initrd: flags.initrd,
      firmware: flags.firmware,
      append: flags.append,
      memoryBytes,
      cpus: flags.cpus,
      idleWarp: flags.warp as ForegroundBootRequest['idleWarp'],
      profile: flags.profile,
      cwd: process.cwd(),
    });

    const tty = process.stdin.isTTY === true;
    const note = (m: string): void => {
      process.stderr.write(`${tty ? '\r\n' : '\n'}${paint.dim(`[vm] ${m}`)}${tty ? '\r\n' : '\n'}`);
    };
    const stop = new AbortController();
    const onSignal = (): void => stop.abort();
    process.once('SIGTERM', onSignal);
    process.once('SIGHUP', onSignal);
    if (tty) process.stdin.setRawMode(true);
    let end;
    try {
      end = await bootInForeground(spec, {
        input: process.stdin,
        output: process.stdout,
        terminal: tty,
        note,
        signal: stop.signal,
        ...(tty && process.stdout.isTTY
          ? {
              windowSize: () => ({ rows: process.stdout.rows, cols: process.stdout.columns }),
              onResize: (listener: () => void) => {
                process.stdout.on('resize', listener);
                return () => process.stdout.off('resize', listener);
              },
            }
          : {}),
      });
    } finally {
      if (tty) process.stdin.setRawMode(false);
      process.stdin.pause();
      process.off('SIGTERM', onSignal);
      process.off('SIGHUP', onSignal);
    }
    if (end.droppedOutputBytes > 0) note(`${end.droppedOutputBytes} console bytes were dropped (the terminal did not keep up)`);
    if (end.profile) note(end.profile.join(tty ? '\r\n' : '\n'));
    const { exit } = end;
    if (exit.kind === 'reboot') note('the guest asked for a reboot; debug boot ends here');
    else if (exit.kind === 'fail') note(`the guest reported failure with status ${exit.status}`);
    else if (exit.kind === 'halted') note(`the guest stopped for good: ${exit.message}`);
    else if (exit.kind === 'error') throw new Error(exit.message);
    process.exitCode = end.exitStatus;
  }
}
