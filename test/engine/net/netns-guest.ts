// Test harness: the Linux kernel as the NAT's guest. A TAP device made by socat in the host
// namespace is moved into a network namespace of our own; socat relays its Ethernet frames as UDP
// datagrams over loopback to a dgram socket here, which feeds a real UserNet on Node's sockets.
// Programs run in the namespace (busybox) are the guest's clients and servers.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync } from 'node:fs';
import { execa } from 'execa';
import type { UserNetConfig } from '../../../src/emulator/net/net-config.js';
import { UserNet } from '../../../src/emulator/net/user-net.js';
import type { DnsResolver } from '../../../src/emulator/net/net-host.js';
import type { TcpTuning } from '../../../src/emulator/net/tcp-connection.js';
import { NodeNetHost, nodeNetClock } from '../../../src/engines/builtin/net/node-net-host.js';

const TOOLS = ['socat', 'ip', 'busybox'];

function which(tool: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Why these tests cannot run here, or undefined when they can. */
export function netnsSkipReason(): string | undefined {
  if (process.platform !== 'linux') return 'network namespaces need Linux';
  if (process.getuid?.() !== 0) return 'creating network namespaces and TAP devices needs root';
  if (!existsSync('/dev/net/tun')) return '/dev/net/tun is missing';
  const missing = TOOLS.filter((t) => !which(t));
  if (missing.length > 0) return `missing tools: ${missing.join(', ')} (apt-get install -y socat iproute2 busybox)`;
  return undefined;
}

let counter = 0;
const RELAY_BUFFER = 4 * 1024 * 1024;

export interface NetnsGuest {
  ns: string;
  tap: string;
  net: UserNet;
  /** Runs a command inside the namespace. */
  run(argv: string[], opts?: { input?: string | Uint8Array; timeoutMs?: number }): Promise<{ code: number; stdout: string; stderr: string }>;
  /** Starts a long-running command inside the namespace (killed on close). */
  start(argv: string[]): ChildProcess;
  close(): Promise<void>;
}

async function freeUdpPort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Namespaces this harness left behind in runs that died before cleaning up (their pid is gone). */
async function removeStaleNamespaces(): Promise<void> {
  const list = await execa('ip', ['netns', 'list'], { reject: false });
  for (const line of String(list.stdout).split('\n')) {
    const m = /^(vmnat(\d+)x\d+)\b/.exec(line);
    if (m === null) continue;
    try {
      process.kill(Number(m[2]), 0);
    } catch {
      await execa('ip', ['netns', 'del', m[1]!], { reject: false });
    }
  }
}

async function ip(args: string[]): Promise<void> {
  await execa('ip', args, { timeout: 10_000 });
}

export async function startNetnsGuest(
  opts: { config?: Partial<UserNetConfig>; resolver?: DnsResolver; tcp?: Partial<TcpTuning> } = {},
): Promise<NetnsGuest> {
  await removeStaleNamespaces();
  // Interface names are at most 15 bytes: "vmtap" + a pid of up to 7 digits + "x" + a counter.
  const id = `${process.pid}x${counter++}`;
  const ns = `vmnat${id}`;
  const tap = `vmtap${id}`;
  const children: ChildProcess[] = [];
  const relay = dgram.createSocket('udp4');
  let net: UserNet | undefined;
  let socat: ChildProcess | undefined;
  let nsCreated = false;

  const close = async (): Promise<void> => {
    // Each child leads its own process group: `sh -c` pipelines leave no stray grandchildren.
    for (const c of children) {
      if (c.pid !== undefined && c.exitCode === null && c.signalCode === null) {
        try {
          process.kill(-c.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
    if (socat && socat.exitCode === null && socat.signalCode === null) {
      const exited = new Promise((r) => socat!.once('exit', r));
      socat.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 2000))]);
    }
    net?.close();
    try {
      relay.close();
    } catch {
      // already closed
    }
    if (nsCreated) await execa('ip', ['netns', 'del', ns], { reject: false });
  };

  try {
    await new Promise<void>((r) => relay.bind(0, '127.0.0.1', r));
    const relayPort = relay.address().port;
    // Loopback datagrams are dropped when a receive buffer overflows: the relay must not be the lossy part.
    relay.setRecvBufferSize(RELAY_BUFFER);
    relay.setSendBufferSize(RELAY_BUFFER);
    const socatPort = await freeUdpPort();
    socat = spawn(
      'socat',
      [
        '-b65536',
        `TUN,tun-type=tap,tun-name=${tap},iff-no-pi,iff-up`,
        `UDP-DATAGRAM:127.0.0.1:${relayPort},bind=127.0.0.1:${socatPort},rcvbuf=${RELAY_BUFFER},sndbuf=${RELAY_BUFFER}`,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let socatErr = '';
    socat.stderr!.on('data', (d: Buffer) => (socatErr += d.toString()));
    const deadline = Date.now() + 5000;
    while ((await execa('ip', ['link', 'show', tap], { reject: false })).exitCode !== 0) {
      if (Date.now() > deadline || socat.exitCode !== null) throw new Error(`socat did not create ${tap}: ${socatErr}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    await ip(['netns', 'add', ns]);
    nsCreated = true;
    await ip(['link', 'set', tap, 'netns', ns]);
    await ip(['-n', ns, 'link', 'set', 'lo', 'up']);
    await execa('ip', ['netns', 'exec', ns, 'sysctl', '-q', '-w', 'net.ipv6.conf.all.disable_ipv6=1'], { reject: false });
    await ip(['-n', ns, 'link', 'set', tap, 'up']);

    const userNet = new UserNet({
      host: new NodeNetHost({ resolver: opts.resolver }),
      clock: nodeNetClock,
      config: opts.config,
      tcp: opts.tcp,
    });
    net = userNet;
    relay.on('message', (frame) => userNet.receiveFromGuest(frame));
    userNet.onFrameToGuest = (frame) => relay.send(frame, socatPort, '127.0.0.1');

    return {
      ns,
      tap,
      net: userNet,
      async run(argv, o = {}) {
        const r = await execa('ip', ['netns', 'exec', ns, ...argv], {
          reject: false,
          input: o.input,
          timeout: o.timeoutMs ?? 30_000,
          encoding: 'utf8',
          stripFinalNewline: false,
        });
        return { code: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
      },
      start(argv) {
        const child = spawn('ip', ['netns', 'exec', ns, ...argv], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
        children.push(child);
        return child;
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
