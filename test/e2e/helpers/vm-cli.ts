// Drives the real CLI (`node bin/run.js`, compiled) in a temp project with a temp VM_HOME and a
// short private runtime dir, as a user would. VM_E2E_ENGINE=builtin|qemu picks the engine every
// Vmfile asks for (default builtin), so the suite can run again on qemu.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';

export const ROOT = join(import.meta.dirname, '../../..');
export const BIN = join(ROOT, 'bin/run.js');
export const ENGINE = (process.env.VM_E2E_ENGINE ?? 'builtin') as 'builtin' | 'qemu';
/** The CLI and the engine process run from dist/: the suite needs `npm run build` first. */
export const BUILT = existsSync(join(ROOT, 'dist/cli/commands/up.js')) && existsSync(join(ROOT, 'dist/engines/builtin/engine-main.js'));
/** The qemu run of the suite needs qemu-system-riscv64 and qemu-img on PATH. */
const onPath = (bin: string): boolean => (process.env.PATH ?? '').split(':').some((d) => d !== '' && existsSync(join(d, bin)));
export const ENGINE_PRESENT = ENGINE === 'builtin' || (onPath('qemu-system-riscv64') && onPath('qemu-img'));
/** Whether the suite can run here: compiled CLI, and the engine it was asked to use. */
export const E2E_READY = BUILT && ENGINE_PRESENT;

export interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  input?: string;
  env?: Record<string, string>;
  timeoutMs?: number;
}

/** A temp project folder with its own VM_HOME and runtime dir; `cleanup` destroys what is left. */
export class Project {
  readonly dir: string;
  readonly home: string;
  readonly runtime: string;

  constructor(name: string, vmfile: string) {
    this.dir = mkdtempSync(join(tmpdir(), `vm-e2e-${name}-`));
    this.home = join(this.dir, '.home');
    // Short, so socket paths stay far below the 107-byte limit whatever tmpdir() is.
    this.runtime = mkdtempSync('/tmp/vme-');
    mkdirSync(this.home, { mode: 0o700 });
    this.writeVmfile(vmfile);
  }

  writeVmfile(text: string): void {
    writeFileSync(join(this.dir, 'Vmfile'), `engine: ${ENGINE}\n${text}`);
  }

  /** For Vmfiles with `machines:` (the engine goes under defaults). */
  writeMultiVmfile(text: string): void {
    writeFileSync(join(this.dir, 'Vmfile'), text.replace(/^defaults:\n/m, `defaults:\n  engine: ${ENGINE}\n`));
  }

  env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    return { ...process.env, VM_HOME: this.home, VM_RUNTIME_DIR: this.runtime, NO_COLOR: '1', VM_LOCK_TIMEOUT: '120', ...extra };
  }

  /** Starts `vm ARGS` in the project folder. */
  start(args: string[], o: RunOptions = {}): { child: ChildProcess; done: Promise<Result> } {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: this.dir, env: this.env(o.env), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdin!.on('error', () => undefined);
    child.stdin!.end(o.input ?? '');
    const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 240_000);
    const done = new Promise<Result>((resolve) => {
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal, stdout, stderr });
      });
    });
    return { child, done };
  }

  run(args: string[], o: RunOptions = {}): Promise<Result> {
    return this.start(args, o).done;
  }

  /** Runs another program (ssh, scp, rsync, a shell) in the project folder with the project's environment. */
  exec(argv: string[], timeoutMs = 120_000): Promise<Result> {
    return new Promise((resolve) => {
      const child = spawn(argv[0]!, argv.slice(1), { cwd: this.dir, env: this.env(), stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.on('error', (err) => {
        clearTimeout(timer);
        resolve({ code: null, signal: null, stdout, stderr: `${stderr}${err.message}\n` });
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal, stdout, stderr });
      });
    });
  }

  /** `vm status --json` as data. */
  /** Runs `cmd` in the guest (`vm ssh -c`), expects it to succeed and returns its stdout. */
  async guest(cmd: string): Promise<string> {
    const r = await this.run(['ssh', '-c', cmd]);
    expect(r.code, show(r)).toBe(0);
    return r.stdout;
  }

  async status(): Promise<{ name: string; status: string; pid?: number; detail?: string }[]> {
    const r = await this.run(['status', '--json']);
    if (r.code !== 0) throw new Error(`vm status failed: ${r.stderr}`);
    return (JSON.parse(r.stdout) as { machines: { name: string; status: string; pid?: number; detail?: string }[] }).machines;
  }

  stateFile(machine: string): { pid?: number; state: string; sockets: Record<string, string> } {
    return JSON.parse(readFileSync(join(this.dir, '.vm/machines', machine, 'state.json'), 'utf8'));
  }

  machineDir(machine: string): string {
    return join(this.dir, '.vm/machines', machine);
  }

  async cleanup(): Promise<void> {
    await this.run(['destroy', '--force'], { timeoutMs: 60_000 }).catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
    rmSync(this.runtime, { recursive: true, force: true });
  }
}

/** Whether `pid` runs: it exists and is not a zombie (an engine whose parent CLI exited is reaped by init, if init reaps). */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** Text for an assertion message: the command's output. */
export const show = (r: Result): string => `exit ${r.code}${r.signal ? ` (${r.signal})` : ''}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

/** How long a suite's machine may take to come up (upForSuite). */
export const SUITE_BOOT_MS = 300_000;

/**
 * One machine for a describe block: made and brought up (`vm up`) before its tests, destroyed and
 * removed after them. `prepare` adds to the project (folders, a Vmfile written from values known
 * only then) before the up; `ready` receives the project.
 */
export function upForSuite(name: string, vmfile: string, ready: (p: Project) => void, prepare?: (p: Project) => void | Promise<void>): void {
  let project: Project | undefined;
  beforeAll(async () => {
    project = new Project(name, vmfile);
    await prepare?.(project);
    ready(project);
    const up = await project.run(['up'], { timeoutMs: SUITE_BOOT_MS });
    expect(up.code, show(up)).toBe(0);
  }, SUITE_BOOT_MS + 10_000);
  afterAll(async () => {
    await project?.cleanup();
  }, 120_000);
}
