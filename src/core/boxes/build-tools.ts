// The host programs `vm box build` runs, each with the Debian package that provides it, checked all
// at once before any work starts; and the binfmt_misc entry a foreign architecture configures through.
import { accessSync, constants, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { Arch } from '../../model/machine-config.js';
import { UserError } from '../errors.js';
import type { BoxRecipe } from './recipe.js';

export interface HostTool {
  program: string;
  /** The apt package that installs it. */
  aptPackage: string;
  why: string;
}

/** The C compiler for the guest agent, per guest architecture (Debian's cross compilers). */
export const AGENT_COMPILERS: Record<Arch, HostTool> = {
  riscv64: { program: 'riscv64-linux-gnu-gcc', aptPackage: 'gcc-riscv64-linux-gnu libc6-dev-riscv64-cross', why: "builds vm's guest agent" },
  x86_64: { program: 'x86_64-linux-gnu-gcc', aptPackage: 'gcc-x86-64-linux-gnu libc6-dev-amd64-cross', why: "builds vm's guest agent" },
};

/** qemu-user's name for an architecture (binfmt entry qemu-NAME, static binary qemu-NAME-static). */
const QEMU_USER_ARCH: Record<Arch, string> = { riscv64: 'riscv64', x86_64: 'x86_64' };

/** The host's architecture in the same words as a box's. */
export function hostArch(): Arch | undefined {
  return process.arch === 'x64' ? 'x86_64' : process.arch === 'riscv64' ? 'riscv64' : undefined;
}

/** Every program a build of `recipe` runs. */
export function requiredTools(recipe: Pick<BoxRecipe, 'architecture' | 'agent' | 'initrd'>): HostTool[] {
  const tools: HostTool[] = [
    { program: 'mmdebstrap', aptPackage: 'mmdebstrap', why: 'creates the root file system from the Debian archive' },
    { program: 'mkfs.ext4', aptPackage: 'e2fsprogs', why: 'makes the root disk image' },
    { program: 'debugfs', aptPackage: 'e2fsprogs', why: 'sets the image timestamps to SOURCE_DATE_EPOCH' },
    { program: 'setpriv', aptPackage: 'util-linux', why: 'stops mmdebstrap when vm is killed' },
  ];
  if (recipe.initrd) {
    tools.push({ program: 'cpio', aptPackage: 'cpio', why: 'packs the initrd' });
    tools.push({ program: 'xz', aptPackage: 'xz-utils', why: "unpacks the kernel's compressed modules for the initrd" });
    tools.push({ program: 'depmod', aptPackage: 'kmod', why: 'indexes the modules when the image did not (variant extract)' });
    tools.push({ program: 'apt-get', aptPackage: 'apt', why: 'fetches busybox-static for the initrd' });
    tools.push({ program: 'dpkg-deb', aptPackage: 'dpkg', why: 'unpacks busybox-static for the initrd' });
  }
  if (recipe.agent) tools.push({ program: 'make', aptPackage: 'make', why: "builds vm's guest agent (agent/Makefile)" });
  if (recipe.agent) tools.push(hostArch() === recipe.architecture ? { program: 'cc', aptPackage: 'gcc libc6-dev', why: "builds vm's guest agent" } : AGENT_COMPILERS[recipe.architecture]);
  if (hostArch() !== recipe.architecture) {
    tools.push({ program: `qemu-${QEMU_USER_ARCH[recipe.architecture]}-static`, aptPackage: 'qemu-user-static', why: `runs ${recipe.architecture} maintainer scripts and recipe commands` });
    // mmdebstrap refuses a foreign architecture without it, and says so only after its set-up.
    tools.push({ program: 'arch-test', aptPackage: 'arch-test', why: `lets mmdebstrap check that ${recipe.architecture} programs run` });
  }
  return tools;
}

/** Absolute path of `program` on PATH, or undefined. */
export function which(program: string, path = process.env.PATH ?? ''): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, program);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * Throws one UserError naming every missing program with its package (one `apt-get install` line),
 * and, for a foreign architecture, a binfmt_misc entry that is missing or disabled.
 */
export function checkHostTools(
  recipe: Pick<BoxRecipe, 'architecture' | 'agent' | 'initrd'>,
  opts: { path?: string; binfmtDir?: string; isRoot?: boolean } = {},
): void {
  const problems: string[] = [];
  const hints: string[] = [];
  const missing = requiredTools(recipe).filter((t) => which(t.program, opts.path) === undefined && !(t.program === 'cc' && which('gcc', opts.path)));
  // Debian puts mkfs.ext4, debugfs and depmod in /sbin, which a user's PATH may lack.
  const sbinPath = `${opts.path ?? process.env.PATH ?? ''}${delimiter}/usr/sbin${delimiter}/sbin`;
  const reallyMissing = missing.filter((t) => !/^(mkfs\.ext4|debugfs|depmod)$/.test(t.program) || which(t.program, sbinPath) === undefined);
  if (reallyMissing.length > 0) {
    problems.push(`missing host programs: ${reallyMissing.map((t) => `${t.program} (${t.why}; package ${t.aptPackage})`).join(', ')}`);
    const pkgs = [...new Set(reallyMissing.flatMap((t) => t.aptPackage.split(' ')))];
    hints.push(`sudo apt-get install ${pkgs.join(' ')}`);
  }
  if (hostArch() !== recipe.architecture) {
    const entry = join(opts.binfmtDir ?? '/proc/sys/fs/binfmt_misc', `qemu-${QEMU_USER_ARCH[recipe.architecture]}`);
    let state: string | undefined;
    try {
      state = readFileSync(entry, 'utf8').split('\n')[0];
    } catch {
      state = undefined;
    }
    if (state !== 'enabled') {
      problems.push(`${recipe.architecture} programs cannot run on this host: binfmt_misc has no enabled entry ${entry}`);
      hints.push(`sudo mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc; sudo update-binfmts --enable qemu-${QEMU_USER_ARCH[recipe.architecture]}`);
    }
  }
  if ((opts.isRoot ?? process.getuid?.() === 0) === false) {
    // mmdebstrap's root mode: the image's files must be owned by their real owners, which
    // mkfs.ext4 -d copies from the tree it reads.
    problems.push('vm box build runs mmdebstrap in root mode (the image records each file\'s real owner), so it needs root');
    hints.push('run it with sudo, with VM_HOME pointing at your store (sudo -E VM_HOME=$HOME/.local/share/vm vm box build DIR)');
  }
  if (problems.length > 0) throw new UserError(`cannot build the box: ${problems.join('; ')}`, { hint: hints.join('; then ') });
}
