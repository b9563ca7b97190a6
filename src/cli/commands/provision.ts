// `vm provision`: run the provisioners of running machines again, output streamed.
import { Args, Flags } from '@oclif/core';
import { fileFlag } from '../flags.js';
import { BaseCommand } from '../base-command.js';
import { paint } from '../ui/color.js';

export default class Provision extends BaseCommand {
  static override summary = 'Run the provisioners of running machines';
  static override description =
    'Runs each machine\'s provisioners in order through its guest agent (all but `run: never` ones; --name picks provisioners by name, `never` ones included), streaming their output (prefixed by the machine name when several machines run). The first failing provisioner stops the machine\'s run (exit code 1; the message gives the script\'s own code); the machine keeps running.';
  static override examples = [
    { description: 'Every provisioner of every machine', command: '<%= config.bin %> provision' },
    { description: 'One provisioner of machine web', command: '<%= config.bin %> provision web --name web-page' },
  ];
  static override strict = false;
  static override args = {
    name: Args.string({ description: 'machine name (several allowed); all machines when omitted', ignoreStdin: true }),
  };
  static override flags = {
    file: fileFlag,
    name: Flags.string({ description: 'run only the provisioner with this name (repeatable)', multiple: true }),
  };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Provision);
    const { selectMachines } = await import('../../core/lifecycle/select.js');
    const { provisionMachine } = await import('../../core/lifecycle/provision.js');
    const sel = await selectMachines({ file: flags.file, names: argv as string[], cwd: process.cwd(), readOnly: true });
    if (sel.warnings) process.stderr.write(`${paint.yellow(sel.warnings)}\n`);
    const several = sel.machines.length > 1;
    for (const config of sel.machines) {
      const prefix = several ? `${config.name} | ` : '';
      const pending: Record<'stdout' | 'stderr', string> = { stdout: '', stderr: '' };
      const flush = (stream: 'stdout' | 'stderr', all: boolean): void => {
        const text = pending[stream];
        const cut = all ? text.length : text.lastIndexOf('\n') + 1;
        if (cut === 0) return;
        const lines = text.slice(0, cut);
        pending[stream] = text.slice(cut);
        const target = stream === 'stdout' ? process.stdout : process.stderr;
        target.write(prefix ? lines.replace(/^(?=.)/gm, prefix) : lines);
        if (all && !lines.endsWith('\n')) target.write('\n');
      };
      try {
        const done = await provisionMachine(sel.dir, config, {
          names: flags.name,
          command: `vm provision ${config.name}`,
          out: {
            start: (p) => process.stderr.write(`${paint.bold(`==> ${config.name}: ${p.name}`)} ${paint.dim(`(${p.type})`)}\n`),
            output: (stream, chunk) => {
              pending[stream] += chunk.toString('utf8');
              flush(stream, false);
            },
          },
        });
        if (done.length === 0) this.log(`${config.name}: no provisioners to run`);
      } finally {
        flush('stdout', true);
        flush('stderr', true);
      }
    }
  }
}
