// `vm status`: each machine of the project and its state. Imports core lazily so the CLI's startup
// (which loads every command file) stays free of engine code and this answers fast.
import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../base-command.js';
import { paint } from '../ui/color.js';

export default class Status extends BaseCommand {
  static override description = 'Show the state of the project\'s machines: not created, running, halted or aborted';
  static override examples = [
    { description: 'Every machine of the Vmfile found from here upwards', command: '<%= config.bin %> status' },
    { description: 'Two machines, as JSON', command: '<%= config.bin %> status web db --json' },
    { description: 'Another project', command: '<%= config.bin %> status -f ../other/Vmfile' },
  ];
  static override strict = false;
  static override args = {
    name: Args.string({ description: 'machine name (several allowed); all machines when omitted' }),
  };
  static override flags = {
    file: Flags.string({ char: 'f', description: 'Vmfile to use, or a folder holding one (default: nearest Vmfile upwards)' }),
    json: Flags.boolean({ description: 'print the status as JSON' }),
  };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Status);
    const { projectStatus } = await import('../../core/machines/project-status.js');
    const st = await projectStatus({ file: flags.file, names: argv as string[] });
    if (st.warnings) process.stderr.write(`${st.warnings}\n`);
    if (flags.json) {
      const machines = st.machines.map((m) => ({
        name: m.name,
        status: m.status,
        engine: m.engine,
        ...(m.pid !== undefined ? { pid: m.pid } : {}),
        ...(m.detail ? { detail: m.detail } : {}),
        ...(m.state?.accel ? { accel: m.state.accel } : {}),
        ...(m.state ? { vmfileChanged: m.vmfileChanged } : {}),
        ...(m.state ? { box: m.state.box, createdAt: m.state.createdAt, updatedAt: m.state.updatedAt } : {}),
      }));
      this.log(JSON.stringify({ vmfile: st.vmfile, machines }, null, 2));
    } else {
      const width = Math.max(...st.machines.map((m) => m.name.length));
      for (const m of st.machines) {
        const colour = m.status === 'running' ? paint.green : m.status === 'aborted' || m.status === 'broken' ? paint.red : m.status === 'not created' ? paint.dim : (s: string) => s;
        const engine = m.state?.accel && m.state.accel !== m.engine ? `${m.engine}/${m.state.accel}` : m.engine;
        const extra = m.pid !== undefined ? `${engine}, pid ${m.pid}` : engine;
        const detail = m.detail ? `: ${m.detail}` : '';
        this.log(`${m.name.padEnd(width)}  ${colour(m.status)} (${extra})${detail}`);
        if (m.vmfileChanged) {
          process.stderr.write(`${paint.yellow('Warning:')} machine '${m.name}' is running with an older version of its Vmfile settings; \`vm reload ${m.name}\` applies the changes\n`);
        }
      }
    }
    if (st.machines.some((m) => m.status === 'broken')) process.exitCode = 1;
  }
}
