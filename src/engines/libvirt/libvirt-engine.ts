// `engine: libvirt` behind the Engine interface: the machine is a libvirt domain on the host the URI
// names (this one or a remote hypervisor host), its disks volumes in a storage pool (storage.ts), its
// XML a pure function of the config (domain-xml.ts). libvirtd runs qemu; the "engine process" the
// lifecycle records and signals is the domain keeper (domain-keeper.ts), a local process that starts
// the defined domain, serves the same three sockets as the other engines, and ends with the domain
// (the domain ends with it too: it is started with --autodestroy from the keeper's connection, or
// watched by the keeper's guard after a restore). Suspend is libvirt's managed save. Every check that can fail
// (virsh missing, daemon down, socket permission, unreachable host, a pool or domain name taken by
// something else) runs in availability(), before `vm up` creates anything.
import { existsSync } from 'node:fs';
import { readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import type { Availability, Engine, EngineProcess, RuntimePaths, StartHooks } from '../engine.js';
import type { LibvirtSettings, MachineConfig } from '../../model/machine-config.js';
import { appendLog, qmpStatus } from '../qemu/start-plumbing.js';
import { checkSocketPath } from '../shared/unix-socket.js';
import { detachedNodeEnv, startDetached } from '../shared/detached.js';
import { QmpClient } from '../qmp-client.js';
import { fileSize, readTail } from '../shared/log-tail.js';
import { writeFileAtomic } from '../shared/atomic-file.js';
import { domainXml } from './domain-xml.js';
import { domainOwner } from './domain-info.js';
import type { KeeperLaunch } from './domain-keeper.js';
import { EXIT_EXTERNAL, LibvirtError } from './errors.js';
import { EngineUnsupportedError } from '../errors.js';
import { domainName } from './names.js';
import { checkPool, deleteVolumes, existingVolumes, prepareVolumes } from './storage.js';
import { forwardsTunnelled } from './forward-tunnel.js';
import { isLocalUri, parseLibvirtUri, sshCommand } from './uri.js';
import { INSTALL_HINT, Virsh, VirshCommandError, type VirshRunner } from './virsh.js';

/** The domain XML last defined, in the machine's state folder (for diagnostics). */
export const DOMAIN_XML_FILE = 'domain.xml';
const START_TIMEOUT_MS = 60_000;
/** How long libvirt may take to write or load a managed save image (the guest's whole memory). */
const SAVE_TIMEOUT_MS = 300_000;

/** What suspend.state holds for a libvirt machine: the state itself stays on the hypervisor host as the domain's managed save image. */
interface SavedDomain {
  engine: 'libvirt';
  uri: string;
  domain: string;
}

export interface LibvirtEngineOptions {
  env?: NodeJS.ProcessEnv;
  startTimeoutMs?: number;
}

/** The compiled keeper entry: beside this file when built, under dist/ when this runs from src/ (tests). */
export function keeperMainPath(): string {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.js')) return fileURLToPath(new URL('./domain-keeper-main.js', import.meta.url));
  return fileURLToPath(new URL('../../../dist/engines/libvirt/domain-keeper-main.js', import.meta.url));
}

function settings(config: MachineConfig): LibvirtSettings {
  if (!config.libvirt) throw new LibvirtError(`internal: machine '${config.name}' runs on libvirt but has no libvirt settings`);
  return config.libvirt;
}

export class LibvirtEngine implements Engine {
  readonly name = 'libvirt' as const;
  readonly runningSnapshot = 'live' as const;
  private readonly env: NodeJS.ProcessEnv;

  constructor(private readonly options: LibvirtEngineOptions = {}) {
    this.env = options.env ?? process.env;
  }

  private virsh(config: MachineConfig): Virsh {
    return new Virsh(settings(config).uri, this.env.VM_VIRSH || undefined, this.env);
  }

  /** The domain's XML when it exists; throws when the name is taken by a domain vm did not make for this machine. */
  private async ownDomain(virsh: VirshRunner, config: MachineConfig, live = false): Promise<string | undefined> {
    const domain = domainName(config);
    const r = await virsh.tryRun(['dumpxml', domain, ...(live ? [] : ['--inactive'])]);
    if (!r) return undefined;
    const owner = domainOwner(r.stdout);
    if (!owner || owner.project !== config.project.dir || owner.name !== config.name) {
      throw new LibvirtError(
        `the domain name ${domain} is taken on ${virsh.uri} by ${owner ? `machine '${owner.name}' of ${owner.project}` : 'a domain vm did not create'}`,
        owner ? 'a copy of this project elsewhere? destroy that machine first' : `rename or remove that domain (virsh -c ${virsh.uri} undefine ${domain})`,
      );
    }
    return r.stdout;
  }

  async availability(config: MachineConfig): Promise<Availability> {
    const fail = (err: unknown): Availability => {
      if (err instanceof LibvirtError) return { ok: false, reason: err.message, ...(err.hint ? { hint: err.hint } : {}), exitCode: err.exitCode };
      throw err;
    };
    if (!config.box.engines.includes('qemu')) {
      return { ok: false, reason: `box ${config.box.name} ${config.box.version} does not list qemu among the engines it boots on (libvirt runs it with qemu)`, hint: 'use another box' };
    }
    const s = settings(config);
    if (!parseLibvirtUri(s.uri)) return { ok: false, reason: `'${s.uri}' is not a libvirt URI`, hint: 'for example qemu:///system or qemu+ssh://user@host/system' };
    if (!existsSync(keeperMainPath())) return { ok: false, reason: `the libvirt engine's domain keeper ${keeperMainPath()} is missing`, hint: 'build vm first: npm run build' };
    const script = await execa('script', ['--version'], { reject: false });
    if (script.exitCode !== 0) return { ok: false, reason: 'the `script` program (util-linux) is missing: `virsh console` needs a terminal it provides', hint: 'apt-get install bsdutils', exitCode: EXIT_EXTERNAL };
    const virsh = this.virsh(config).session();
    try {
      const version = (await virsh.run(['version'])).stdout;
      const caps = await virsh.tryRun(['domcapabilities', '--arch', config.arch, '--virttype', 'qemu']);
      if (!caps) {
        return {
          ok: false,
          reason: `libvirt at ${s.uri} has no qemu emulator for ${config.arch}`,
          hint: `install it on the hypervisor host: apt-get install ${config.arch === 'riscv64' ? 'qemu-system-misc' : 'qemu-system-x86'}, then restart libvirtd`,
          exitCode: EXIT_EXTERNAL,
        };
      }
      await checkPool(virsh, s.pool);
      await this.ownDomain(virsh, config);
      const hyp = /Running hypervisor:\s*(.+)/.exec(version)?.[1]?.trim();
      return { ok: true, detail: `libvirt ${s.uri}${hyp ? ` (${hyp})` : ''}` };
    } catch (err) {
      return fail(err);
    } finally {
      virsh.close();
    }
  }

  async prepare(config: MachineConfig): Promise<void> {
    const virsh = this.virsh(config).session();
    try {
      await prepareVolumes(virsh, config, settings(config).pool);
    } finally {
      virsh.close();
    }
  }

  async destroyDisks(config: MachineConfig): Promise<void> {
    const virsh = this.virsh(config).session();
    try {
      await this.destroyWith(virsh, config);
    } finally {
      virsh.close();
    }
  }

  private async destroyWith(virsh: VirshRunner, config: MachineConfig): Promise<void> {
    const domain = domainName(config);
    const xml = await this.ownDomain(virsh, config).catch((err: unknown) => {
      // a machine that was never created there (virsh missing, host gone) has nothing to delete
      if (err instanceof LibvirtError && !(err instanceof VirshCommandError) && !/is taken/.test(err.message)) return undefined;
      throw err;
    });
    if (xml !== undefined) {
      await virsh.tryRun(['destroy', domain]);
      // --managed-save: a suspended machine's saved state goes with it
      await virsh.run(['undefine', domain, '--managed-save']);
    }
    await deleteVolumes(virsh, config, settings(config).pool).catch((err: unknown) => {
      if (err instanceof LibvirtError) return;
      throw err;
    });
  }

  /**
   * Suspend is `virsh managedsave`: libvirt migrates the domain's state into an image on the
   * hypervisor host and stops the domain; `virsh start` restores it. qemu cannot migrate a mounted
   * 9p share, and before qemu 10.2 a riscv64 guest loses its armed timer across the restore (every
   * sleep would hang): the keeper re-arms it through qemu's gdbstub on a socket beside the agent
   * channel's, which vm reaches only when libvirt runs on this host.
   */
  suspendRefusal(config: MachineConfig): string | undefined {
    if (config.syncedFolders.length > 0) {
      return 'libvirt saves a domain by migrating it, and qemu cannot migrate a machine with a mounted 9p share: this machine has synced folders. Remove `synced_folders` or use the builtin engine';
    }
    const uri = settings(config).uri;
    if (config.arch === 'riscv64' && !isLocalUri(uri)) {
      const host = parseLibvirtUri(uri)?.host ?? uri;
      return `a riscv64 guest restored by qemu before 10.2 loses its armed timer (every sleep in it would hang); vm re-arms it through qemu's gdbstub, whose socket would be on the hypervisor host ${host}, out of vm's reach: suspend works with libvirt on this host`;
    }
    return undefined;
  }

  /** libvirt saves the domain as its managed save image and stops it (the keeper sees it stop and ends); suspend.state records where the image is. */
  async suspend(config: MachineConfig, _paths: RuntimePaths, stateFile: string): Promise<void> {
    const uri = settings(config).uri;
    const domain = domainName(config);
    const virsh = this.virsh(config).session();
    try {
      await this.ownDomain(virsh, config, true);
      await virsh.run(['managedsave', domain], { timeoutMs: SAVE_TIMEOUT_MS });
    } finally {
      virsh.close();
    }
    const saved: SavedDomain = { engine: 'libvirt', uri, domain };
    await writeFileAtomic(stateFile, `${JSON.stringify(saved)}\n`);
  }

  /** The suspend record `resumeFrom` names, checked against this machine, and libvirt's image still there. */
  private async savedImage(virsh: VirshRunner, config: MachineConfig, file: string): Promise<void> {
    const domain = domainName(config);
    let saved: Partial<SavedDomain> = {};
    try {
      saved = JSON.parse(await readFile(file, 'utf8')) as Partial<SavedDomain>;
    } catch (err) {
      throw new LibvirtError(`cannot read the suspended state record ${file}: ${(err as Error).message}`);
    }
    if (saved.engine !== 'libvirt' || saved.domain !== domain || saved.uri !== virsh.uri) {
      throw new LibvirtError(`${file} is not a libvirt suspend of domain ${domain} on ${virsh.uri} (it says ${JSON.stringify(saved)})`, '`vm halt` discards the suspended state, then `vm up` boots the machine');
    }
    const info = (await virsh.run(['dominfo', domain])).stdout;
    if (!/^Managed save:\s+yes/m.test(info)) {
      throw new LibvirtError(`the suspended state of domain ${domain} is gone from libvirt at ${virsh.uri} (no managed save image)`, '`vm halt` discards the suspend record, then `vm up` boots the machine');
    }
  }

  /** The disks are volumes in a libvirt storage pool, not files vm can copy. */
  diskFiles(): string[] {
    return [];
  }

  runningSnapshotRefusal(): string {
    return 'the libvirt engine keeps disks as storage-pool volumes, which vm snapshots do not cover yet';
  }

  diskChains(): [] {
    return [];
  }

  async snapshotRunning(): Promise<void> {
    throw new EngineUnsupportedError(this.runningSnapshotRefusal());
  }

  async start(config: MachineConfig, paths: RuntimePaths, hooks: StartHooks = {}): Promise<EngineProcess> {
    const s = settings(config);
    const cli = this.virsh(config);
    const domain = domainName(config);
    const local = isLocalUri(s.uri);
    const tunnelled = forwardsTunnelled(s.uri, local);
    const keeperMain = keeperMainPath();
    if (!existsSync(keeperMain)) throw new LibvirtError(`the libvirt engine's domain keeper ${keeperMain} is missing`, 'build vm first: npm run build');
    for (const p of [paths.consoleSocket, paths.agentSocket, paths.qmpSocket]) await checkSocketPath(p);

    const xmlFile = join(config.project.stateDir, DOMAIN_XML_FILE);
    const restore = hooks.resumeFrom !== undefined;
    const virsh = cli.session();
    try {
      const existing = await this.ownDomain(virsh, config, true);
      // this machine's domain still running means its keeper was killed: the lifecycle saw it stopped
      if (existing && /<domain [^>]*id=/.test(existing)) await virsh.tryRun(['destroy', domain]);
      if (hooks.resumeFrom !== undefined) {
        // the image holds the domain's XML as it was saved: the definition is left as it is
        await this.savedImage(virsh, config, hooks.resumeFrom);
      } else {
        const volumes = await existingVolumes(virsh, config, s.pool);
        const uuid = existing ? /<uuid>([^<]+)<\/uuid>/.exec(existing)?.[1] : undefined;
        const xml = domainXml({ config, domain, volumes, local, tunnelForwards: tunnelled, ...(uuid ? { uuid } : {}) });
        await writeFile(xmlFile, xml, { mode: 0o600 });
        await virsh.run(['define', xmlFile]);
      }
    } finally {
      virsh.close();
    }
    const logStart = await fileSize(paths.engineLog);
    await appendLog(paths.engineLog, `vm: ${new Date().toISOString()} ${restore ? 'restoring' : 'starting'} libvirt domain ${domain} on ${s.uri}\n`);
    const ssh = local ? undefined : sshCommand(s.uri);
    const launch: KeeperLaunch = {
      uri: s.uri,
      domain,
      powerButton: config.arch === 'x86_64',
      consoleSocket: paths.consoleSocket,
      agentSocket: paths.agentSocket,
      qmpSocket: paths.qmpSocket,
      consoleLog: paths.consoleLog,
      agentReachable: local || ssh !== undefined,
      ...(ssh ? { agentSsh: ssh } : {}),
      attachTimeoutMs: 30_000,
      ...(restore ? { restore: true, rearmTimer: config.arch === 'riscv64' } : {}),
      ...(tunnelled && config.forwards.length > 0 ? { tunnel: { forwards: config.forwards, stateDir: config.project.stateDir } } : {}),
      ...(this.env.VM_VIRSH ? { virsh: this.env.VM_VIRSH } : {}),
    };
    const keeper = await startDetached(process.execPath, [keeperMain, JSON.stringify(launch)], { log: paths.engineLog, cwd: config.project.stateDir, env: detachedNodeEnv(this.env) });
    hooks.spawned?.(keeper.pid);
    const fail = async (message: string): Promise<never> => {
      try {
        process.kill(-keeper.pid, 'SIGKILL');
      } catch {
        // already gone
      }
      await cli.tryRun(['destroy', domain]).catch(() => undefined);
      throw new LibvirtError(message, undefined, await readTail(paths.engineLog, logStart));
    };
    // a restore reads the guest's whole memory back before the keeper can attach
    const timeoutMs = this.options.startTimeoutMs ?? (restore ? SAVE_TIMEOUT_MS : START_TIMEOUT_MS);
    const deadline = Date.now() + timeoutMs;
    const left = (): number => Math.max(100, Math.min(2000, deadline - Date.now()));
    for (;;) {
      if (keeper.exited()) return fail(`the domain keeper ended while starting (${keeper.exited()})`);
      if (await qmpStatus(paths.qmpSocket, left())) {
        const qmp = await QmpClient.connect(paths.qmpSocket, left()).catch(() => undefined);
        const st = await qmp?.queryStatus(left()).catch(() => undefined);
        qmp?.close();
        if (st?.running) break;
      }
      if (Date.now() > deadline) return fail(`the domain keeper did not attach to ${domain} within ${timeoutMs / 1000} s`);
      await sleep(50);
    }
    // libvirt has loaded and dropped its image: the record of it goes too
    if (hooks.resumeFrom !== undefined) await unlink(hooks.resumeFrom);
    return { pid: keeper.pid, accel: 'tcg', argv: cli.argv(['start', domain]) };
  }
}

export { INSTALL_HINT };
export { agentChannelPath, domainOwner } from './domain-info.js';
