// The qemu engine behind the Engine interface: qemu-system runs the machine as a detached child in
// its own session and process group (it outlives the CLI), stdout/stderr in engine.log, agent.sock
// and qmp.sock in the runtime dir; a console relay process beside it serves console.sock and writes
// console.log (console-relay.ts) and exits with qemu. KVM is used only after the probe proved it runs
// a guest (kvm-probe.ts). Graceful halt is the lifecycle's: the agent's poweroff, or QMP
// system_powerdown where the machine has a power button (x86_64 q35 + the box's acpid; riscv64 virt
// has none: qemu emits POWERDOWN and the guest never sees it).

import { existsSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Availability, Engine, EngineProcess, RuntimePaths, StartHooks } from '../engine.js';
import { unlink } from 'node:fs/promises';
import { copySparse } from '../shared/sparse-copy.js';
import { freeLoopbackPort, migrateFromFile, migrateToFile, migrationBlocker, rearmGuestTimer } from './migration-file.js';
import type { MachineConfig } from '../../model/machine-config.js';
import { gdbSocketPath, qemuArgv, serialSocketPath, type QemuAccel } from './argv.js';
import type { ConsoleRelayLaunch } from './console-relay-main.js';
import { checkProgram, installHint, QEMU_IMG, SYSTEM_PROGRAMS, type QemuProgram } from './binaries.js';
import { DiskError, EngineStartError, EngineUnsupportedError } from '../errors.js';
import { DEFAULT_KVM_PROBE_TIMEOUT_MS, probeKvm, type KvmProbeResult } from './kvm-probe.js';
import { kvmProbeCacheFile } from './kvm-probe-cache.js';
import { checkDisksPresent, destroyQemuDisks, diskPlan, prepareQemuDisks, qemuDiskChains } from './qemu-img.js';
import type { DiskChain } from '../shared/disk-chain.js';
import { QmpClient } from '../qmp-client.js';
import { appendLog, consoleRelayMainPath, isSocket, qmpStatus } from './start-plumbing.js';
import { checkSocketPath, socketAccepts } from '../shared/unix-socket.js';
import { detachedNodeEnv, startDetached } from '../shared/detached.js';
import { fileSize, readTail } from '../shared/log-tail.js';

/** qemu's pid file, in the machine's state folder (qemu holds a lock on it while it runs). */
export const PID_FILE = 'qemu.pid';
/** How long qemu gets to put up its sockets and answer QMP. */
const START_TIMEOUT_MS = 20_000;

export interface QemuEngineOptions {
  env?: NodeJS.ProcessEnv;
  kvmProbeTimeoutMs?: number;
  kernelProbeTimeoutMs?: number;
  startTimeoutMs?: number;
  /** Per-user cache folder (core says where): the KVM probe's verdict is kept there for the host's boot. None: probe every time. */
  cacheDir?: string;
}

/** Where a cached verdict came from, for the messages that give it. */
export function probeSource(probe: KvmProbeResult): string {
  return probe.cached ? `; verdict of a probe at ${probe.cached.probedAt}, kept for this host boot (delete ${probe.cached.file} to probe again)` : '';
}

export interface AccelChoice {
  accel: QemuAccel;
  /** Why, for engine.log: the probe's verdict when it ran. */
  note: string;
}

export class QemuEngine implements Engine {
  readonly name = 'qemu' as const;
  readonly runningSnapshot = 'suspend' as const;
  private readonly env: NodeJS.ProcessEnv;
  private readonly probes = new Map<string, Promise<KvmProbeResult>>();

  constructor(private readonly options: QemuEngineOptions = {}) {
    this.env = options.env ?? process.env;
  }

  private async program(p: QemuProgram): Promise<string | { reason: string }> {
    const c = await checkProgram(p, this.env);
    return c.ok ? c.path : { reason: c.reason };
  }

  async availability(config: MachineConfig): Promise<Availability> {
    if (!config.box.engines.includes('qemu')) {
      return { ok: false, reason: `box ${config.box.name} ${config.box.version} does not list qemu among the engines it boots on`, hint: 'use the engine the box names, or another box' };
    }
    const needed = [SYSTEM_PROGRAMS[config.arch], ...(config.box.rootDisk || config.disks.length > 0 ? [QEMU_IMG] : [])];
    const missing: QemuProgram[] = [];
    const reasons: string[] = [];
    let detail = '';
    for (const p of needed) {
      const c = await checkProgram(p, this.env);
      if (!c.ok) {
        missing.push(p);
        reasons.push(c.reason);
      } else if (p === SYSTEM_PROGRAMS[config.arch]) {
        detail = c.version;
      }
    }
    if (missing.length > 0) return { ok: false, reason: reasons.join('; '), hint: installHint(missing, config.arch) };
    if (!existsSync(consoleRelayMainPath())) {
      return { ok: false, reason: `the qemu engine's console relay ${consoleRelayMainPath()} is missing`, hint: 'build vm first: npm run build' };
    }
    if (config.accel === 'kvm') {
      const probe = await this.probe(config);
      if (!probe.usable) return { ok: false, reason: `the machine asks for accel: kvm, but KVM cannot run guests here: ${probe.reason}${probeSource(probe)}`, hint: 'set accel: auto (KVM when it works, else TCG) or accel: tcg' };
    }
    return { ok: true, detail };
  }

