// `vm cp SRC DEST`: copy files and folders between the host and a machine (`NAME:PATH`).
import { Args } from '@oclif/core';
import { fileFlag, jsonFlag } from '../flags.js';
import { BaseCommand } from '../base-command.js';
import { paint } from '../ui/color.js';

export default class Cp extends BaseCommand {
  static override summary = 'Copy files and folders between the host and a machine';
  static override description =
    'One side is a host path, the other NAME:PATH in a running machine (:PATH for the only or primary machine; a relative guest path starts at /root). Folders are copied recursively; modes are kept, symlinks inside a folder stay symlinks, sockets and devices are skipped. Into an existing folder the source keeps its name, otherwise it becomes DEST (as cp -r). Files land whole: each is written to a temp file and renamed. Goes through the guest agent, so it works on every engine and needs no network. A progress bar shows on a terminal.';
  static override examples = [
    { description: 'A folder into machine web', command: '<%= config.bin %> cp ./site web:/srv/www' },
    { description: 'A file out of the only (or primary) machine', command: '<%= config.bin %> cp :/var/log/messages .' },
  ];
  static override args = {
    src: Args.string({ description: 'what to copy: a host path or NAME:PATH', required: true, ignoreStdin: true }),
    dest: Args.string({ description: 'where to: a host path or NAME:PATH', required: true, ignoreStdin: true }),
  };
  static override flags = {
    file: fileFlag,
    json: jsonFlag,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Cp);
    const { copyFiles } = await import('../../core/lifecycle/guest/copy.js');
    const { progressBar } = await import('../ui/progress-bar.js');
    const bar = progressBar('Copying');
    let summary;
    try {
      summary = await copyFiles({ file: flags.file, cwd: process.cwd(), src: args.src, dest: args.dest, onProgress: (p) => bar.update(p.done, p.total) });
    } finally {
      bar.stop();
    }
    for (const s of summary.skipped) process.stderr.write(`${paint.yellow('Skipped:')} ${s}\n`);
    if (flags.json) {
      this.log(JSON.stringify(summary, null, 2));
      return;
    }
    if (process.stderr.isTTY) {
      const where = summary.direction === 'to guest' ? `${summary.machine}:${summary.target}` : summary.target;
      const parts = [`${summary.files} file${summary.files === 1 ? '' : 's'}`];
      if (summary.folders > 0) parts.push(`${summary.folders} folder${summary.folders === 1 ? '' : 's'}`);
      if (summary.symlinks > 0) parts.push(`${summary.symlinks} symlink${summary.symlinks === 1 ? '' : 's'}`);
      process.stderr.write(`Copied ${parts.join(', ')} (${summary.bytes} bytes) to ${where}\n`);
    }
  }
}
