// Real SSH into a machine whose box runs an SSH server (box.json `ssh`: dropbear in `tiny`,
// OpenSSH in boxes built from Debian). At `vm up`: guest port 22 gets a forward from a free
// 127.0.0.1 port (the forwards machinery, auto-corrected; the port of the previous boot is asked for
// first so a pasted config keeps working), the machine gets its own ed25519 key pair in its state
// folder (never a key shared between machines), the guest agent puts the public half in root's
// authorized_keys, and the host key the guest made at its first boot is read back through the agent
// and pinned in a known_hosts file beside the key. The agent channel is the trusted path here: what
// it reads is the guest's own key, so the first connection needs no "trust on first use" prompt.
// `vm ssh-config` prints the client settings for all of it.
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RuntimePaths } from '../../engines/engine.js';
import type { ForwardConfig, MachineConfig } from '../../model/machine-config.js';
import { isLocalUri } from '../../engines/libvirt/uri.js';
import { EXIT, UserError } from '../errors.js';
import { inspectMachine, type MachineState } from '../machines/state.js';
import { ensurePrivateDir, writeFileAtomic } from '../machines/safe-fs.js';
import { AgentError, type AgentClient } from '../agent/index.js';
import { generateEd25519KeyPair, parsePublicKeyLine } from '../ssh/keys.js';
import { withAgent } from './guest/agent.js';
import { guestListeningPorts } from './ready.js';

export const SSH_GUEST_PORT = 22;
export const SSH_USER = 'root';
/** How long `up` waits for the guest's host key file (a Debian guest makes it in a boot service). */
const HOST_KEY_WAIT_MS = 60_000;
const AGENT_WAIT_MS = 30_000;
/**
 * How long `up` waits for the SSH server to listen on guest port 22 after the host key is pinned:
 * a systemd box prints `vm: ready` before its boot ends, and on the builtin engine sshd starts
 * a minute or more later; `vm up` returns when `ssh` can connect.
 */
const LISTEN_WAIT_MS = 180_000;

export interface SshFiles {
  dir: string;
  /** The private key (0600). */
  identity: string;
  publicKey: string;
  /** The guest's host key, pinned under `hostKeyAlias`. */
  knownHosts: string;
}

export function sshFiles(stateDir: string): SshFiles {
  const dir = join(stateDir, 'ssh');
  return { dir, identity: join(dir, 'id_ed25519'), publicKey: join(dir, 'id_ed25519.pub'), knownHosts: join(dir, 'known_hosts') };
}

/** The name the host key is pinned under: the port may change from boot to boot, the key may not. */
export const hostKeyAlias = (machine: string): string => `vm-${machine}`;

/** What a machine's SSH server is reached through, recorded in its state. */
export interface SshRecord {
  /** Host address and port forwarded to guest port 22. */
  hostIp: string;
  port: number;
}

/** Why a machine has no SSH access, or undefined when it can have it. */
export function sshUnavailable(config: MachineConfig): { why: string; hint: string } | undefined {
  if (!config.box.ssh) {
    return {
      why: `its box ${config.box.name} ${config.box.version} runs no SSH server`,
      hint: `\`vm ssh ${config.name}\` opens its console and \`vm ssh ${config.name} -- CMD\` runs a command through the guest agent; boxes with an SSH server: tiny 0.4.0 or later (dropbear), boxes built from Debian with openssh-server (boxes/debian-13)`,
    };
  }
  if (!config.nics.some((n) => n.type === 'nat')) {
    return { why: 'it has no nat network card to forward the SSH port through', hint: 'add `{type: nat}` to its `nics`, then `vm reload`' };
  }
  if (config.engine === 'libvirt' && config.libvirt && !isLocalUri(config.libvirt.uri)) {
    return { why: `it runs on the remote libvirt host ${config.libvirt.uri}, whose forwarded ports are not on this host`, hint: 'forward guest port 22 to an address of that host with `forwards:` and use ssh there' };
  }
  return undefined;
}

export interface SshForwardPlan {
  /** A forward vm adds to the engine's (none when the Vmfile forwards guest port 22 itself). */
  add?: ForwardConfig;
  /** Index in the Vmfile's forwards of the one that reaches guest port 22. */
  vmfileIndex?: number;
}

/** How guest port 22 is to be reached at this boot; undefined when the machine has no SSH access. */
export function planSshForward(config: MachineConfig, previous: MachineState | undefined): SshForwardPlan | undefined {
  if (sshUnavailable(config)) return undefined;
  const idx = config.forwards.findIndex((f) => f.guest === SSH_GUEST_PORT && f.protocol === 'tcp');
  if (idx >= 0) return { vmfileIndex: idx };
  // Port 0: the system picks a free port (forwards/check.ts); the previous boot's port first.
  return { add: { guest: SSH_GUEST_PORT, host: previous?.ssh?.port ?? 0, hostIp: '127.0.0.1', protocol: 'tcp', autoCorrect: true } };
}

