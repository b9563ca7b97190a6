// `vm reload`: halt then up, so a machine runs with its Vmfile's current settings.
import { Args, Flags } from '@oclif/core';
import { fileFlag } from '../flags.js';
import { BaseCommand } from '../base-command.js';
import { EXIT, UserError } from '../../core/errors.js';
import { paint } from '../ui/color.js';

export default class Reload extends BaseCommand {
  static override summary = 'Restart machines with their current Vmfile settings (halt, then up)';
  static override description =
    'Powers each machine off as `vm halt` does, then boots it as `vm up` does, applying what changed in the Vmfile (memory, cpus, forwards, networks...). Provisioners follow the rules of `vm up` on a boot: `run: always` ones run; --provision runs the `once` ones too.';
  static override examples = [
    { description: 'Every machine', command: '<%= config.bin %> reload' },
    { description: 'One machine, provisioning it again', command: '<%= config.bin %> reload web --provision' },
  ];
  static override strict = false;
  static override args = {
    name: Args.string({ description: 'machine name (several allowed); all machines when omitted', ignoreStdin: true }),
  };
  static override flags = {
    file: fileFlag,
    provision: Flags.boolean({ description: 'run provisioners (--no-provision: none); default: the `always` ones', allowNo: true }),
    force: Flags.boolean({ description: 'stop the machines without asking the guests to power off' }),
    timeout: Flags.integer({ description: 'seconds a guest gets to power off before it is stopped', default: 30, min: 1 }),
  };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Reload);
    const { selectMachines } = await import('../../core/lifecycle/select.js');
    const { haltMachine } = await import('../../core/lifecycle/power/halt.js');
    const { runUpTaskList } = await import('./up.js');
    const sel = await selectMachines({ file: flags.file, names: argv as string[], cwd: process.cwd() });
    if (sel.warnings) process.stderr.write(`${paint.yellow(sel.warnings)}\n`);
    // Decide before touching any machine: halting one whose change only re-creating applies would
    // leave it halted and still refused by up.
    const { readMachineState, configChange } = await import('../../core/machines/index.js');
    for (const config of sel.machines) {
      const state = await readMachineState(sel.dir, config.name);
      const change = state ? configChange(state, config) : undefined;
      if (change?.kind === 'recreate') {
        throw new UserError(`${change.why}; \`vm reload\` leaves the machine as it is`, { hint: change.hint });
      }
    }
    for (const config of [...sel.machines].reverse()) {
      const r = await haltMachine(sel.dir, config, { force: flags.force, timeoutMs: flags.timeout * 1000, command: `vm reload ${config.name}` }).catch((err: unknown) => {
        // A machine not created yet has nothing to halt: up creates it.
        if (err instanceof UserError && err.exitCode === EXIT.wrongState) return undefined;
        throw err;
      });
      if (!r) continue;
      if (r.outcome === 'halted') this.log(`${config.name}: halted${r.detail ? ` (${r.detail})` : ''}`);
      else if (r.outcome === 'forced') this.log(`${config.name}: stopped by force (${r.detail}); data the guest had not synced may be lost`);
    }
    await runUpTaskList(sel, { provision: flags.provision, command: `vm reload${argv.length > 0 ? ` ${argv.join(' ')}` : ''}` });
  }
}
