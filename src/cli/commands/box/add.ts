// `vm box add PATH`: verify a box folder or .box archive and store it.
import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';

export default class BoxAdd extends BaseCommand {
  static override description =
    'Add a box to the local store from a folder (box.json + files) or a .box archive (tar, optionally gzip). Every file is checked against the sha256 in box.json; nothing is stored unless all match.';
  static override examples = [
    { description: 'Add an archive under the name its box.json gives', command: '<%= config.bin %> box add ./debian.box' },
    { description: 'Add a folder under another name', command: '<%= config.bin %> box add ./build/box --name mybox' },
    { description: 'Replace a stored box of the same name and version', command: '<%= config.bin %> box add ./debian.box --force' },
  ];
  static override args = {
    path: Args.string({ description: 'box folder or .box archive', required: true }),
  };
  static override flags = {
    name: Flags.string({ description: "store the box under this name instead of box.json's" }),
    force: Flags.boolean({ description: 'replace a stored box with the same name and version' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(BoxAdd);
    const { addBox } = await import('../../../core/boxes/store.js');
    const { resolve } = await import('node:path');
    const { box, replaced } = await addBox(resolve(args.path), { name: flags.name, force: flags.force });
    const m = box.manifest;
    this.log(`${replaced ? 'Replaced' : 'Added'} box '${box.name}' ${box.version} (${m.architecture}; ${m.engines.join(', ')}) in ${box.dir}`);
  }
}