  /** The KVM probe's verdict for this machine's architecture and kernel, run once per engine object (and per host boot with a cache folder). */
  probe(config: MachineConfig): Promise<KvmProbeResult> {
    const key = `${config.arch}\u0000${config.box.kernel}`;
    let p = this.probes.get(key);
    if (!p) {
      p = (async () => {
        const program = await this.program(SYSTEM_PROGRAMS[config.arch]);
        if (typeof program !== 'string') return { usable: false as const, reason: program.reason, elapsedMs: 0 };
        return probeKvm({
          arch: config.arch,
          program,
          timeoutMs: this.options.kvmProbeTimeoutMs ?? DEFAULT_KVM_PROBE_TIMEOUT_MS,
          // the machine's own kernel proves more than any test guest (kvm-probe.ts)
          ...(config.arch === 'x86_64' ? { kernel: config.box.kernel } : {}),
          ...(this.options.kernelProbeTimeoutMs ? { kernelTimeoutMs: this.options.kernelProbeTimeoutMs } : {}),
          ...(this.options.cacheDir ? { cacheFile: kvmProbeCacheFile(this.options.cacheDir) } : {}),
        });
      })();
      this.probes.set(key, p);
    }
    return p;
  }

  /** TCG when asked; KVM when asked and proved (else an error); for `auto`, KVM only if proved. */
  async chooseAccel(config: MachineConfig): Promise<AccelChoice> {
    if (config.accel === 'tcg') return { accel: 'tcg', note: 'accel: tcg' };
    const probe = await this.probe(config);
    if (probe.usable) return { accel: 'kvm', note: `KVM probe passed in ${probe.elapsedMs} ms${probeSource(probe)}` };
    if (config.accel === 'kvm') {
      throw new EngineStartError(`the machine asks for accel: kvm, but KVM cannot run guests here: ${probe.reason}${probeSource(probe)}`, '', 'set accel: auto or tcg');
    }
    return { accel: 'tcg', note: `KVM not used: ${probe.reason}${probeSource(probe)}` };
  }

  async prepare(config: MachineConfig): Promise<void> {
    const plan = diskPlan(config);
    if (!plan.root && plan.extra.length === 0) return;
    const qemuImg = await this.program(QEMU_IMG);
    if (typeof qemuImg !== 'string') throw new DiskError(`cannot create the machine's disks: ${qemuImg.reason}`, installHint([QEMU_IMG], config.arch));
    await prepareQemuDisks(config, qemuImg);
  }

  async destroyDisks(config: MachineConfig): Promise<void> {
    await destroyQemuDisks(config);
  }

  suspendRefusal(config: MachineConfig): string | undefined {
    return migrationBlocker(config.syncedFolders.length);
  }

  /** Migrates the paused guest into `stateFile` over loopback (migration-file.ts), then quits qemu. */
  async suspend(_config: MachineConfig, paths: RuntimePaths, stateFile: string): Promise<void> {
    const qmp = await QmpClient.connect(paths.qmpSocket);
    try {
      await migrateToFile(qmp, stateFile);
      await qmp.execute('quit').catch(() => undefined);
    } finally {
      qmp.close();
    }
  }

  diskFiles(config: MachineConfig): string[] {
    const plan = diskPlan(config);
    return [...(plan.root ? [plan.root.path] : []), ...plan.extra.map((d) => d.path)];
  }

  /** A running machine's snapshot holds its memory, which goes out through migration (as for suspend). */
  runningSnapshotRefusal(config: MachineConfig): string | undefined {
    return migrationBlocker(config.syncedFolders.length);
  }

  diskChains(config: MachineConfig): DiskChain[] {
    return qemuDiskChains(config, async () => {
      const p = await this.program(QEMU_IMG);
      if (typeof p !== 'string') throw new DiskError(`cannot change the machine's disk layers: ${p.reason}`, installHint([QEMU_IMG], config.arch));
      return p;
    });
  }

  /**
   * Not live: a running qemu machine is snapshotted suspended (runningSnapshot = 'suspend'). qemu
   * reopens an image by its file name when it changes its permissions (file-posix, e.g. when a
   * migration inactivates the disks), so a top switched under it by blockdev-snapshot-sync could not
   * then be renamed to the fixed top name the chain keeps: migration fails with
   * "bdrv_inactivate_all() failed", and the old top's name would point at the new file.
   */
  async snapshotRunning(): Promise<void> {
    throw new EngineUnsupportedError('the qemu engine snapshots a running machine by suspending it');
  }

