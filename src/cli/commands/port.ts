// `vm port`: a machine's port forwards (host address:port -> guest port).
import { MachinesCommand } from '../base-command.js';

export default class Port extends MachinesCommand {
  static override summary = "List machines' port forwards";
  static override description = 'Lists each forward as host address:port -> guest port/protocol, from the Vmfile, and whether it is live (the machine is running). A forward with `auto_correct` whose host port was taken at `vm up` shows the port it really got (`requestedHost` in --json is the one the Vmfile asked for). A machine on a remote libvirt host reached over ssh has its forwards served here by an ssh tunnel: each says so, with the address it reaches on the hypervisor host (`servedBy` in --json). A machine whose box runs an SSH server also lists the 127.0.0.1 port vm forwards to its port 22 (`ssh: true` in --json).';
  static override examples = [
    { description: 'Every machine', command: '<%= config.bin %> port' },
    { description: 'Machine web, as JSON', command: '<%= config.bin %> port web --json' },
  ];
  async run(): Promise<void> {
    const a = await this.parseMachines();
    const sel = await this.selectNamed(a);
    const { listPorts } = await import('../../core/lifecycle/forwards/list.js');
    const rows = await listPorts(sel.dir, sel.machines);
    if (a.json) {
      this.log(JSON.stringify(rows, null, 2));
      return;
    }
    for (const m of rows) {
      if (m.forwards.length === 0) {
        this.log(`${m.name}: no forwards`);
        continue;
      }
      for (const f of m.forwards) {
        const host = f.hostIp.includes(':') ? `[${f.hostIp}]:${f.host}` : `${f.hostIp}:${f.host}`;
        const moved = f.requestedHost !== undefined ? `  (auto_correct: ${f.requestedHost} was in use)` : f.auto ? '  (auto: the guest listens on it)' : f.ssh ? '  (ssh: see `vm ssh-config`)' : '';
        const via = f.servedBy ? `  (${f.servedBy})` : '';
        this.log(`${m.name}  ${host} -> ${f.guest}/${f.protocol}${moved}${via}${m.running ? '' : '  (machine not running)'}`);
      }
    }
  }
}
