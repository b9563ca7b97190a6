// Shared by the qemu engine tests: a bundled box unpacked into a temp store, a MachineConfig for it
// in a temp project, short runtime paths, a client for the console socket, and a cleanup that kills
// only the qemu process the test started (checked by pid and start time).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EngineProcess, RuntimePaths } from '../../src/engines/engine.js';
import type { Arch, MachineConfig } from '../../src/model/machine-config.js';
import { identify, isAlive, type ProcessIdentity } from '../../src/core/machines/process-identity.js';

export const BOOT_TIMEOUT_MS = 120_000; // TCG on a busy 2-core machine

export function qemuVersion(program: string): string | null {
  const r = spawnSync(program, ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.split('\n')[0]!.trim() : null;
}

interface BoxJson {
  name: string;
  version: string;
  architecture: Arch;
  engines: ('builtin' | 'qemu')[];
  kernel: string;
  initrd?: string;
  root_disk?: { path: string; format: 'raw' | 'qcow2' };
  cmdline: string;
  files: Record<string, { sha256: string; size: number }>;
}

export interface UnpackedBox {
  dir: string;
  json: BoxJson;
  ref: MachineConfig['box'];
}

export function unpackBox(boxName: string, into: string): UnpackedBox {
  const archive = fileURLToPath(new URL(`../../boxes/${boxName}/${boxName}.box`, import.meta.url));
  const dir = join(into, 'store', boxName);
  mkdirSync(dir, { recursive: true });
  const tar = spawnSync('tar', ['-xzf', archive, '-C', dir], { encoding: 'utf8' });
  if (tar.status !== 0) throw new Error(`could not unpack ${archive}: ${tar.stderr}`);
  const text = readFileSync(join(dir, 'box.json'));
  const json = JSON.parse(text.toString('utf8')) as BoxJson;
  return {
    dir,
    json,
    ref: {
      name: json.name,
      version: json.version,
      dir,
      arch: json.architecture,
      engines: json.engines,
      kernel: join(dir, json.kernel),
      ...(json.initrd ? { initrd: join(dir, json.initrd) } : {}),
      ...(json.root_disk ? { rootDisk: { path: join(dir, json.root_disk.path), format: json.root_disk.format, sha256: json.files[json.root_disk.path]!.sha256 } } : {}),
      cmdline: json.cmdline,
      checksum: createHash('sha256').update(text).digest('hex'),
    },
  };
}

export function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

export interface TestMachine {
  config: MachineConfig;
  paths: RuntimePaths;
}

/** A machine named `name` in project folder `projectDir`, on `box`. */
export function machineFor(box: UnpackedBox, projectDir: string, name: string, over: Partial<MachineConfig> = {}): TestMachine {
  const stateDir = join(projectDir, '.vm', 'machines', name);
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const runDir = mkdtempSync(join('/tmp', 'vmq-'));
  const config: MachineConfig = {
    name,
    project: { dir: projectDir, vmfile: join(projectDir, 'Vmfile'), stateDir },
    engine: 'qemu',
    engineRequested: 'qemu',
    accel: 'auto',
    arch: box.ref.arch,
    cpus: 1,
    memoryBytes: 256 * 1024 * 1024,
    hostname: name,
    box: box.ref,
    cmdline: box.ref.cmdline,
    firmware: 'sbi',
    disks: [],
    nics: [{ type: 'nat', mac: '52:54:00:12:34:56' }],
    forwards: [],
    syncedFolders: [],
    provision: [],
    env: {},
    bootTimeoutMs: BOOT_TIMEOUT_MS,
    ...over,
  };
  const paths: RuntimePaths = {
    runDir,
    consoleSocket: join(runDir, 'console.sock'),
    agentSocket: join(runDir, 'agent.sock'),
    qmpSocket: join(runDir, 'qmp.sock'),
    consoleLog: join(stateDir, 'console.log'),
    engineLog: join(stateDir, 'engine.log'),
  };
  return { config, paths };
}

export function tempProject(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** The serial console over console.sock: collects output, waits for text, types. */
export class ConsoleClient {
  private output = '';
  private cursor = 0;
  private readonly listeners = new Set<() => void>();
  private closed = false;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (c: Buffer) => {
      this.output += c.toString('latin1');
      for (const l of this.listeners) l();
    });
    socket.on('close', () => {
      this.closed = true;
      for (const l of this.listeners) l();
    });
    socket.on('error', () => undefined);
  }

  static connect(path: string): Promise<ConsoleClient> {
    return new Promise((resolve, reject) => {
      const s = connect(path);
      s.once('connect', () => resolve(new ConsoleClient(s)));
      s.once('error', reject);
    });
  }

  /** Text from the cursor to the end of `needle`'s next appearance; moves the cursor past it. */
  waitFor(needle: string | RegExp, timeoutMs = BOOT_TIMEOUT_MS): Promise<string> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const rest = this.output.slice(this.cursor);
        let end = -1;
        if (typeof needle === 'string') {
          const at = rest.indexOf(needle);
          if (at >= 0) end = at + needle.length;
        } else {
          const m = needle.exec(rest);
          if (m) end = m.index + m[0].length;
        }
        if (end >= 0) {
          done();
          this.cursor += end;
          resolve(rest.slice(0, end));
        } else if (this.closed) {
          done();
          reject(new Error(`console closed before ${needle}:\n${this.tail()}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no ${needle} on the console within ${timeoutMs} ms:\n${this.tail()}`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.listeners.delete(check);
      };
      this.listeners.add(check);
      check();
    });
  }

  type(text: string): void {
    this.socket.write(text);
  }

  tail(chars = 3000): string {
    return this.output.slice(-chars);
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Waits until the process recorded as `who` is gone; false on timeout. */
export async function waitGone(who: ProcessIdentity, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(who)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return !isAlive(who);
}

/** Tracks started engines; `killAll` SIGKILLs those still alive and still the same process. */
export class Started {
  private readonly procs: ProcessIdentity[] = [];

  add(p: EngineProcess): ProcessIdentity {
    const who = identify(p.pid);
    this.procs.push(who);
    return who;
  }

  async killAll(): Promise<void> {
    for (const who of this.procs) {
      if (!isAlive(who)) continue;
      try {
        process.kill(who.pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
      await waitGone(who, 5000);
    }
  }
}

export function cleanup(...dirs: string[]): void {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}
