// `vm ssh`: a shell on the machine. Without a command: this terminal on the guest's serial console
// (raw mode, `~.` detaches). With -c CMD or `-- CMD ARGS...`: the command runs through the guest
// agent, its exit code is ours.
import { Args, Flags } from '@oclif/core';
import { fileFlag } from '../flags.js';
import { BaseCommand } from '../base-command.js';
import { paint } from '../ui/color.js';

export default class Ssh extends BaseCommand {
  static override summary = "Open a shell on a machine's console, or run a command in it";
  static override description =
    'Without -c, bridges this terminal to the guest\'s serial console (the machine keeps running when you leave). Type `~.` at the start of a line to detach, `~?` for help. The console knows no window size of its own: vm sets the guest console\'s rows and columns through the guest agent when you attach and when your window changes (nothing is typed into the console). With -c, runs the command with `sh -c` through the guest agent (no console involved), streams its output and exits with its exit code (255 when the machine goes away while it runs); piped stdin is passed to it. Everything after `--` is a command and its arguments run the same way but without any shell: each argument arrives exactly as given (no quoting needed, nothing expanded), and a command not found exits 127.\n\nConsole or command: the console is the guest\'s serial line (what the kernel and init print, a login-free root shell; one terminal at a time shares it and it has no exit code), while a command runs in a session of its own beside it, with separate stdout and stderr, piped stdin and its exit code; several can run at once. Neither is an SSH connection: for the OpenSSH client (scp, rsync, Ansible, editors), `vm ssh-config` prints the settings for boxes that run an SSH server.';
  static override examples = [
    { description: 'Interactive shell on the only (or default) machine', command: '<%= config.bin %> ssh' },
    { description: 'Run a command, exit with its code', command: "<%= config.bin %> ssh -c 'uname -a; exit 3'" },
    { description: 'Pipe data to a command on machine web', command: "tar c src | <%= config.bin %> ssh web -c 'tar x -C /srv'" },
    { description: 'A command and its arguments, no shell quoting (machine web)', command: '<%= config.bin %> ssh web -- ls -l "/srv/my files"' },
    { description: 'The same on the only (or primary) machine', command: '<%= config.bin %> ssh -- cat /etc/os-release' },
  ];
  static override args = {
    name: Args.string({ description: 'machine name (default: the only machine, or the primary one)', ignoreStdin: true }),
  };
  static override flags = {
    file: fileFlag,
    command: Flags.string({ char: 'c', description: 'run this command (with sh -c) through the guest agent instead of attaching to the console' }),
  };

  async run(): Promise<void> {
    // `--` ends vm's own arguments: what follows is the guest command, never parsed as flags.
    const dashes = this.argv.indexOf('--');
    const guestArgv = dashes >= 0 ? this.argv.slice(dashes + 1) : undefined;
    const { args, flags } = await this.parse(Ssh, dashes >= 0 ? this.argv.slice(0, dashes) : this.argv);
    if (guestArgv !== undefined && flags.command !== undefined) {
      const { UserError } = await import('../../core/errors.js');
      throw new UserError('give the command either with -c or after `--`, not both');
    }
    const { requireRunning, selectOne } = await import('../../core/lifecycle/select.js');
    const { sel, config } = await selectOne({ file: flags.file, name: args.name, cwd: process.cwd(), command: 'vm ssh' });
    const m = await requireRunning(sel.dir, config);
    if (flags.command !== undefined || guestArgv !== undefined) {
      const { execArgv, execCommand } = await import('../../core/lifecycle/guest/exec.js');
      const io = { stdin: process.stdin.isTTY ? undefined : process.stdin, stdout: process.stdout, stderr: process.stderr };
      process.exitCode = guestArgv !== undefined ? await execArgv(m, guestArgv, io) : await execCommand(m, flags.command!, io);
      return;
    }
    const { attachConsole } = await import('../../core/lifecycle/console/attach.js');
    const { consoleWindowSync } = await import('../../core/lifecycle/console/window.js');
    const tty = process.stdin.isTTY === true;
    const note = (text: string): void => {
      process.stderr.write(`${tty ? '\r\n' : ''}${paint.dim(`[vm] ${text}`)}${tty ? '\r\n' : '\n'}`);
    };
    if (tty) note(`attached to the console of '${config.name}'; type ~. at the start of a line to detach`);
    const window = tty && process.stdout.isTTY ? consoleWindowSync(m, () => ({ rows: process.stdout.rows, cols: process.stdout.columns })) : undefined;
    if (tty) process.stdin.setRawMode(true);
    const onResize = (): void => window?.update();
    process.stdout.on('resize', onResize);
    // before attaching: the first command typed must already see the size
    await window?.first();
    let end;
    try {
      end = await attachConsole({
        consoleSocket: m.paths.consoleSocket,
        consoleLog: m.paths.consoleLog,
        input: process.stdin,
        output: process.stdout,
        notes: process.stderr,
        escapes: tty,
      });
    } finally {
      process.stdout.off('resize', onResize);
      if (tty) process.stdin.setRawMode(false);
      process.stdin.pause();
      window?.close();
    }
    if (end === 'detached') note(`detached; '${config.name}' keeps running`);
    else if (end === 'machine stopped') note(`the machine '${config.name}' stopped`);
  }
}
