// `vm plan`: what `vm up` / `vm reload` would do to each machine, without doing it.
import { MachinesCommand } from '../base-command.js';
import { paint } from '../ui/color.js';

export default class Plan extends MachinesCommand {
  static override summary = 'Show what vm up or vm reload would do to each machine';
  static override description =
    "Compares the Vmfile with each machine's recorded state, with the same decision `vm status` and `vm up` use: create (not created yet), boot (created, not running: `vm up` starts it with the Vmfile as it is), nothing (running as the Vmfile says), reload (running with older settings: `vm reload` applies them), re-create (a different box build or engine: only `vm destroy` + `vm up` apply it), broken. Lists the Vmfile settings that changed and the provisioners `vm up` would run. Changes nothing. --json gives {vmfile, machines: [{name, status, action, changed?, provisioners, reason?, hint?}]}.";
  static override examples = [
    { description: 'Every machine', command: '<%= config.bin %> plan' },
    { description: 'Machine web, for a script', command: '<%= config.bin %> plan web --json' },
  ];
  async run(): Promise<void> {
    const a = await this.parseMachines();
    const { projectPlan } = await import('../../core/lifecycle/plan.js');
    const plan = await projectPlan({ file: a.file, cwd: process.cwd(), names: a.names });
    if (plan.warnings) process.stderr.write(`${paint.yellow(plan.warnings)}\n`);
    if (a.json) {
      this.log(JSON.stringify(plan, null, 2));
      return;
    }
    const width = Math.max(...plan.machines.map((m) => m.name.length));
    for (const m of plan.machines) {
      const changed = m.changed && m.changed.length > 0 ? ` (${m.changed.join(', ')})` : '';
      let what: string;
      switch (m.action) {
        case 'create':
          what = paint.green('create') + (m.status === 'box not downloaded' ? ': vm up downloads its box first' : '');
          break;
        case 'boot':
          what = `boot${changed ? ` with changed settings${changed}` : ''}`;
          break;
        case 'none':
          what = paint.dim('nothing to do: running as the Vmfile says');
          break;
        case 'reload':
          what = `${paint.yellow('apply at reload')}${changed}: \`vm reload ${m.name}\``;
          break;
        case 'recreate':
          what = `${paint.red('re-create required')}${changed}: ${m.reason}; ${m.hint}`;
          break;
        case 'broken':
          what = `${paint.red('broken')}: ${m.reason}; ${m.hint}`;
          break;
      }
      const prov = m.provisioners.length > 0 ? `; provision: ${m.provisioners.join(', ')}` : '';
      this.log(`${m.name.padEnd(width)}  ${String(m.status).padEnd(11)}  ${what}${prov}`);
    }
  }
}
