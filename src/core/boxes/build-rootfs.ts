// The root file system: mmdebstrap's argv for a recipe (pure, testable) and the hook script that
// copies files in, runs the recipe's commands, writes the package manifest and clamps timestamps.
// mmdebstrap runs the hooks with /proc, /sys and /dev set up and taken down around them.
import type { BoxRecipe } from './recipe.js';

/** Where the build keeps things beside the tree, under its work folder. */
export interface RootfsPaths {
  /** The tree mmdebstrap writes (directory format). */
  root: string;
  /** The customize hook script. */
  hook: string;
  /** The downloaded-package cache, synced in and out (apt checks each .deb against the index). */
  cache: string;
  /** Written by the hook: Package\tVersion\tArchitecture per line. */
  manifest: string;
  /** Folder the hook drops busybox-static's .deb into (for the initrd). */
  extras: string;
  /** The guest agent binary built for the architecture, or undefined. */
  agent?: string;
}

/** A box name as a hostname label: `debian_13.x` -> `debian-13-x`. */
export const hostnameFor = (name: string): string => name.toLowerCase().replace(/[^a-z0-9-]/g, '-').replace(/^-+|-+$/g, '').slice(0, 63) || 'localhost';

/** 'a b' -> `'a b'`; quotes a word for /bin/sh. */
export const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** The host's dpkg-divert acting on the image: works for every variant, needs nothing inside. */
const DIVERT = 'dpkg-divert --root="$1" --quiet --local --rename';

/** Debian's name for each box architecture (dpkg --print-architecture): mmdebstrap's --arch, the archive's Architectures. */
export const DEBIAN_ARCH: Record<BoxRecipe['architecture'], string> = { riscv64: 'riscv64', x86_64: 'amd64' };

/** mmdebstrap's argv (without the program). `--verbose` makes apt's `Get:` lines visible for counting. */
export function mmdebstrapArgs(recipe: BoxRecipe, paths: RootfsPaths): string[] {
  // extract runs no hooks after unpacking (nothing to chroot into), so the initrd's busybox comes
  // from the tree itself there; other variants fetch it without installing it.
  const extra = recipe.base.variant === 'extract' && recipe.initrd ? ['busybox-static'] : [];
  const include = [...new Set([recipe.kernel.package, ...recipe.packages, ...extra])].sort();
  return [
    '--verbose',
    '--mode=root',
    '--format=directory',
    `--arch=${DEBIAN_ARCH[recipe.architecture]}`,
    `--variant=${recipe.base.variant}`,
    `--components=${recipe.base.components.join(',')}`,
    `--include=${include.join(',')}`,
    // Keep the downloaded .debs for sync-out (mmdebstrap empties the cache by default).
    '--skip=download/empty',
    '--setup-hook=mkdir -p "$1"/var/cache/apt/archives',
    `--setup-hook=sync-in ${paths.cache} /var/cache/apt/archives/`,
    // The box's initrd is vm's own: Debian's initramfs-tools would spend minutes under qemu-user
    // building one nobody boots. Diverted before the kernel package is configured (extract runs
    // no maintainer scripts at all).
    ...(recipe.base.variant === 'extract' ? [] : [`--essential-hook=${DIVERT} --add /usr/sbin/update-initramfs && ln -s /bin/true "$1"/usr/sbin/update-initramfs`]),
    `--customize-hook=sync-out /var/cache/apt/archives ${paths.cache}`,
    // extract: the build runs the hook itself once mmdebstrap is done.
    ...(recipe.base.variant === 'extract' ? [] : [`--customize-hook=sh ${shellQuote(paths.hook)} "$1"`]),
    recipe.base.suite,
    paths.root,
    recipe.base.mirror,
  ];
}

/**
 * The customize hook, run by mmdebstrap as `sh HOOK ROOT` on the host (by the build itself after
 * mmdebstrap for variant extract, which has no hooks after unpacking and no commands): files, agent, commands (in
 * the chroot), cleanup of what differs between builds, the package manifest. Timestamps are clamped
 * by clampTimes once mmdebstrap is done (its own cleanup, after the hooks, touches folders).
 */