/** The record for the forward resolved from the plan. */
export function sshRecordFor(f: ForwardConfig): SshRecord {
  // a forward listening on every address is reached on the loopback
  const any = f.hostIp === '0.0.0.0' || f.hostIp === '::';
  return { hostIp: any ? '127.0.0.1' : f.hostIp, port: f.host };
}

/** Pin `hostKey` (an OpenSSH public key line) as the machine's SSH host key. */
export async function pinHostKey(config: MachineConfig, hostKey: string): Promise<void> {
  const key = parsePublicKeyLine(hostKey);
  if (!key) throw new Error(`not an SSH host key: ${hostKey}`);
  const files = sshFiles(config.project.stateDir);
  await ensurePrivateDir(files.dir);
  await writeFileAtomic(files.knownHosts, `${hostKeyAlias(config.name)} ${key}\n`, 0o600);
}

/** The machine's key pair, made on first use; resolves with the public key line. */
export async function ensureMachineKey(config: MachineConfig): Promise<string> {
  const files = sshFiles(config.project.stateDir);
  await ensurePrivateDir(files.dir);
  try {
    await access(files.identity);
    const pub = (await readFile(files.publicKey, 'utf8')).trim();
    if (pub !== '') return pub;
  } catch {
    // missing: made below
  }
  const pair = generateEd25519KeyPair(`vm ${config.name}`);
  await writeFileAtomic(files.identity, pair.privateKey, 0o600);
  await writeFileAtomic(files.publicKey, `${pair.publicKey}\n`, 0o644);
  return pair.publicKey;
}

/** Root's home folder from /etc/passwd's text (`/root` when it has no root line). */
export function rootHome(passwd: string): string {
  for (const line of passwd.split('\n')) {
    const f = line.split(':');
    if (f[0] === 'root' && f.length >= 7 && f[5]!.startsWith('/')) return f[5]!;
  }
  return '/root';
}

/** authorized_keys' text with `publicKey` added, keeping the other keys; undefined when it is there already. */
export function withAuthorizedKey(current: string, publicKey: string): string | undefined {
  if (current.split('\n').some((l) => l.trim() === publicKey)) return undefined;
  return `${current}${current === '' || current.endsWith('\n') ? '' : '\n'}${publicKey}\n`;
}

const MAX_KEYS_FILE = 16 * 1024 * 1024;

/**
 * Adds the machine's key to root's authorized_keys unless it is there, through the agent's own file
 * requests rather than a shell script: on a guest still booting under emulation each process of a
 * script (sh, awk, mkdir, chmod, grep) cost a noticeable part of a second, all of it in `vm up`.
 * The file is written with mode 600 (replaced atomically, as the agent writes files); a missing
 * ~/.ssh is made 0755, which the servers' StrictModes accept (they refuse group or world write).
 */
