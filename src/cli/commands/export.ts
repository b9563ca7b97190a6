// `vm export --to kubevirt`: the Vmfile's machines as KubeVirt manifests (core/export/kubevirt.ts).
import { Args, Flags } from '@oclif/core';
import { writeFile } from 'node:fs/promises';
import { fileFlag } from '../flags.js';
import { BaseCommand } from '../base-command.js';
import { UserError } from '../../core/errors.js';
import { paint } from '../ui/color.js';

export default class Export extends BaseCommand {
  static override summary = 'Write manifests for another platform (KubeVirt)';
  static override description =
    'Translates the Vmfile\'s machines into a KubeVirt VirtualMachine each (root disk from a containerDisk image or a CDI DataVolume importing a URL, the box\'s kernel from a container image) and a Service for their forwards. What cannot be translated (synced folders, private networks, provisioners without cloud-init) is listed at the top of the output and on stderr.';
  static override examples = [
    { description: 'Root disk from a containerDisk image', command: '<%= config.bin %> export --to kubevirt --image registry.example/tiny-root:0.3.0 --kernel-image registry.example/tiny-kernel:0.3.0 > vm.yaml' },
    { description: 'Root disk imported by CDI', command: '<%= config.bin %> export --to kubevirt --disk-url https://boxes.example/tiny/root.img -o vm.yaml' },
  ];
  static override args = {
    name: Args.string({ description: 'machine name (default: all machines)', required: false }),
  };
  static override flags = {
    file: fileFlag,
    to: Flags.string({ description: 'target platform', options: ['kubevirt'], required: true }),
    image: Flags.string({ description: 'containerDisk image holding the box\'s root image' }),
    'disk-url': Flags.string({ description: 'http(s) URL of the box\'s root image for CDI to import' }),
    'kernel-image': Flags.string({ description: 'container image holding the box\'s kernel and initrd under /boot' }),
    output: Flags.string({ char: 'o', description: 'write to this file instead of stdout' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Export);
    const { loadProject, requireValid } = await import('../../core/vmfile/project.js');
    const { resolveBox } = await import('../../core/boxes/catalog.js');
    const { kubevirtManifests, kubevirtYaml } = await import('../../core/export/kubevirt.js');
    const cwd = process.cwd();
    const project = await loadProject({ file: flags.file, cwd, resolveBox: (name, constraint, source) => resolveBox(name, constraint, { source }) });
    const machines = requireValid(project, cwd).filter((m) => args.name === undefined || m.name === args.name);
    if (machines.length === 0) throw new UserError(`no machine named "${args.name}" in ${project.vmfile}`, { hint: `machines: ${project.machineNames.join(', ')}` });
    const exp = kubevirtManifests(machines, {
      ...(flags.image ? { image: flags.image } : {}),
      ...(flags['disk-url'] ? { diskUrl: flags['disk-url'] } : {}),
      ...(flags['kernel-image'] ? { kernelImage: flags['kernel-image'] } : {}),
    });
    const text = await kubevirtYaml(exp, project.vmfile);
    for (const u of exp.untranslated) process.stderr.write(`${paint.yellow('Not translated:')} ${u}\n`);
    if (flags.output) await writeFile(flags.output, text);
    else process.stdout.write(text);
  }
}
