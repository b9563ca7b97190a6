// `vm validate`: check the Vmfile (schema, semantics, boxes) and list every problem with its line.
import { Flags } from '@oclif/core';
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
    locked: Flags.boolean({ description: 'also fail when Vmfile.lock is missing or does not match the Vmfile and the store (for CI)' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Validate);
    const { loadProject, requireValid } = await import('../../core/vmfile/project.js');
    const { displayPath, formatProblems } = await import('../../core/vmfile/format-problems.js');
    const { resolveBox } = await import('../../core/boxes/catalog.js');
    const cwd = process.cwd();
    const base = (name: string, constraint: string | undefined, source?: { url: string; checksum?: string }) => resolveBox(name, constraint, { source, noDownload: true });
    let lock: ReturnType<typeof import('../../core/vmfile/lock-file.js')['openLock']> | undefined;
    if (flags.locked) {
      const { openLock } = await import('../../core/vmfile/lock-file.js');
      const { findVmfile } = await import('../../core/vmfile/find-vmfile.js');
      lock = openLock(findVmfile({ file: flags.file, cwd }), 'frozen', base);
    }
    const project = await loadProject({ file: flags.file, cwd, resolveBox: lock?.resolveBox ?? base });
    // The lock is checked once the Vmfile itself is valid: its errors come first.
    if (lock && project.errors.length === 0) await lock.finish(project.machines, project.machineNames);

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
