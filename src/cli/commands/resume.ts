// `vm resume`: continue suspended machines from their saved state (what `vm up` does for them).
import { Args } from '@oclif/core';
import { fileFlag } from '../flags.js';
import { BaseCommand } from '../base-command.js';
import { EXIT, UserError } from '../../core/errors.js';

export default class Resume extends BaseCommand {
  static override summary = 'Continue suspended machines where they were';
  static override description =
    "Starts each suspended machine's engine from its saved state: the guest continues where `vm suspend` left it. Forwarded ports are bound again (a port taken meanwhile is an error, as at `vm up`), open NAT connections are reset, synced folders are reopened, the agent reconnects and the guest's wall clock is set to the host's. Provisioners do not run. Machines that are not suspended are refused (exit 2); `vm up` resumes suspended machines and boots the others.";
  static override examples = [{ description: 'Every suspended machine of the project', command: '<%= config.bin %> resume' }];
  static override strict = false;
  static override args = {
    name: Args.string({ description: 'machine name (several allowed); all machines when omitted', ignoreStdin: true }),
  };
  static override flags = { file: fileFlag };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Resume);
    const { selectMachines } = await import('../../core/lifecycle/select.js');
    const { inspectMachine } = await import('../../core/machines/state.js');
    const { runUpTaskList } = await import('./up.js');
    const sel = await selectMachines({ file: flags.file, names: argv as string[], cwd: process.cwd() });
    for (const config of sel.machines) {
      const view = await inspectMachine(sel.dir, config.name, config.engine);
      if (view.status !== 'suspended') {
        throw new UserError(`machine '${config.name}' is ${view.status}, not suspended: there is nothing to resume`, { exitCode: EXIT.wrongState, hint: '`vm up` starts it' });
      }
    }
    await runUpTaskList(sel, { provision: false, command: `vm resume ${sel.machines.map((m) => m.name).join(' ')}` });
  }
}
