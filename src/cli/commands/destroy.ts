// `vm destroy`: stop machines and delete their disks and state (the box stays in the store).
import { Args, Flags } from '@oclif/core';
import { fileFlag } from '../flags.js';
import { createInterface } from 'node:readline/promises';
import { BaseCommand } from '../base-command.js';
import { UserError } from '../../core/errors.js';
import { paint } from '../ui/color.js';

export default class Destroy extends BaseCommand {
  static override summary = 'Stop machines and delete their disks and state';
  static override description =
    'Stops each machine (without a graceful shutdown: its disks are deleted anyway), deletes its overlays, extra disks, logs and state, and removes it from the global machine index. The box it was made from stays in the store. Asks for confirmation unless --force is given (-f is --file, as in every command).';
  static override examples = [
    { description: 'Every machine, without asking', command: '<%= config.bin %> destroy --force' },
    { description: 'One machine of another project', command: '<%= config.bin %> destroy db --file ../other' },
  ];
  static override strict = false;
  static override args = {
    name: Args.string({ description: 'machine name (several allowed); all machines when omitted', ignoreStdin: true }),
  };
  static override flags = {
    force: Flags.boolean({ description: 'do not ask for confirmation' }),
    file: fileFlag,
  };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Destroy);
    const { selectMachines } = await import('../../core/lifecycle/select.js');
    const { destroyMachine } = await import('../../core/lifecycle/power/destroy.js');
    const sel = await selectMachines({ file: flags.file, names: argv as string[], cwd: process.cwd(), readOnly: true });
    const names = sel.machines.map((m) => `'${m.name}'`).join(', ');
    if (!flags.force) {
      if (!process.stdin.isTTY) {
        throw new UserError(`refusing to destroy ${names} without confirmation`, { hint: 'add --force to destroy without asking' });
      }
      const rl = createInterface({ input: process.stdin, output: process.stderr });
      const answer = await rl.question(`Destroy ${names} and delete ${sel.machines.length === 1 ? 'its' : 'their'} disks? [y/N] `);
      rl.close();
      if (!/^y(es)?$/i.test(answer.trim())) {
        this.log('Nothing destroyed.');
        return;
      }
    }
    for (const config of [...sel.machines].reverse()) {
      const r = await destroyMachine(sel.dir, config, { command: `vm destroy ${config.name}` });
      for (const n of r.notes) process.stderr.write(`${paint.yellow('Note:')} ${n}\n`);
      this.log(`${config.name}: ${r.outcome === 'destroyed' ? 'destroyed' : 'not created; nothing to do'}`);
    }
  }
}
