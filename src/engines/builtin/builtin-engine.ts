// The builtin engine behind the Engine interface: the machine runs in a detached Node process
// (engine-main.js) in its own process group and session, its stdout/stderr in engine.log.
import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Availability, Engine, EngineProcess, RuntimePaths, StartHooks } from '../engine.js';
import { EngineStartError } from '../errors.js';
import type { MachineConfig } from '../../model/machine-config.js';
// the limit alone: virt.js would load the whole emulator into every CLI command that asks for this engine
import { MAX_HARTS } from '../../emulator/machine/limits.js';
import { destroyDisks, diskChains, prepareDisks, rootOverlayPath } from './disk/machine-disks.js';
import type { DiskChain } from '../shared/disk-chain.js';
import { guestParams } from './guest-params.js';
import { LAUNCH_FORMAT, launchFilePath, type LaunchFile } from './launch-file.js';
import { socketAccepts } from '../shared/unix-socket.js';
import { detachedNodeEnv, startDetached } from '../shared/detached.js';
import { fileSize, readTail } from '../shared/log-tail.js';
import { writeFileAtomic } from '../shared/atomic-file.js';
import { QmpClient } from '../qmp-client.js';
import type { WarmStart } from '../engine.js';
import { findWarmImage, prepareFromWarm, saveWarmImage, warmRefusal } from './warm/warm-image.js';

/** How long the engine gets to save a suspended machine's state (its RAM is compressed as it goes). */
const SUSPEND_TIMEOUT_MS = 300_000;
/** The builtin engine's QMP command that saves the machine to a file and ends the engine. */
export const QMP_SUSPEND = 'x-vm-suspend';
/** The builtin engine's QMP command that snapshots the running machine (disks and memory) into a folder. */
export const QMP_SNAPSHOT = 'x-vm-snapshot';

/** How long the engine process gets to put up its sockets. */
const START_TIMEOUT_MS = 15_000;

/**
 * The file the engine process starts from: the compiled engine-main.js (beside this file when
 * built, under dist/ when this runs from src/, as tests do), or the starter of its one-file bundle
 * that `npm run build` makes beside it (scripts/bundle-engine.js, engine-start.cjs), which starts
 * faster, when that is there and the bundle not older than engine-main.js (a bundle left from an
 * earlier build is not used).
 */
export function engineMainPath(): string {
  const here = fileURLToPath(import.meta.url);
  const main = here.endsWith('.js') ? fileURLToPath(new URL('./engine-main.js', import.meta.url)) : fileURLToPath(new URL('../../../dist/engines/builtin/engine-main.js', import.meta.url));
  return bundleOrModules(main);
}

/** `main`'s bundle starter (main.start.cjs beside it) when it and the bundle (main.bundle.cjs) are there and the bundle is not older than `main`, else `main`. */
export function bundleOrModules(main: string): string {
  const start = main.replace(/\.js$/, '.start.cjs');
  const bundle = main.replace(/\.js$/, '.bundle.cjs');
  try {
    if (statSync(bundle).mtimeMs >= statSync(main).mtimeMs && statSync(start).isFile()) return start;
  } catch {
    // no bundle (or no main: the spawn says so)
  }
  return main;
}


/** Why the builtin engine cannot run a machine of this box and size (with a hint for a Vmfile), or undefined when it can. */
export function builtinRefusal(m: Pick<MachineConfig, 'arch' | 'cpus'> & { box: Pick<MachineConfig['box'], 'name'> }): { reason: string; hint: string } | undefined {
  if (m.arch !== 'riscv64') return { reason: `the builtin engine runs riscv64 machines; box '${m.box.name}' is ${m.arch}`, hint: 'use `engine: qemu` for this box' };
  if (m.cpus > MAX_HARTS) return { reason: `the builtin engine runs at most ${MAX_HARTS} CPUs; the machine asks for ${m.cpus}`, hint: `set cpus: ${MAX_HARTS} or fewer` };
  return undefined;
}

export class BuiltinEngine implements Engine {
  readonly name = 'builtin' as const;
  readonly runningSnapshot = 'live' as const;
  readonly warm: WarmStart = {
    refusal: (config) => warmRefusal(config),
    find: (config, cacheDir) => findWarmImage(cacheDir, config),
    prepare: (config, image) => prepareFromWarm(config, image),
    save: (config, paths, cacheDir) => saveWarmImage(cacheDir, config, paths),
  };

  async availability(config: MachineConfig): Promise<Availability> {
    const refused = builtinRefusal(config);
    if (refused) return { ok: false, ...refused };
    if (!existsSync(engineMainPath())) {
      return { ok: false, reason: `the builtin engine's process file ${engineMainPath()} is missing`, hint: 'build vm first: npm run build' };
    }
    return { ok: true, detail: 'builtin RV64GC emulator' };
  }

  async prepare(config: MachineConfig): Promise<void> {
    await prepareDisks(config);
  }

  async destroyDisks(config: MachineConfig): Promise<void> {
    await destroyDisks(config);
  }

  suspendRefusal(): string | undefined {
    return undefined;
  }

  async suspend(_config: MachineConfig, paths: RuntimePaths, stateFile: string): Promise<void> {
    const qmp = await QmpClient.connect(paths.qmpSocket);
    try {
      await qmp.execute(QMP_SUSPEND, { path: stateFile }, SUSPEND_TIMEOUT_MS);
    } finally {
      qmp.close();
    }
  }

  diskFiles(config: MachineConfig): string[] {
    return [...(config.box.rootDisk ? [rootOverlayPath(config)] : []), ...config.disks.map((d) => d.path)];
  }

  runningSnapshotRefusal(): string | undefined {
    return undefined;
  }

  diskChains(config: MachineConfig): DiskChain[] {
    return diskChains(config);
  }

  async snapshotRunning(_config: MachineConfig, paths: RuntimePaths, into: string, layer: string): Promise<void> {
    const qmp = await QmpClient.connect(paths.qmpSocket);
    try {
      await qmp.execute(QMP_SNAPSHOT, { dir: into, layer }, SUSPEND_TIMEOUT_MS);
    } finally {
      qmp.close();
    }
  }

  /** `hooks.spawned(pid)` runs as soon as the process exists, before its sockets answer. */
  async start(config: MachineConfig, paths: RuntimePaths, hooks: StartHooks = {}): Promise<EngineProcess> {
    const launch: LaunchFile = { format: LAUNCH_FORMAT, config, paths, cmdlineExtra: guestParams(config), ...(hooks.resumeFrom ? { resumeFrom: hooks.resumeFrom } : {}) };
    const file = launchFilePath(config);
    await writeFileAtomic(file, `${JSON.stringify(launch, null, 2)}\n`);
    const logStart = await fileSize(paths.engineLog);
    const { pid, exited } = await startDetached(process.execPath, [engineMainPath(), file], { log: paths.engineLog, cwd: config.project.stateDir, env: detachedNodeEnv() });
    hooks.spawned?.(pid);

    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      if (exited()) throw new EngineStartError(`the builtin engine process ended while starting (${exited()})`, await readTail(paths.engineLog, logStart));
      if ((await socketAccepts(paths.qmpSocket, 500)) && (await socketAccepts(paths.consoleSocket, 500))) break;
      if (Date.now() > deadline) {
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          // already gone
        }
        throw new EngineStartError(`the builtin engine process did not open its sockets within ${START_TIMEOUT_MS / 1000} s`, await readTail(paths.engineLog));
      }
      await sleep(25);
    }
    return { pid, accel: 'builtin' };
  }
}
