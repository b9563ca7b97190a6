// `vm box add PATH|URL`: verify a box folder or .box archive (local or downloaded) and store it.
import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';

export default class BoxAdd extends BaseCommand {
  static override description =
    'Add a box to the local store from a folder (box.json + files), a .box archive (tar, optionally gzip), or the URL of one (http, https, file). Every file is checked against the sha256 in box.json; nothing is stored unless all match. With --checksum, a downloaded archive must also match that sha256.';
  static override examples = [
    { description: 'Add an archive under the name its box.json gives', command: '<%= config.bin %> box add ./debian.box' },
    { description: 'Add a folder under another name', command: '<%= config.bin %> box add ./build/box --name mybox' },
    { description: 'Download a box and check the archive', command: '<%= config.bin %> box add https://example.org/boxes/tiny-0.2.0.box --checksum sha256:<64 hex digits>' },
    { description: 'Replace a stored box of the same name and version', command: '<%= config.bin %> box add ./debian.box --force' },
  ];
  static override args = {
    source: Args.string({ description: 'box folder, .box archive, or URL of a .box archive', required: true }),
  };
  static override flags = {
    name: Flags.string({ description: "store the box under this name instead of box.json's" }),
    force: Flags.boolean({ description: 'replace a stored box with the same name and version' }),
    checksum: Flags.string({ description: "the archive's sha256 (`sha256:HEX` or HEX); a mismatch stores nothing" }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(BoxAdd);
    const { addBoxFromSource, isBoxUrl } = await import('../../../core/boxes/download.js');
    const { progressBar } = await import('../../ui/progress-bar.js');
    const bar = progressBar('Downloading');
    let result;
    try {
      result = await addBoxFromSource(args.source, {
        name: flags.name,
        force: flags.force,
        checksum: flags.checksum,
        onProgress: isBoxUrl(args.source) ? (p) => bar.update(p.received, p.total) : undefined,
      });
    } finally {
      bar.stop();
    }
    const { box, replaced } = result;
    const m = box.manifest;
    this.log(`${replaced ? 'Replaced' : 'Added'} box '${box.name}' ${box.version} (${m.architecture}; ${m.engines.join(', ')}) in ${box.dir}`);
  }
}
