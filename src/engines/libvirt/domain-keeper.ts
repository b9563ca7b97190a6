// The local process that stands for a running libvirt domain, so the lifecycle drives it exactly as
// it drives the other engines (engine.ts): one detached process whose pid is "the engine", serving
// console.sock, agent.sock and qmp.sock in the machine's runtime dir, and ending when the domain
// ends. libvirtd, not this process, runs qemu; this process starts the domain and keeps it:
// - start: from a virsh session it holds open, with --autodestroy, so the domain cannot outlive
//   the keeper (see startDomain); or, to resume a suspended machine, restoring libvirt's managed
//   save image, which libvirt does without registering --autodestroy: a guard process stands in
//   for it then (startGuard);
// - console: `virsh console` (any URI, local or remote) under `script`, because virsh refuses to
//   run a console without a terminal; the domain starts paused and resumes once the console is
//   attached, so no early output is lost (qemu's pty drops output nobody reads). Output is fanned
//   out by ConsoleHub and written to console.log, as the qemu engine's console relay does.
// - agent: each agent.sock connection is relayed to the unix socket libvirt made for the agent's
//   virtio-serial port: directly when the hypervisor is this host, through `ssh HOST socat` when it
//   is a `qemu+ssh` host (libvirt has no API to reach a channel remotely but virDomainOpenChannel,
//   which virsh does not expose).
// - QMP: the subset the lifecycle uses, answered from libvirt's view: query-status from lifecycle
//   events, system_reset = `virsh reset`, quit = `virsh destroy`, system_powerdown = `virsh
//   shutdown` where the machine has a power button (x86_64; riscv64 virt has none, as with qemu).
// - the domain's end: `virsh event --loop` reports it; the keeper then removes its sockets and exits.
//   SIGTERM destroys the domain first (as SIGTERM ends a qemu process).
// - forwards on a remote host reached over ssh: an `ssh -N -L` tunnel this process starts before the
//   domain runs, restarts while it runs, and ends with it (forward-tunnel.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { connect, type Server, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { ConsoleHub } from '../shared/console-hub.js';
import { ConsoleLog } from '../shared/console-log.js';
import { listenUnix, removeIfSocketSync } from '../shared/unix-socket.js';
import { QmpServer } from '../shared/qmp-server.js';
import type { ForwardConfig } from '../../model/machine-config.js';
import { agentChannelPath } from './domain-info.js';
import { ForwardTunnel, matchForwards, parseUsernetForwards } from './forward-tunnel.js';
import { rearmGuestTimerThrough } from '../qemu/migration-file.js';
import { Virsh, type VirshSession } from './virsh.js';

export interface KeeperLaunch {
  uri: string;
  domain: string;
  /** Whether the guest has a power button `virsh shutdown` can press (ACPI). */
  powerButton: boolean;
  consoleSocket: string;
  agentSocket: string;
  qmpSocket: string;
  consoleLog: string;
  /** Whether the agent port's socket (on the hypervisor host) can be reached: this host, or ssh. */
  agentReachable: boolean;
  /** For a remote host over ssh: the ssh command reaching it; the channel is then relayed by socat there. */
  agentSsh?: string[];
  /** How long the console may take to attach. */
  attachTimeoutMs: number;
  /** Restore the domain's managed save image (`vm suspend` made it) instead of booting it. */
  restore?: boolean;
  /** After a restore, re-arm the riscv64 guest's timer through qemu's gdbstub (qemu/migration-file.ts). */
  rearmTimer?: boolean;
  /** Forwards served through an ssh tunnel to the remote hypervisor host (forward-tunnel.ts), and where its record goes. */
  tunnel?: { forwards: ForwardConfig[]; stateDir: string };
  virsh?: string;
}

/** What virsh prints once the console is attached (tools/virsh-domain.c cmdRunConsole). */
const CONSOLE_BANNER = /Escape character is [^\n]*\n/;
/** Console input queued towards virsh before the typing client is paused. */
const INPUT_QUEUE_LIMIT = 64 * 1024;

/** Single-quotes `s` for sh (script -c takes a shell command). */
export const shQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

