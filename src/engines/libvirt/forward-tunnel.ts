// Port forwards of a domain on a remote hypervisor host reached over ssh (`qemu+ssh://`): qemu there
// listens on the host's loopback on ports the kernel picks (hostfwd=tcp:127.0.0.1:0-:GUEST, see
// domain-xml.ts), which `info usernet` reports, and one `ssh -N -L HOSTIP:HOST:127.0.0.1:REMOTE ...`
// from this host, with the URI's own user, port, keyfile and no_verify (uri.ts sshCommand), makes
// each forward reachable here on the address the Vmfile names, as with a local engine. The domain
// keeper runs the tunnel as its child and restarts it when it dies (back-off, or at once on
// TUNNEL_RETRY_SIGNAL); its record in the state folder (shared/forward-tunnel-record.ts) is what
// `vm port`, `vm status` and `vm halt` read. ssh carries TCP only: a UDP forward to a remote host is
// a `vm validate` error (core/vmfile/engine-limits.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync, readlinkSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ForwardConfig } from '../../model/machine-config.js';
import { TUNNEL_PID_FILE, TUNNEL_RECORD_FILE, type TunnelRecord, type TunnelledForward } from '../shared/forward-tunnel-record.js';
import { LibvirtError } from './errors.js';
import { parseLibvirtUri, sshCommand } from './uri.js';

/** The address qemu listens on, on the hypervisor host, for a tunnelled forward. */
export const REMOTE_LISTEN = '127.0.0.1';

/** Whether the machine's forwards go through an ssh tunnel: a remote host reached over ssh. */
export function forwardsTunnelled(uri: string, local: boolean): boolean {
  return !local && sshCommand(uri) !== undefined;
}

export interface UsernetForward {
  protocol: 'tcp' | 'udp';
  hostAddr: string;
  hostPort: number;
  guestPort: number;
}

/**
 * The host forwards in qemu's `info usernet` (HMP; slirp_connection_info in libslirp): rows such as
 * `TCP[HOST_FORWARD]   3       127.0.0.1 38063       10.0.2.15    80     0     0`, the host side with
 * the port the kernel gave a `:0` listener.
 */
export function parseUsernetForwards(text: string): UsernetForward[] {
  const out: UsernetForward[] = [];
  for (const m of text.matchAll(/^\s*(TCP|UDP)\[HOST_FORWARD\]\s+-?\d+\s+(\S+)\s+(\d+)\s+(\S+)\s+(\d+)/gm)) {
    out.push({ protocol: m[1] === 'TCP' ? 'tcp' : 'udp', hostAddr: m[2]!, hostPort: Number(m[3]), guestPort: Number(m[5]) });
  }
  return out;
}

/**
 * Pairs each forward with the port qemu listens on for it. Rows are matched by guest port: two
 * forwards of one guest port reach the same place, so which row serves which does not matter.
 */
export function matchForwards(forwards: ForwardConfig[], rows: UsernetForward[]): TunnelledForward[] {
  const left = rows.filter((r) => r.protocol === 'tcp' && r.hostAddr === REMOTE_LISTEN);
  return forwards.map((f) => {
    if (f.protocol !== 'tcp') throw new LibvirtError(`forward of guest port ${f.guest}: an ssh tunnel carries TCP only, not ${f.protocol}`);
    const at = left.findIndex((r) => r.guestPort === f.guest);
    if (at < 0) throw new LibvirtError(`qemu on the hypervisor host does not list a listener for guest port ${f.guest} (info usernet)`);
    const [row] = left.splice(at, 1);
    return { hostIp: f.hostIp, host: f.host, guest: f.guest, protocol: 'tcp', remote: `${REMOTE_LISTEN}:${row!.hostPort}` };
  });
}

/** The tunnel's argv: the URI's ssh, without a remote command, one -L per forward. */
export function tunnelArgv(uri: string, forwards: TunnelledForward[]): string[] {
  const ssh = sshCommand(uri);
  if (!ssh) throw new LibvirtError(`internal: ${uri} is not reached over ssh`);
  const dashes = ssh.indexOf('--');
  const bind = (ip: string): string => (ip.includes(':') ? `[${ip}]` : ip);
  return [
    ssh[0]!,
    // "Authenticated to" on stderr: the forwards are set up right after it. First, because ssh takes
    // the first value of an option and no_verify asks for LogLevel=ERROR
    '-o', 'LogLevel=VERBOSE',
    ...ssh.slice(1, dashes),
    '-N',
    // fail when a listener cannot be set up, rather than run without it; notice a dead connection
    '-o', 'ExitOnForwardFailure=yes',
    '-o', 'ServerAliveInterval=10',
    '-o', 'ServerAliveCountMax=3',
    ...forwards.flatMap((f) => ['-L', `${bind(f.hostIp)}:${f.host}:${f.remote}`]),
    ...ssh.slice(dashes),
  ];
}

/** `user@host:port` of the URI, for people. */
export function tunnelVia(uri: string): string {
  const u = parseLibvirtUri(uri);
  return `ssh ${u?.user ? `${u.user}@` : ''}${u?.host ?? '?'}${u?.port ? `:${u.port}` : ''}`;
}

/** The socket inodes process `pid` holds (its /proc/PID/fd links read `socket:[INODE]`). */
function socketInodes(pid: number): Set<string> {
  const out = new Set<string>();
  let fds: string[] = [];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return out;
  }
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) out.add(m[1]!);
    } catch {
      // closed meanwhile
    }
  }
  return out;
}