  /**
   * Starts qemu paused, attaches the console relay to its serial socket, then lets the guest run.
   * `hooks.spawned(pid)` runs as soon as qemu exists, before its sockets answer.
   */
  async start(config: MachineConfig, paths: RuntimePaths, hooks: StartHooks = {}): Promise<EngineProcess> {
    const system = SYSTEM_PROGRAMS[config.arch];
    const program = await this.program(system);
    if (typeof program !== 'string') throw new EngineStartError(program.reason, '', installHint([system], config.arch));
    const relayMain = consoleRelayMainPath();
    if (!existsSync(relayMain)) throw new EngineStartError(`the qemu engine's console relay ${relayMain} is missing (build vm first: npm run build)`);
    const plan = diskPlan(config);
    // A snapshot step a crash interrupted is finished first: qemu must not open a frozen layer as its top.
    for (const chain of this.diskChains(config)) await chain.recover();
    await checkDisksPresent(plan);
    const choice = await this.chooseAccel(config);
    const incomingPort = hooks.resumeFrom ? await freeLoopbackPort() : undefined;
    const cmd = qemuArgv({ config, paths, accel: choice.accel, disks: plan, pidFile: join(config.project.stateDir, PID_FILE), program, incomingPort });
    const serialSocket = serialSocketPath(paths);
    for (const s of [paths.consoleSocket, paths.agentSocket, paths.qmpSocket, serialSocket, gdbSocketPath(paths)]) await checkSocketPath(s);

    const logStart = await fileSize(paths.engineLog);
    await appendLog(paths.engineLog, `vm: ${new Date().toISOString()} starting qemu (${choice.note})\nvm: ${[cmd.program, ...cmd.args].join(' ')}\n`);
    const qemu = await startDetached(cmd.program, cmd.args, { log: paths.engineLog, cwd: config.project.stateDir, env: this.env });
    hooks.spawned?.(qemu.pid);
    const fail = async (message: string): Promise<never> => {
      try {
        process.kill(-qemu.pid, 'SIGKILL'); // qemu's own group; the relay exits when qemu's socket closes
      } catch {
        // already gone
      }
      throw new EngineStartError(message, await readTail(paths.engineLog, logStart));
    };

    const timeoutMs = this.options.startTimeoutMs ?? START_TIMEOUT_MS;
    const deadline = Date.now() + timeoutMs;
    const left = (): number => Math.max(100, Math.min(2000, deadline - Date.now()));
    // 1. qemu is up and paused: QMP answers, its sockets exist
    for (;;) {
      if (qemu.exited()) return fail(`qemu ended while starting (${qemu.exited()})`);
      if ((await qmpStatus(paths.qmpSocket, left())) && (await isSocket(paths.agentSocket)) && (await isSocket(serialSocket))) break;
      if (Date.now() > deadline) return fail(`qemu did not open its sockets within ${timeoutMs / 1000} s`);
      await sleep(25);
    }
    // 2. the console relay attaches to the serial port and serves console.sock
    const launch: ConsoleRelayLaunch = { serialSocket, consoleSocket: paths.consoleSocket, consoleLog: paths.consoleLog, connectTimeoutMs: Math.max(1000, deadline - Date.now()) };
    const relay = await startDetached(process.execPath, [relayMain, JSON.stringify(launch)], { log: paths.engineLog, cwd: config.project.stateDir, env: detachedNodeEnv(this.env) });
    for (;;) {
      if (relay.exited()) return fail(`the console relay ended while starting (${relay.exited()})`);
      if (qemu.exited()) return fail(`qemu ended while starting (${qemu.exited()})`);
      if (await socketAccepts(paths.consoleSocket, left())) break;
      if (Date.now() > deadline) return fail(`the console relay did not open ${paths.consoleSocket} within ${timeoutMs / 1000} s`);
      await sleep(25);
    }
    // 3. the guest runs (after loading the suspended state, which then goes: the disks move on from here)
    let qmp: QmpClient | undefined;
    try {
      qmp = await QmpClient.connect(paths.qmpSocket, left());
      if (hooks.resumeFrom && incomingPort !== undefined) {
        await migrateFromFile(qmp, hooks.resumeFrom, incomingPort);
        await unlink(hooks.resumeFrom);
        if (config.arch === 'riscv64') {
          // Without this the guest may wait forever for a timer interrupt (migration-file.ts).
          await rearmGuestTimer(qmp, gdbSocketPath(paths)).catch((err: Error) =>
            appendLog(paths.engineLog, `vm: warning: could not re-arm the resumed guest's timer; its sleeps may hang: ${err.message}\n`),
          );
        }
      }
      await qmp.execute('cont', undefined, left());
      const status = await qmp.queryStatus(left());
      if (!status.running) return fail(`qemu does not run the machine after cont (status ${status.status})`);
    } catch (err) {
      if (err instanceof EngineStartError) throw err;
      return fail(`qemu did not start the machine: ${(err as Error).message}`);
    } finally {
      qmp?.close();
    }
    return { pid: qemu.pid, accel: choice.accel, argv: [cmd.program, ...cmd.args] };
  }
}
