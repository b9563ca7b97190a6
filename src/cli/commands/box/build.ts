// `vm box build DIR`: build a box from a recipe folder (box-recipe.yaml) into the store, shown as a
// task list (resolve, download, configure, image, kernel, initrd, checksum).
import { Args, Flags } from '@oclif/core';
import { resolve } from 'node:path';
import { BaseCommand } from '../../base-command.js';
import { jsonFlag } from '../../flags.js';

export default class BoxBuild extends BaseCommand {
  static override description =
    'Build a box from a recipe folder (box-recipe.yaml, see schemas/box-recipe.schema.json): the root file system with mmdebstrap from a Debian archive, the distribution kernel, a small initrd and an ext4 root disk (mkfs.ext4 -d), reproducibly (SOURCE_DATE_EPOCH). The box is added to the store; --output also writes a .box archive. Needs root, mmdebstrap, e2fsprogs and, for a foreign architecture, qemu-user-static.';
  static override examples = [
    { description: 'Build the Debian 13 riscv64 box', command: 'sudo <%= config.bin %> box build boxes/debian-13' },
    { description: 'Build the Debian 13 x86_64 box (qemu engine)', command: 'sudo <%= config.bin %> box build boxes/debian-13/box-recipe-x86_64.yaml' },
    { description: 'Also write an archive to share', command: 'sudo <%= config.bin %> box build boxes/debian-13 --output debian-13.box' },
  ];
  static override args = {
    dir: Args.string({ description: 'recipe folder holding box-recipe.yaml (or the recipe file)', required: true }),
  };
  static override flags = {
    output: Flags.string({ char: 'o', description: 'also write the box as a .box archive (tar.gz) to this file' }),
    force: Flags.boolean({ description: 'build even when the store holds this box built from the same recipe, and replace a stored box with the same name and version' }),
    json: jsonFlag,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(BoxBuild);
    const { loadRecipe } = await import('../../../core/boxes/recipe.js');
    const { openBuild, reuseStoredBuild } = await import('../../../core/boxes/build.js');
    const { Listr } = await import('listr2');
    const recipe = loadRecipe(args.dir);
    const output = flags.output ? resolve(flags.output) : undefined;
    const reused = flags.force ? undefined : await reuseStoredBuild(recipe, { output });
    if (reused) {
      if (flags.json) {
        this.log(JSON.stringify({ name: recipe.name, version: recipe.version, dir: reused.box.dir, checksum: reused.box.checksum, archive: reused.archive, built: false }, null, 2));
        return;
      }
      this.log(`Box '${recipe.name}' ${recipe.version} is already in the store, built from this recipe (sha256 ${recipe.hash.slice(0, 12)}…): ${reused.box.dir}${reused.archive ? `; wrote ${reused.archive}` : ''}. --force builds it again.`);
      return;
    }
    const session = await openBuild(recipe, { force: flags.force, output });
    const tty = process.stdout.isTTY === true && (process.stdout.columns ?? 0) > 0 && !flags.json;
    const list = new Listr(
      session.steps.map((step) => ({
        title: step.title,
        task: async (_ctx: unknown, t: { title: string; output: string }) => {
          await step.run({ title: (text) => (t.title = text), output: (text) => (t.output = text) });
        },
        rendererOptions: { persistentOutput: false, outputBar: 1 },
      })),
      {
        concurrent: false,
        exitOnError: true,
        renderer: flags.json ? 'silent' : tty ? 'default' : 'simple',
        fallbackRenderer: 'simple',
        rendererOptions: { showErrorMessage: false },
        registerSignalListeners: false,
      },
    );
    // Ctrl-C: stop mmdebstrap (it takes down its own mounts), remove the work folder, exit 130.
    const onInterrupt = (): void => {
      void session.close().finally(() => {
        process.stderr.write('Interrupted: nothing was added to the store.\n');
        process.exit(130);
      });
    };
    process.once('SIGINT', onInterrupt);
    process.once('SIGTERM', onInterrupt);
    try {
      await list.run();
    } finally {
      process.off('SIGINT', onInterrupt);
      process.off('SIGTERM', onInterrupt);
      await session.close();
    }
    const r = session.result;
    if (flags.json) {
      this.log(
        JSON.stringify(
          {
            name: recipe.name,
            version: recipe.version,
            dir: r.added?.box.dir,
            checksum: r.checksum,
            root_image_sha256: r.rootImageSha256,
            archive: r.archive,
            packages: Object.keys(r.manifest?.packages ?? {}).length,
            seconds: r.seconds,
            built: true,
          },
          null,
          2,
        ),
      );
      return;
    }
    this.log(`Built box '${recipe.name}' ${recipe.version} in ${Math.round(r.seconds)} s: ${r.added?.box.dir}${r.archive ? `, archive ${r.archive}` : ''}`);
  }
}