async function authorizeKey(agent: AgentClient, publicKey: string): Promise<void> {
  const home = rootHome((await agent.readFile('/etc/passwd', { maxBytes: MAX_KEYS_FILE })).toString('utf8'));
  const path = `${home}/.ssh/authorized_keys`;
  let current = '';
  try {
    current = (await agent.readFile(path, { maxBytes: MAX_KEYS_FILE })).toString('utf8');
  } catch (err) {
    if (!(err instanceof AgentError && err.code === 'ENOENT')) throw err;
  }
  const next = withAuthorizedKey(current, publicKey);
  if (next !== undefined) await agent.writeFile(path, next, { mode: 0o600, mkdirs: true });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/**
 * Between reads of the host key and of the guest's listening sockets. Each read is a file request
 * the agent answers without starting a process, so a short pause costs the guest little, and the
 * pause is what `vm up` adds after the key or the socket appears.
 */
const POLL_MS = 100;

/**
 * After the agent answers: authorizes the machine's key in the guest and pins the guest's host key.
 * The key is authorized while the host key and sshd's socket are waited for: the three are
 * independent. Throws a UserError saying what failed.
 */
export async function setUpSsh(config: MachineConfig, paths: RuntimePaths): Promise<void> {
  const hostKeyPath = config.box.ssh!.hostKey;
  const publicKey = await ensureMachineKey(config);
  await withAgent(config.name, paths, AGENT_WAIT_MS, async (agent) => {
    let stopped = false;
    const authorized = authorizeKey(agent, publicKey).catch((err: unknown) => {
      throw new UserError(`could not add the machine's key to root's authorized_keys in the guest: ${(err as Error).message}`);
    });
    const pinned = (async () => {
      const deadline = Date.now() + HOST_KEY_WAIT_MS;
      let last = '';
      for (;;) {
        try {
          const key = parsePublicKeyLine((await agent.readFile(hostKeyPath, { maxBytes: 64 * 1024 })).toString('utf8'));
          if (key) {
            await pinHostKey(config, key);
            break;
          }
          last = `${hostKeyPath} holds no public key`;
        } catch (err) {
          last = (err as Error).message;
        }
        if (stopped) return;
        if (Date.now() > deadline) throw new UserError(`the guest's SSH host key ${hostKeyPath} could not be read within ${HOST_KEY_WAIT_MS / 1000} s: ${last}`);
        await sleep(POLL_MS);
      }
      // Listening, read from the guest kernel's own socket table (a connection through the forward
      // would be accepted on the host side whether or not the server is up).
      const listenDeadline = Date.now() + LISTEN_WAIT_MS;
      while (!(await guestListeningPorts(agent)).includes(SSH_GUEST_PORT)) {
        if (stopped) return;
        if (Date.now() > listenDeadline) {
          throw new UserError(`nothing listens on guest port ${SSH_GUEST_PORT} ${LISTEN_WAIT_MS / 1000} s after the host key was pinned (is the SSH server running? \`vm ssh ${config.name} -- systemctl status ssh\`)`);
        }
        await sleep(POLL_MS);
      }
    })();
    try {
      await Promise.all([authorized, pinned]);
    } finally {
      // One failed: the other stops polling the agent, which is closed once this returns.
      stopped = true;
      await Promise.allSettled([authorized, pinned]);
    }
  });
}

export interface SshConfigEntry {
  name: string;
  host: string;
  port: number;
  user: string;
  identityFile: string;
  knownHostsFile: string;
  hostKeyAlias: string;
}

/** The client settings for a running machine's SSH server, or a UserError saying why there are none. */
export async function sshConfigFor(projectDir: string, config: MachineConfig): Promise<SshConfigEntry> {
  const view = await inspectMachine(projectDir, config.name, config.engine);
  const ssh = view.state?.ssh;
  const none = sshUnavailable(config);
  if (none && !(view.status === 'running' && ssh)) {
    throw new UserError(`machine '${config.name}' cannot be reached with ssh: ${none.why}`, { exitCode: EXIT.unsupported, hint: none.hint });
  }
  if (view.status !== 'running') {
    throw new UserError(`machine '${config.name}' is not running (${view.status}), so its SSH port is not forwarded`, {
      exitCode: EXIT.wrongState,
      hint: `\`vm up ${config.name}\` boots it; the port stays the same from boot to boot while it is free`,
    });
  }
  const files = sshFiles(config.project.stateDir);
  const ready = ssh !== undefined && (await access(files.knownHosts).then(() => true, () => false)) && (await access(files.identity).then(() => true, () => false));
  if (!ready) {
    throw new UserError(`machine '${config.name}' runs, but its SSH access was not set up at \`vm up\``, {
      exitCode: EXIT.wrongState,
      hint: ssh ? `\`vm up ${config.name}\` tries again (its output says what failed)` : `it was started before its box had an SSH server or without its forward: \`vm reload ${config.name}\``,
    });
  }
  return {
    name: config.name,
    host: ssh!.hostIp,
    port: ssh!.port,
    user: SSH_USER,
    identityFile: files.identity,
    knownHostsFile: files.knownHosts,
    hostKeyAlias: hostKeyAlias(config.name),
  };
}

/** ssh_config(5) quoting: a value with spaces or quotes goes in double quotes. */
const quote = (v: string): string => (/[\s"'\\#]/.test(v) ? `"${v.replace(/(["\\])/g, '\\$1')}"` : v);

/** The `Host` blocks for ~/.ssh/config (or `ssh -F`). */
export function formatSshConfig(entries: SshConfigEntry[]): string {
  return entries
    .map((e) =>
      [
        `Host ${e.name}`,
        `  HostName ${e.host}`,
        `  Port ${e.port}`,
        `  User ${e.user}`,
        `  IdentityFile ${quote(e.identityFile)}`,
        '  IdentitiesOnly yes',
        `  UserKnownHostsFile ${quote(e.knownHostsFile)}`,
        `  HostKeyAlias ${e.hostKeyAlias}`,
        '  StrictHostKeyChecking yes',
        '  PasswordAuthentication no',
        '',
      ].join('\n'),
    )
    .join('\n');
}
