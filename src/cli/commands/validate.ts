// `vm validate`: check the Vmfile (schema, semantics, boxes) and list every problem with its line.
import { fileFlag, jsonFlag } from '../flags.js';
import { BaseCommand } from '../base-command.js';
import { EXIT } from '../../core/errors.js';
import { paint } from '../ui/color.js';

export default class Validate extends BaseCommand {
  static override summary = 'Check the Vmfile and list every problem';
  static override description = 'Parses the Vmfile, checks it against schemas/vmfile.schema.json and the rules a schema cannot express (unique host ports, existing synced folders and scripts, sizes, ...) and resolves its boxes. Prints each problem as file:line:col (--json: {vmfile, valid, machines, errors, warnings, pendingDownloads}). Exit code 1 when there is any error.';
  static override examples = [
    { description: 'Check the nearest Vmfile (this folder or above)', command: '<%= config.bin %> validate' },
    { description: 'Check another file, as JSON', command: '<%= config.bin %> validate -f ../other/Vmfile --json' },
  ];
  static override flags = {
    file: fileFlag,
    json: jsonFlag,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Validate);
    const { loadProject, requireValid } = await import('../../core/vmfile/project.js');
    const { displayPath, formatProblems } = await import('../../core/vmfile/format-problems.js');
    const { resolveBox } = await import('../../core/boxes/catalog.js');
    const cwd = process.cwd();
    const project = await loadProject({ file: flags.file, cwd, resolveBox: (name, constraint, source) => resolveBox(name, constraint, { source, noDownload: true }) });

    const pendingDownloads = project.notDownloaded.map((p) => ({ machine: p.name, box: p.error.box, url: p.error.url }));
    if (flags.json) {
      const { vmfile, machineNames: machines, errors, warnings } = project;
      this.log(JSON.stringify({ vmfile, valid: errors.length === 0, machines, errors, warnings, pendingDownloads }, null, 2));
      if (errors.length > 0) process.exitCode = EXIT.userError;
      return;
    }
    if (project.warnings.length > 0) {
      process.stderr.write(`${paint.yellow(formatProblems(project.warnings, { cwd, text: project.text }))}\n`);
    }
    requireValid({ ...project, notDownloaded: [] }, cwd);
    for (const d of pendingDownloads) process.stderr.write(`${paint.dim(`Note: machine '${d.machine}': box '${d.box}' is not installed yet; \`vm up\` downloads it from ${d.url}`)}\n`);
    const names = project.machineNames;
    this.log(`${displayPath(project.vmfile, cwd)} is valid (${names.length} machine${names.length === 1 ? '' : 's'}: ${names.join(', ')})`);
  }
}
