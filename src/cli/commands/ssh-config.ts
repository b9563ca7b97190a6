// `vm ssh-config [NAME...]`: the `Host` blocks that let ssh, scp, rsync, Ansible and VS Code
// Remote-SSH reach running machines whose box runs an SSH server (Vagrant's `vagrant ssh-config`).
import { MachinesCommand } from '../base-command.js';

export default class SshConfig extends MachinesCommand {
  static override summary = 'Print the OpenSSH client settings for machines';
  static override description =
    "Prints a `Host NAME` block per machine (without names: each running machine that has SSH) for ~/.ssh/config (or `ssh -F`): 127.0.0.1 and the port `vm up` forwards to the guest's SSH server, user root, the machine's own key (made at its first `vm up`, kept in its state folder; no two machines share one) and a known_hosts file pinning the host key the guest made at its first boot, read through the guest agent, so there is no host key prompt. The port stays the same from boot to boot while it is free. Needs a running machine whose box runs an SSH server (tiny 0.4.0 or later: dropbear; boxes built from Debian with openssh-server) and a nat network card; otherwise it says why (exit 5 when the machine cannot have SSH, 2 when it is not running). `scp` needs `-O` on tiny (no sftp server there); rsync needs rsync in the guest (tiny 0.4.1 or later has it). With --json: a list of {name, host, port, user, identityFile, knownHostsFile, hostKeyAlias}.";
  static override examples = [
    { description: 'Add every machine to your ssh config', command: '<%= config.bin %> ssh-config >> ~/.ssh/config' },
    { description: 'Without touching ~/.ssh/config (a file: ssh closes inherited descriptors, so `-F <(...)` fails)', command: '<%= config.bin %> ssh-config web > ssh_config && ssh -F ssh_config web uname -a' },
    { description: 'As JSON', command: '<%= config.bin %> ssh-config web --json' },
  ];
  async run(): Promise<void> {
    const a = await this.parseMachines();
    const sel = await this.selectNamed(a);
    const { formatSshConfig, sshConfigFor } = await import('../../core/lifecycle/ssh-access.js');
    const { UserError } = await import('../../core/errors.js');
    const named = a.names.length > 0;
    const entries = [];
    const skipped: InstanceType<typeof UserError>[] = [];
    for (const m of sel.machines) {
      try {
        entries.push(await sshConfigFor(sel.dir, m));
      } catch (err) {
        // Without names: every machine that can be reached now (what a config file for all of them wants).
        if (named || !(err instanceof UserError)) throw err;
        skipped.push(err);
      }
    }
    if (entries.length === 0) throw skipped.length === 1 ? skipped[0]! : new UserError(`no machine can be reached with ssh now:\n${skipped.map((e) => `  ${e.message}`).join('\n')}`, { exitCode: skipped[0]!.exitCode, hint: 'name a machine to see what it needs' });
    this.log(a.json ? JSON.stringify(entries, null, 2) : formatSshConfig(entries).trimEnd());
  }
}