export class DomainKeeper {
  private readonly virsh: Virsh;
  private readonly consoleLog: ConsoleLog;
  private readonly hub: ConsoleHub;
  private console?: ChildProcess;
  private events?: ChildProcess;
  private readonly servers: Server[] = [];
  private tunnel?: ForwardTunnel;
  private runState = 'prelaunch';
  /** libvirt's socket for the agent port, from the live XML once the domain runs. */
  private agentChannel?: string;
  /** The virsh session that started the domain with --autodestroy: the domain lives as long as it does. */
  private readonly session: VirshSession;
  private ending = false;
  /** Set the moment a stop begins: children dying of the same signal must not be restarted. */
  private stopping = false;
  /** Stands in for --autodestroy on a restored domain: destroys it unless told the keeper ended cleanly. */
  private guard?: ChildProcess;
  private endResolve!: () => void;
  readonly ended = new Promise<void>((r) => (this.endResolve = r));

  constructor(
    private readonly o: KeeperLaunch,
    private readonly log: (m: string) => void,
  ) {
    this.virsh = new Virsh(o.uri, o.virsh);
    this.session = this.virsh.session();
    this.consoleLog = new ConsoleLog(o.consoleLog);
    this.hub = new ConsoleHub({
      input: (bytes) => {
        const stdin = this.console?.stdin;
        if (!stdin || stdin.destroyed || stdin.writableLength > INPUT_QUEUE_LIMIT) return 0;
        stdin.write(bytes);
        return bytes.length;
      },
      onLog: log,
    });
  }

  /** Attaches the console, opens the sockets, resumes the paused domain. */
  async run(): Promise<void> {
    await this.startDomain();
    if (this.o.agentReachable) this.agentChannel = agentChannelPath((await this.session.run(['dumpxml', this.o.domain])).stdout);
    this.watchEvents();
    if (this.o.tunnel && this.o.tunnel.forwards.length > 0) await this.startTunnel(this.o.tunnel.forwards, this.o.tunnel.stateDir);
    await this.attachConsole(this.o.attachTimeoutMs);
    this.servers.push(await listenUnix(this.o.consoleSocket, (s) => this.hub.attach(s)));
    this.servers.push(await listenUnix(this.o.agentSocket, (s) => this.relayAgent(s)));
    const qmp = new QmpServer({
      runState: () => this.runState,
      powerdown: () => {
        if (!this.o.powerButton) return 'this machine has no power button (riscv64 virt): ask the guest agent to power off';
        void this.virsh.run(['shutdown', this.o.domain, '--mode', 'acpi']).catch((err: Error) => this.log(`shutdown: ${err.message}`));
        return undefined;
      },
      reset: () => void this.virsh.run(['reset', this.o.domain]).catch((err: Error) => this.log(`reset: ${err.message}`)),
      quit: () => void this.destroyAndEnd('quit over QMP'),
    });
    this.servers.push(await listenUnix(this.o.qmpSocket, (s) => qmp.accept(s)));
    if (this.o.restore) {
      if (this.o.rearmTimer) await this.rearmTimer();
      // the gdbstub lets the guest run when it detaches, so the domain may be running already
      await this.session.tryRun(['resume', this.o.domain]);
      const state = (await this.session.run(['domstate', this.o.domain])).stdout.trim();
      if (state !== 'running') throw new Error(`the restored domain ${this.o.domain} does not run (libvirt says ${state})`);
    } else {
      await this.session.run(['resume', this.o.domain]);
    }
    this.runState = 'running';
  }

  /**
   * Starts the domain paused from a virsh session this process keeps open, with --autodestroy:
   * libvirt destroys the domain when that connection closes, so a keeper killed outright (SIGKILL,
   * its process group included) takes its domain along, as a killed qemu takes its guest. The same
   * session answers the keeper's later questions (one ssh connection on a remote host).
   */
  private async startDomain(): Promise<void> {
    this.session.onExit(() => {
      if (!this.ending && !this.stopping) void this.end(`the virsh session holding the domain ended (${this.guard ? 'the guard destroys' : 'libvirt destroyed'} the domain with it)`, { withDomain: true });
    });
    try {
      if (this.o.restore) {
        // libvirt restores a managed save image on `start` and then ignores --autodestroy (checked on
        // libvirt 9.0: the restored domain outlives the connection), so it is not asked for
        await this.session.run(['start', this.o.domain, '--paused']);
        const id = (await this.session.run(['domid', this.o.domain])).stdout.trim();
        this.startGuard(id);
      } else {
        // --force-boot: a managed save image left by a suspend that was discarded (`vm halt`) is dropped, not restored
        await this.session.run(['start', this.o.domain, '--paused', '--autodestroy', '--force-boot']);
      }
    } catch (err) {
      throw new Error(`libvirt could not ${this.o.restore ? 'restore' : 'start'} domain ${this.o.domain}: ${(err as Error).message}`);
    }
  }

