// `vm config`: the compiled machine configuration(s), every default applied: what an engine receives.
import { Args } from '@oclif/core';
import { fileFlag, jsonFlag } from '../flags.js';
import { BaseCommand } from '../base-command.js';
import { UserError } from '../../core/errors.js';
import { paint } from '../ui/color.js';

export default class Config extends BaseCommand {
  static override summary = 'Print the compiled machine configuration';
  static override description = 'Compiles the Vmfile into the normalized configuration each engine receives: defaults applied, sizes in bytes, paths absolute, the box resolved from the store. Without NAME, all machines (--json: an array, or one object when NAME is given).';
  static override examples = [
    { description: 'All machines, as JSON', command: '<%= config.bin %> config --json' },
    { description: 'One machine', command: '<%= config.bin %> config web' },
  ];
  static override args = {
    name: Args.string({ description: 'machine name (default: all machines)', required: false }),
  };
  static override flags = {
    file: fileFlag,
    json: jsonFlag,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Config);
    const { loadProject, requireValid } = await import('../../core/vmfile/project.js');
    const { formatProblems } = await import('../../core/vmfile/format-problems.js');
    const { closest } = await import('../../core/vmfile/suggest.js');
    const { resolveBox } = await import('../../core/boxes/catalog.js');
    const cwd = process.cwd();
    const project = await loadProject({ file: flags.file, cwd, resolveBox: (name, constraint, source) => resolveBox(name, constraint, { source }) });
    if (project.warnings.length > 0) {
      process.stderr.write(`${paint.yellow(formatProblems(project.warnings, { cwd, text: project.text }))}\n`);
    }
    const machines = requireValid(project, cwd);

    let selected = machines;
    if (args.name !== undefined) {
      selected = machines.filter((m) => m.name === args.name);
      if (selected.length === 0) {
        const guess = closest(args.name, project.machineNames);
        throw new UserError(`no machine named "${args.name}" in ${project.vmfile}${guess ? `; did you mean "${guess}"?` : ''}`, {
          hint: `machines: ${project.machineNames.join(', ')}`,
        });
      }
    }
    const data = args.name !== undefined ? selected[0] : selected;
    if (flags.json) {
      this.log(JSON.stringify(data, null, 2));
      return;
    }
    const { stringify } = await import('yaml');
    this.log(stringify(data, { lineWidth: 0 }).trimEnd());
  }
}