export function customizeScript(recipe: BoxRecipe, paths: RootfsPaths): string {
  const q = shellQuote;
  const lines = [
    '#!/bin/sh',
    '# Written by vm box build; run by mmdebstrap as a customize hook with the image root as $1.',
    'set -eu',
    'ROOT="$1"',
    'echo "vm-build: configure"',
  ];
  for (const f of recipe.files) {
    lines.push(`install -D -o 0 -g 0 -m ${f.mode.toString(8).padStart(4, '0')} -- ${q(f.source)} "$ROOT"${q(f.destination)}`);
  }
  if (paths.agent) lines.push(`install -D -o 0 -g 0 -m 0755 -- ${q(paths.agent)} "$ROOT/usr/sbin/vm-agent"`);
  for (const c of recipe.commands) {
    lines.push(`echo ${q(`vm-build: run ${c}`)}`);
    lines.push(`chroot "$ROOT" /bin/sh -c ${q(c)}`);
  }
  if (recipe.initrd && recipe.base.variant !== 'extract') {
    // busybox-static for the initrd, fetched by the host's apt with mmdebstrap's configuration
    // (the image's architecture and archive state), whatever the variant.
    lines.push(`mkdir -p ${q(paths.extras)}`);
    lines.push(`(cd ${q(paths.extras)} && APT_CONFIG="\${MMDEBSTRAP_APT_CONFIG:-\${APT_CONFIG:-}}" apt-get download -q busybox-static)`);
  }
  if (recipe.base.variant !== 'extract') {
    // The initramfs-tools diversion was for the build only.
    lines.push('rm -f "$ROOT/usr/sbin/update-initramfs"', `${DIVERT.replace('"$1"', '"$ROOT"')} --remove /usr/sbin/update-initramfs`);
  }
  lines.push(
    `dpkg-query --admindir="$ROOT/var/lib/dpkg" -W -f '\${Package}\\t\${Version}\\t\${Architecture}\\n' | LC_ALL=C sort > ${q(paths.manifest)}`,
    // What differs between two builds of one recipe, or must differ between machines: host keys
    // (each machine makes its own on first boot), machine-id (systemd makes one on first boot),
    // logs and caches written while configuring.
    'rm -f "$ROOT"/etc/ssh/ssh_host_*_key "$ROOT"/etc/ssh/ssh_host_*_key.pub',
    // mmdebstrap copies the build host's /etc/hostname and /etc/resolv.conf in (debootstrap did):
    // the box gets its own name, and a resolv.conf only as a link its resolver package made.
    `echo ${q(hostnameFor(recipe.name))} > "$ROOT/etc/hostname"`,
    '[ -L "$ROOT/etc/resolv.conf" ] || rm -f "$ROOT/etc/resolv.conf"',
    ': > "$ROOT/etc/machine-id"',
    'rm -f "$ROOT/var/lib/dbus/machine-id" "$ROOT/var/lib/systemd/random-seed" "$ROOT/var/cache/ldconfig/aux-cache"',
    'rm -f "$ROOT"/var/cache/debconf/*-old "$ROOT"/var/lib/dpkg/*-old "$ROOT"/var/log/apt/eipp.log.xz',
    // apt's binary caches differ between two builds of one archive state; apt remakes them when missing.
    'rm -f "$ROOT"/var/cache/apt/pkgcache.bin "$ROOT"/var/cache/apt/srcpkgcache.bin',
    'find "$ROOT/var/log" -type f -exec truncate -s 0 {} +',
    'rm -rf "$ROOT"/tmp/* "$ROOT"/var/tmp/*',
    // Kept for sync-out (--skip=download/empty; extract has no hook for it: copied here), not part of the image.
    ...(recipe.base.variant === 'extract' ? [`find "$ROOT/var/cache/apt/archives" -maxdepth 1 -name '*.deb' -exec cp -n -t ${q(paths.cache)} {} +`] : []),
    'rm -f "$ROOT"/var/cache/apt/archives/*.deb',
    'echo "vm-build: configured"',
  );
  return `${lines.join('\n')}\n`;
}

/** `Package\tVersion\tArchitecture` lines -> { package: "version" } (arch-qualified when not native). */
export function parsePackageManifest(text: string, arch: BoxRecipe['architecture']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const [pkg, version, a] = line.split('\t');
    if (!pkg || !version) continue;
    const key = a && a !== 'all' && a !== DEBIAN_ARCH[arch] ? `${pkg}:${a}` : pkg;
    out[key] = version;
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** argv of `find` setting every mtime newer than `epoch` to it (links themselves, not their targets). */
export function clampTimesArgs(root: string, epoch: number): string[] {
  return [root, '-xdev', '-newermt', `@${epoch}`, '-exec', 'touch', '--no-dereference', `--date=@${epoch}`, '{}', '+'];
}
