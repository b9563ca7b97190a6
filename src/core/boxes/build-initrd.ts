// vm's own initrd for distribution kernels whose storage drivers are modules (Debian builds
// virtio_blk, ext4 and friends as =m): a static busybox, the named modules with their dependencies
// (from the kernel's modules.dep, as modprobe reads it) decompressed, and an /init that loads them,
// waits for the root disk and switch_roots to it. Packed as a reproducible newc cpio, gzip'd.
import { execFile } from 'node:child_process';
import { chmod, copyFile, mkdir, readFile, readdir, stat, utimes, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { UserError } from '../errors.js';

const run = promisify(execFile);

/** `virtio-blk`, `virtio_blk.ko.xz` -> `virtio_blk`: how modprobe compares module names. */
export const moduleName = (fileOrName: string): string => basename(fileOrName).replace(/\.ko(\.(xz|zst|gz))?$/, '').replace(/-/g, '_');

export interface ModuleFile {
  name: string;
  /** Path relative to /lib/modules/VERSION, as modules.dep writes it. */
  path: string;
}

/**
 * The modules to load, in order: each wanted module after everything it depends on (modules.dep
 * lists a module's dependencies; modprobe loads them first), each once. Unknown names are an error
 * naming them: a module built into the kernel does not appear in modules.dep either, so the message
 * says to check `modules.builtin`.
 */
export function moduleLoadOrder(modulesDep: string, wanted: string[], builtin = ''): ModuleFile[] {
  const deps = new Map<string, { path: string; deps: string[] }>();
  for (const line of modulesDep.split('\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const path = line.slice(0, colon).trim();
    const needs = line.slice(colon + 1).trim().split(/\s+/).filter(Boolean);
    deps.set(moduleName(path), { path, deps: needs.map(moduleName) });
  }
  const builtIn = new Set(builtin.split('\n').filter(Boolean).map(moduleName));
  const order: ModuleFile[] = [];
  const done = new Set<string>();
  const unknown: string[] = [];
  const visit = (name: string, chain: string[]): void => {
    if (done.has(name)) return;
    if (chain.includes(name)) throw new UserError(`modules.dep has a dependency cycle: ${[...chain, name].join(' -> ')}`);
    const entry = deps.get(name);
    if (!entry) {
      if (!builtIn.has(name)) unknown.push(name);
      return;
    }
    // modules.dep lists the deepest dependency last: load from the end, as modprobe does.
    for (const d of [...entry.deps].reverse()) visit(d, [...chain, name]);
    done.add(name);
    order.push({ name, path: entry.path });
  };
  for (const w of wanted) visit(moduleName(w), []);
  if (unknown.length > 0) {
    throw new UserError(`the kernel has no module named ${unknown.map((u) => `'${u}'`).join(', ')} (initrd.modules in the recipe)`, {
      hint: 'module names are those in the kernel package\'s modules.dep; a driver built into the kernel needs no entry',
    });
  }
  return order;
}

/** /init of the initrd. Reads root=, rootfstype=, init=, ro/rw from the kernel command line. */
export function initScript(): string {
  return `#!/bin/busybox sh
# vm's initrd (written by vm box build): load the modules the root disk needs, in order, wait for
# the disk, mount it and hand over to its init. A failure says why and leaves a shell on the console.
/bin/busybox mkdir -p /proc /sys /dev /newroot
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
root=/dev/vda
fstype=ext4
mode=rw
init=/sbin/init
for p in $(cat /proc/cmdline); do
	case "$p" in
		root=*) root="\${p#root=}" ;;
		rootfstype=*) fstype="\${p#rootfstype=}" ;;
		init=*) init="\${p#init=}" ;;
		ro) mode=ro ;;
		rw) mode=rw ;;
	esac
done
fail() {
	echo "initrd: $*" >/dev/console
	exec sh </dev/console >/dev/console 2>&1
}
while read -r m; do
	insmod "/lib/modules/$m" || echo "initrd: could not load $m" >/dev/console
done </etc/initrd-modules
i=0
while [ ! -b "$root" ]; do
	i=$((i + 1))
	[ $i -gt 300 ] && fail "no root disk $root after 30 s"
	sleep 0.1
done
mount -t "$fstype" -o "$mode" "$root" /newroot || fail "cannot mount $root ($fstype, $mode)"
[ -x "/newroot$init" ] || [ -L "/newroot$init" ] || fail "$root has no $init"
umount /sys
umount /proc
mount --move /dev /newroot/dev
exec switch_root /newroot "$init"
`;
}

/**
 * Builds the initrd from the image's module tree (`modulesDir` = ROOT/usr/lib/modules/VERSION) and a
 * static busybox binary; writes `out` (gzip'd newc cpio). Every file gets mtime `epoch` and the cpio
 * is written in name order with `--reproducible`, so the same inputs give the same bytes.
 */
export async function buildInitrd(opts: { modulesDir: string; modules: string[]; busybox: string; workDir: string; out: string; epoch: number }): Promise<ModuleFile[]> {
  const depText = await readFile(join(opts.modulesDir, 'modules.dep'), 'utf8').catch(() => {
    throw new UserError(`${join(opts.modulesDir, 'modules.dep')} is missing: the kernel package installed no module index`);
  });
  const builtin = await readFile(join(opts.modulesDir, 'modules.builtin'), 'utf8').catch(() => '');
  const order = moduleLoadOrder(depText, opts.modules, builtin);
  const tree = join(opts.workDir, 'initrd');
  for (const d of ['bin', 'etc', 'lib/modules']) await mkdir(join(tree, d), { recursive: true });
  await copyFile(opts.busybox, join(tree, 'bin', 'busybox'));
  await chmod(join(tree, 'bin', 'busybox'), 0o755);
  const names: string[] = [];
  for (const m of order) {
    const src = join(opts.modulesDir, m.path);
    const dest = join(tree, 'lib', 'modules', `${m.name}.ko`);
    if (src.endsWith('.xz')) {
      const { stdout } = await run('xz', ['-dc', src], { encoding: 'buffer', maxBuffer: 256 << 20 });
      await writeFile(dest, stdout);
    } else if (src.endsWith('.ko')) await copyFile(src, dest);
    else throw new UserError(`${src}: vm's initrd reads plain and xz-compressed modules only`);
    names.push(`${m.name}.ko`);
  }
  await writeFile(join(tree, 'etc', 'initrd-modules'), names.map((n) => `${n}\n`).join(''));
  await writeFile(join(tree, 'init'), initScript(), { mode: 0o755 });
  await chmod(join(tree, 'init'), 0o755);
  const entries = (await walk(tree)).sort();
  for (const e of entries) await utimes(join(tree, e), opts.epoch, opts.epoch);
  await utimes(tree, opts.epoch, opts.epoch);
  const cpio = await new Promise<Buffer>((resolve, reject) => {
    const child = execFile('cpio', ['--quiet', '--reproducible', '-o', '-H', 'newc', '-R', '0:0'], { cwd: tree, encoding: 'buffer', maxBuffer: 512 << 20 }, (err, stdout) =>
      err ? reject(err) : resolve(stdout),
    );
    child.stdin!.end(['.', ...entries].join('\n') + '\n');
  });
  // zlib's gzip header carries no name and a zero mtime.
  await writeFile(opts.out, gzipSync(cpio, { level: 9 }));
  return order;
}

/** Every path under `dir`, relative, folders before their contents. */
async function walk(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const name of (await readdir(join(dir, prefix))).sort()) {
    const rel = prefix === '' ? name : `${prefix}/${name}`;
    out.push(rel);
    if ((await stat(join(dir, rel))).isDirectory()) out.push(...(await walk(dir, rel)));
  }
  return out;
}