  /**
   * What --autodestroy does, for a domain libvirt restored without it: a process in a session of its
   * own (a signal to the keeper's process group does not reach it) reads a pipe from the keeper; at
   * end of file it destroys the domain, unless the keeper wrote `keeper-done` first (end()). It
   * destroys by the domain's id, which libvirt gives each run anew, so a guard that fires late cannot
   * take down a later run of the same domain.
   */
  private startGuard(id: string): void {
    if (!/^\d+$/.test(id)) throw new Error(`libvirt gave no id for the running domain ${this.o.domain} (got '${id}')`);
    const script = 'read -r word; [ "$word" = keeper-done ] || exec "$0" -q -c "$1" destroy "$2"';
    const guard = spawn('sh', ['-c', script, this.o.virsh ?? 'virsh', this.o.uri, id], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
    guard.stdin.on('error', () => undefined);
    guard.unref();
    this.guard = guard;
  }

  /**
   * Writes the restored guest's stimecmp back through qemu's gdbstub (qemu/migration-file.ts), on a
   * socket qemu makes beside the agent channel's: a directory libvirt gave qemu's user, which whoever
   * can reach the agent channel can reach too. A failure is logged: the guest runs, its sleeps may hang.
   */
  private async rearmTimer(): Promise<void> {
    if (!this.agentChannel) {
      this.log("warning: cannot re-arm the resumed guest's timer (no local path to the domain's sockets); its sleeps may hang");
      return;
    }
    const hmp = async (line: string): Promise<string> => (await this.session.run(['qemu-monitor-command', this.o.domain, '--hmp', line])).stdout;
    await rearmGuestTimerThrough(hmp, join(dirname(this.agentChannel), 'vm.gdb')).catch((err: Error) =>
      this.log(`warning: could not re-arm the resumed guest's timer; its sleeps may hang: ${err.message}`),
    );
  }

  /** Learns the ports qemu listens on over there (it listens from the start, paused or not) and tunnels them here. */
  private async startTunnel(forwards: ForwardConfig[], stateDir: string): Promise<void> {
    const usernet = (await this.session.run(['qemu-monitor-command', this.o.domain, '--hmp', 'info usernet'])).stdout;
    this.tunnel = new ForwardTunnel(this.o.uri, matchForwards(forwards, parseUsernetForwards(usernet)), stateDir, process.pid, this.log);
    await this.tunnel.start();
  }

  /** TUNNEL_RETRY_SIGNAL: a dead tunnel is re-established now. */
  retryTunnel(): void {
    this.tunnel?.retryNow();
  }

  /** Runs virsh console under script until the banner shows; reattaches when it drops while the domain runs. */
  private attachConsole(timeoutMs: number): Promise<void> {
    const cmd = [this.o.virsh ?? 'virsh', '-c', this.o.uri, 'console', this.o.domain, '--force'].map(shQuote).join(' ');
    // -q quiet, -f flush each write, -e exit with the child's code; the typescript file is not wanted
    const child = spawn('script', ['-qfec', cmd, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
    this.console = child;
    child.stdin.on('error', () => undefined);
    child.stderr.on('data', (b: Buffer) => this.log(`virsh console: ${b.toString('utf8').trim()}`));
    return new Promise<void>((resolve, reject) => {
      let attached = false;
      let head = '';
      const timer = setTimeout(() => {
        if (!attached) reject(new Error(`virsh console did not attach to ${this.o.domain} within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      child.stdout.on('data', (chunk: Buffer) => {
        if (!attached) {
          // virsh's own lines before the banner are not the guest's output
          head += chunk.toString('latin1');
          const m = CONSOLE_BANNER.exec(head);
          if (!m) return;
          attached = true;
          clearTimeout(timer);
          const rest = Buffer.from(head.slice(m.index + m[0].length), 'latin1');
          if (rest.length > 0) this.publish(rest);
          resolve();
          return;
        }
        this.publish(chunk);
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        if (!attached) {
          reject(new Error(`virsh console ended before attaching (exit ${code}): ${head.trim().slice(-500)}`));
          return;
        }
        if (this.ending || this.stopping) return;
        // detached by its escape character or a dropped connection: attach again while the domain runs
        void this.domainRunning().then((running) => {
          if (running && !this.ending) this.attachConsole(this.o.attachTimeoutMs).catch((err: Error) => this.log(err.message));
          else if (!running) void this.end('the domain is no longer running');
        });
      });
    });
  }

  private publish(chunk: Buffer): void {
    const bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length);
    this.consoleLog.write(bytes);
    this.hub.publish(bytes);
  }

  private async domainRunning(): Promise<boolean> {
    try {
      const s = (await this.session.run(['domstate', this.o.domain])).stdout.trim();
      return s === 'running' || s === 'paused';
    } catch {
      return false;
    }
  }

  /** Follows the domain's lifecycle events: the state for QMP, and the end of the machine. */
  private watchEvents(): void {
    const child = spawn(this.o.virsh ?? 'virsh', ['-q', '-c', this.o.uri, 'event', '--domain', this.o.domain, '--event', 'lifecycle', '--loop'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, LC_ALL: 'C' },
    });
    this.events = child;
    let buf = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (text: string) => {
      buf += text;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        // event 'lifecycle' for domain 'NAME': Stopped Shutdown
        const m = /: (Started|Suspended|Resumed|Stopped|Shutdown|Crashed|PMSuspended)\b/.exec(line);
        if (!m) continue;
        if (m[1] === 'Stopped' || m[1] === 'Crashed') void this.end(`libvirt: ${line.split(': ').slice(1).join(': ')}`);
        else if (m[1] === 'Suspended') this.runState = 'paused';
        else if (m[1] === 'Resumed' || m[1] === 'Started') this.runState = 'running';
      }
    });
    child.stderr.on('data', (b: Buffer) => this.log(`virsh event: ${b.toString('utf8').trim()}`));
    child.once('exit', () => {
      if (this.ending || this.stopping) return;
      // the connection to libvirt dropped: the domain's fate is unknown, ask
      void this.domainRunning().then((running) => {
        if (!running) void this.end('the domain is no longer running');
        else if (!this.ending) this.watchEvents();
      });
    });
  }

  private relayAgent(client: Socket): void {
    if (!this.agentChannel) {
      this.log('agent connection refused: the agent channel is on a remote libvirt host vm cannot reach (only qemu+ssh hosts)');
      client.destroy();
      return;
    }
    if (this.o.agentSsh) {
      const ssh = spawn(this.o.agentSsh[0]!, [...this.o.agentSsh.slice(1), `socat - UNIX-CONNECT:${shQuote(this.agentChannel)}`], { stdio: ['pipe', 'pipe', 'pipe'] });
      client.pipe(ssh.stdin);
      ssh.stdout.pipe(client);
      ssh.stdin.on('error', () => undefined);
      ssh.stderr.on('data', (b: Buffer) => this.log(`agent over ssh: ${b.toString('utf8').trim()}`));
      const close = (): void => {
        client.destroy();
        ssh.kill('SIGTERM');
      };
      client.on('error', close).on('close', close);
      ssh.once('exit', () => client.destroy());
      return;
    }
    const upstream = connect(this.agentChannel);
    client.pipe(upstream);
    upstream.pipe(client);
    const close = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close).on('close', close);
    upstream.on('error', (err) => {
      this.log(`agent channel ${this.agentChannel}: ${err.message}`);
      close();
    }).on('close', close);
  }

  async destroyAndEnd(why: string): Promise<void> {
    this.stopping = true;
    await this.virsh.tryRun(['destroy', this.o.domain]).catch((err: Error) => this.log(`destroy: ${err.message}`));
    await this.end(why);
  }

  /**
   * Closes everything this process opened; the domain is left as libvirt has it, except with
   * `withDomain` (the keeper cannot keep it: it failed to start, or lost its session), where it goes
   * as it would with --autodestroy.
   */
  async end(why: string, o: { withDomain?: boolean } = {}): Promise<void> {
    if (this.ending) return;
    this.ending = true;
    this.runState = 'shutdown';
    this.log(`ending: ${why}`);
    this.tunnel?.stop();
    // the domain has ended, been destroyed (destroyAndEnd) or saved: the guard stands down
    this.guard?.stdin?.end(o.withDomain ? '' : 'keeper-done\n');
    this.events?.kill('SIGTERM');
    this.console?.kill('SIGTERM');
    this.session.close();
    this.hub.close();
    for (const s of this.servers) s.close();
    for (const p of [this.o.consoleSocket, this.o.agentSocket, this.o.qmpSocket]) removeIfSocketSync(p);
    await this.consoleLog.close();
    this.endResolve();
  }
}
