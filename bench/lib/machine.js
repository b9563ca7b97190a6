// Shared by the benches that boot the bundled tiny box on both engines through the Engine interface
// (bench/qemu.js, bench/io.js): unpack the box, build a MachineConfig and runtime paths, and watch
// the engine process (by pid and kernel start time, so a reused pid is never taken for ours).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
export const DIST = join(ROOT, 'dist');
export const ARCHIVE = join(ROOT, 'boxes/tiny/tiny.box');
export const READY = 'vm: ready';

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Unpacks the committed tiny.box under `into` and returns its BoxRef. */
export function unpackBox(into) {
  const dir = join(into, 'box');
  mkdirSync(dir);
  const tar = spawnSync('tar', ['-xzf', ARCHIVE, '-C', dir], { encoding: 'utf8' });
  if (tar.status !== 0) throw new Error(`cannot unpack ${ARCHIVE}: ${tar.stderr}`);
  const text = readFileSync(join(dir, 'box.json'));
  const m = JSON.parse(text.toString('utf8'));
  return {
    name: m.name,
    version: m.version,
    dir,
    arch: m.architecture,
    engines: m.engines,
    kernel: join(dir, m.kernel),
    initrd: join(dir, m.initrd),
    rootDisk: { path: join(dir, m.root_disk.path), format: m.root_disk.format, sha256: m.files[m.root_disk.path].sha256 },
    cmdline: m.cmdline,
    checksum: createHash('sha256').update(text).digest('hex'),
  };
}

/** A one-CPU 256 MiB MachineConfig for `engine` in `project`; `macByte` keeps MACs distinct per bench. */
export function configFor(box, project, engine, { forwards = [], macByte = 0, bootTimeoutMs }) {
  const stateDir = join(project, '.vm', 'machines', engine);
  const hex = macByte.toString(16).padStart(2, '0');
  return {
    name: engine,
    project: { dir: project, vmfile: join(project, 'Vmfile'), stateDir },
    engine,
    engineRequested: engine,
    accel: 'tcg',
    arch: box.arch,
    cpus: 1,
    memoryBytes: 256 * 1024 * 1024,
    hostname: engine,
    box,
    cmdline: box.cmdline,
    firmware: 'sbi',
    disks: [],
    nics: [{ type: 'nat', mac: `52:54:00:be:${hex}:${engine === 'qemu' ? '01' : '02'}` }],
    forwards,
    syncedFolders: [],
    provision: [],
    env: {},
    bootTimeoutMs,
  };
}

/** Runtime paths in a fresh short dir under /tmp (socket paths stay far below the limit). */
export function runtimePaths(stateDir) {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const runDir = mkdtempSync(join('/tmp', 'vmb-'));
  return {
    runDir,
    consoleSocket: join(runDir, 'console.sock'),
    agentSocket: join(runDir, 'agent.sock'),
    qmpSocket: join(runDir, 'qmp.sock'),
    consoleLog: join(stateDir, 'console.log'),
    engineLog: join(stateDir, 'engine.log'),
  };
}

/** Kernel start time of a pid (field 22 of /proc/PID/stat). */
export function startTime(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return s.slice(s.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** Whether the process (pid, start time) has ended (or is a zombie) within `ms`. */
export async function waitGone(pid, since, ms) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    let stat;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      return true;
    }
    const fields = stat.slice(stat.lastIndexOf(')') + 2);
    if (fields.startsWith('Z') || fields.split(' ')[19] !== since) return true;
    await sleep(50);
  }
  return false;
}

/** Waits for the box's ready line in console.log; fails if the engine process ends first. */
export async function waitReady(consoleLog, pid, since, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    let text = '';
    try {
      text = readFileSync(consoleLog, 'latin1');
    } catch {
      // not there yet
    }
    if (text.split('\n').some((l) => l.trim() === READY)) return;
    if (startTime(pid) !== since) throw new Error(`the engine process ended before ${READY}:\n${text.slice(-1500)}`);
    await sleep(20);
  }
  throw new Error(`no ${READY} within ${timeoutMs / 1000} s`);
}

/** Runs a guest shell script through the agent; fails unless it exits 0. Returns stdout, stderr and host seconds. */
export async function guestSh(agent, script, timeoutMs) {
  const t0 = performance.now();
  const r = await agent.run({ argv: ['sh', '-c', script], timeoutMs });
  const seconds = (performance.now() - t0) / 1000;
  if (r.status.code !== 0) throw new Error(`guest command failed (${JSON.stringify(r.status)}): ${script}\n${r.stderr.toString('utf8')}`);
  return { out: r.stdout.toString('utf8'), err: r.stderr.toString('utf8'), seconds };
}

/** After a measurement, however it ended: kill the engine if it still runs, drop its disks and folders. */
export async function cleanUpMachine({ pid, since, engine, config, runDir }) {
  if (startTime(pid) === since) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
    await waitGone(pid, since, 10_000);
  }
  await engine.destroyDisks(config).catch(() => undefined);
  rmSync(runDir, { recursive: true, force: true });
  rmSync(config.project.stateDir, { recursive: true, force: true });
}
