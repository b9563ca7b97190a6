// Which qemu programs a machine needs, where they are on PATH, and which Debian package brings each.
import { execFile } from 'node:child_process';
import { constants as C } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import type { Arch } from '../../model/machine-config.js';

export interface QemuProgram {
  /** Executable name looked up on PATH. */
  name: string;
  /** Debian package that installs it. */
  debianPackage: string;
}

/** Emulator per guest architecture. */
export const SYSTEM_PROGRAMS: Record<Arch, QemuProgram> = {
  riscv64: { name: 'qemu-system-riscv64', debianPackage: 'qemu-system-misc' },
  x86_64: { name: 'qemu-system-x86_64', debianPackage: 'qemu-system-x86' },
};
export const QEMU_IMG: QemuProgram = { name: 'qemu-img', debianPackage: 'qemu-utils' };

/** Env var naming a folder searched before PATH for the qemu programs (tests, custom builds). */
export const VM_QEMU_DIR_ENV = 'VM_QEMU_DIR';

const VERSION_TIMEOUT_MS = 10_000;

/** Absolute path of `name` in $VM_QEMU_DIR or on PATH, or undefined. */
export async function findProgram(name: string, env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  const dirs = [env[VM_QEMU_DIR_ENV], ...(env.PATH ?? '').split(delimiter)].filter((d): d is string => !!d && d.startsWith('/'));
  for (const dir of dirs) {
    const candidate = join(dir, name);
    try {
      if (!(await stat(candidate)).isFile()) continue;
      await access(candidate, C.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

export type ProgramCheck = { ok: true; path: string; version: string } | { ok: false; reason: string };

const checks = new Map<string, Promise<ProgramCheck>>();

/** Finds `program` and runs `--version` once per process; a program that does not run is not usable. */
export function checkProgram(program: QemuProgram, env: NodeJS.ProcessEnv = process.env): Promise<ProgramCheck> {
  const key = `${program.name}\u0000${env[VM_QEMU_DIR_ENV] ?? ''}\u0000${env.PATH ?? ''}`;
  let c = checks.get(key);
  if (!c) {
    c = runCheck(program, env);
    checks.set(key, c);
  }
  return c;
}

async function runCheck(program: QemuProgram, env: NodeJS.ProcessEnv): Promise<ProgramCheck> {
  const path = await findProgram(program.name, env);
  if (!path) return { ok: false, reason: `${program.name} is not installed (not found on PATH)` };
  return new Promise((resolve) => {
    execFile(path, ['--version'], { timeout: VERSION_TIMEOUT_MS, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) {
        const why = (stderr || err.message).trim().split('\n')[0];
        resolve({ ok: false, reason: `${path} does not run: ${why}` });
        return;
      }
      resolve({ ok: true, path, version: stdout.split('\n')[0]!.trim() });
    });
  });
}

/** The install hint for missing programs, always naming the builtin engine's alternative when there is one. */
export function installHint(programs: QemuProgram[], arch: Arch): string {
  const pkgs = [...new Set(programs.map((p) => p.debianPackage))].join(' ');
  const alt =
    arch === 'riscv64'
      ? '; or use `engine: builtin`, which needs no qemu'
      : '; the builtin engine runs riscv64 boxes only, so x86_64 boxes need qemu';
  return `install it: sudo apt-get install ${pkgs} (Debian/Ubuntu package${pkgs.includes(' ') ? 's' : ''} ${pkgs})${alt}`;
}
