// `vm logs`: a machine's console output (console.log), optionally followed as it grows.
import { Args, Flags } from '@oclif/core';
import { fileFlag } from '../flags.js';
import { BaseCommand } from '../base-command.js';

export default class Logs extends BaseCommand {
  static override summary = "Show a machine's console log";
  static override description =
    "Prints what the machine's serial console showed since its last boot (the boot before that is in console.log.1 in the machine folder). With --follow, keeps printing new output until Ctrl-C (-f is --file, as in every command).";
  static override examples = [
    { description: 'The console log of the only machine', command: '<%= config.bin %> logs' },
    { description: 'Follow machine web', command: '<%= config.bin %> logs web --follow' },
  ];
  static override args = {
    name: Args.string({ description: 'machine name (default: the only machine, or the primary one)', ignoreStdin: true }),
  };
  static override flags = {
    follow: Flags.boolean({ description: 'keep printing new console output until interrupted' }),
    file: fileFlag,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Logs);
    const { selectOne } = await import('../../core/lifecycle/select.js');
    const { showLogs } = await import('../../core/lifecycle/console/log.js');
    const { config } = await selectOne({ file: flags.file, name: args.name, cwd: process.cwd(), command: 'vm logs' });
    const stop = new AbortController();
    const onSignal = (): void => stop.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      await showLogs(config, {
        follow: flags.follow,
        signal: stop.signal,
        write: (chunk) =>
          new Promise<void>((resolve) => {
            if (process.stdout.write(chunk)) resolve();
            else process.stdout.once('drain', () => resolve());
          }),
      });
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  }
}