/**
 * Whether process `pid` itself listens on TCP `port` (Linux /proc/net/tcp{,6}: state 0A is LISTEN,
 * column 10 the socket's inode): another program on that port is not the tunnel's listener.
 */
function listensOn(pid: number, port: number): boolean {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  const mine = socketInodes(pid);
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols[1]?.endsWith(`:${hex}`) && cols[3] === '0A' && mine.has(cols[9] ?? '')) return true;
    }
  }
  return false;
}

/** What ssh says at LogLevel=VERBOSE that is no news: the rest of its stderr goes to the engine log. */
const SSH_CHATTER = /^Authenticated to|^Warning: Permanently added|^Transferred:|^Bytes per second/;
const sshLines = (text: string): string[] => text.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !SSH_CHATTER.test(l));

const MIN_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 15_000;
/** A tunnel that lived this long is healthy: the next failure starts the back-off over. */
const HEALTHY_MS = 30_000;

/** The keeper's tunnel: started once the domain's listeners are known, restarted while the domain runs. */
export class ForwardTunnel {
  private child?: ChildProcess;
  private stopped = false;
  private backoff = MIN_BACKOFF_MS;
  private retryTimer?: NodeJS.Timeout;
  readonly record: TunnelRecord;

  constructor(
    uri: string,
    forwards: TunnelledForward[],
    private readonly stateDir: string,
    keeperPid: number,
    private readonly log: (m: string) => void,
  ) {
    this.record = { keeperPid, via: tunnelVia(uri), argv: tunnelArgv(uri, forwards), forwards };
  }

  private write(file: string, text: string): void {
    const path = join(this.stateDir, file);
    writeFileSync(`${path}.tmp`, text, { mode: 0o600 });
    renameSync(`${path}.tmp`, path);
  }

  private remove(file: string): void {
    try {
      unlinkSync(join(this.stateDir, file));
    } catch {
      // not there
    }
  }

  /** Starts the tunnel and resolves once every forward listens here; rejects with ssh's words when it cannot. */
  async start(timeoutMs = 30_000): Promise<void> {
    this.write(TUNNEL_RECORD_FILE, `${JSON.stringify(this.record)}\n`);
    await this.spawn(timeoutMs);
  }

  private spawn(timeoutMs: number): Promise<void> {
    const [program, ...args] = this.record.argv;
    const child = spawn(program!, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
    this.child = child;
    const born = Date.now();
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (t: string) => {
      stderr += t;
      for (const line of sshLines(t)) this.log(`forward tunnel: ${line}`);
    });
    if (child.pid !== undefined) this.write(TUNNEL_PID_FILE, `${child.pid}\n`);
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const deadline = Date.now() + timeoutMs;
      const settle = (err?: Error): void => {
        if (settled) return;
        settled = true;
        clearInterval(poll);
        if (err) reject(err);
        else resolve();
      };
      const poll = setInterval(() => {
        if (/^Authenticated to/m.test(stderr) && child.pid !== undefined && this.record.forwards.every((f) => listensOn(child.pid!, f.host))) {
          this.log(`forward tunnel (pid ${child.pid}) up through ${this.record.via}: ${this.record.forwards.map((f) => `${f.hostIp}:${f.host} -> ${f.remote}`).join(', ')}`);
          settle();
        } else if (Date.now() > deadline) {
          child.kill('SIGTERM');
          settle(new LibvirtError(`the ssh tunnel for the port forwards did not come up within ${timeoutMs / 1000} s: ${stderr.trim().slice(-400)}`));
        }
      }, 50);
      child.once('error', (err) => settle(new LibvirtError(`cannot run ssh for the port forwards: ${err.message}`, 'install it: apt-get install openssh-client')));
      child.once('exit', (code, signal) => {
        if (this.child === child) this.child = undefined;
        this.remove(TUNNEL_PID_FILE);
        const why = sshLines(stderr).slice(-3).join('; ');
        if (!settled) {
          settle(new LibvirtError(`the ssh tunnel for the port forwards ended (${signal ?? `exit ${code}`}): ${why || 'no message'}`, 'a host port taken on this host, or ssh to the hypervisor host failing'));
          return;
        }
        if (this.stopped) return;
        if (Date.now() - born > HEALTHY_MS) this.backoff = MIN_BACKOFF_MS;
        this.log(`forward tunnel (pid ${child.pid}) ended (${signal ?? `exit ${code}`}${why ? `: ${why}` : ''}); again in ${this.backoff / 1000} s`);
        this.schedule(this.backoff);
        this.backoff = Math.min(MAX_BACKOFF_MS, this.backoff * 2);
      });
    });
  }

  private schedule(ms: number): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      if (this.stopped || this.child) return;
      this.spawn(30_000).catch((err: Error) => {
        this.log(err.message);
        if (!this.stopped && !this.child) {
          this.schedule(this.backoff);
          this.backoff = Math.min(MAX_BACKOFF_MS, this.backoff * 2);
        }
      });
    }, ms);
  }

  /** TUNNEL_RETRY_SIGNAL: a dead tunnel is started again now. */
  retryNow(): void {
    if (this.stopped || this.child) return;
    this.log('forward tunnel: asked to re-establish it now');
    this.schedule(0);
  }

  /** Ends the tunnel for good and removes its record. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.child?.kill('SIGTERM');
    this.remove(TUNNEL_PID_FILE);
    this.remove(TUNNEL_RECORD_FILE);
  }
}
