#!/usr/bin/env bash
# Builds the tiny-x86_64 box from Debian bookworm's binary packages, compiling nothing: the kernel
# (vmlinuz and the few modules the box needs) from linux-image-*-amd64, busybox from busybox-static,
# the guest files from boxes/tiny/rootfs (the same init) plus this box's rootfs/ overlay, and the
# guest agent's x86_64 build from agent/build/x86_64 (made with `make -C agent x86_64` if missing).
#
# Usage (as root, on Debian bookworm): boxes/tiny-x86_64/build.sh [--work DIR] [STAGE...]
# Stages, in order (default: all): deps fetch images pack
#   deps    apt packages the build itself needs
#   fetch   apt-get download + dpkg-deb -x of the kernel and busybox-static into WORK
#   images  WORK/out/initrd.gz and WORK/out/root.img
#   pack    WORK/out/box.json, then box.json and tiny-x86_64.box here
# Why the generic kernel and not linux-image-*-cloud-amd64: the cloud kernel is built without 9p
# (# CONFIG_NET_9P is not set), so synced folders could not work; the generic one has them as modules
# and its vmlinuz is smaller (8 MB against 14 MB).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
TINY_ROOTFS=$REPO/boxes/tiny/rootfs
BOX_NAME=tiny-x86_64
BOX_VERSION=0.3.0
BOX_CMDLINE="console=ttyS0 quiet"
SOURCE_DATE_EPOCH=1735689600 # 2025-01-01: every file's mtime in the images and the archive
ROOT_DISK_SIZE=256M
ROOT_FS_LABEL=vm-root
ROOT_FS_UUID=8f2b6f0e-4c1d-4e7a-9b1e-7a3c5d2e1f60
# The kernel: the package linux-image-amd64 points at, unless KERNEL_PACKAGE names one.
KERNEL_PACKAGE=${KERNEL_PACKAGE:-}
# Modules the box loads at boot (with their dependencies, in order): virtio over PCI for q35, the
# devices vm attaches, ext4 for the root disk, 9p for synced folders, the ACPI power button.
MODULES=(virtio_pci virtio_blk virtio_net virtio_console virtio_rng 9pnet_virtio 9p ext4 button evdev)

WORK=/var/tmp/vm-tiny-x86_64-build
STAGES=()
while [ $# -gt 0 ]; do
	case "$1" in
		--work) WORK=$2; shift 2 ;;
		deps | fetch | images | pack) STAGES+=("$1"); shift ;;
		*) echo "usage: $0 [--work DIR] [deps|fetch|images|pack]..." >&2; exit 2 ;;
	esac
done
[ ${#STAGES[@]} -gt 0 ] || STAGES=(deps fetch images pack)
ARTIFACTS=$WORK/out
export SOURCE_DATE_EPOCH LC_ALL=C TZ=UTC

log() { echo "[$BOX_NAME] $*" >&2; }
die() { echo "[$BOX_NAME] error: $*" >&2; exit 1; }

stage_deps() {
	log "installing build dependencies"
	apt-get install -y --no-install-recommends cpio e2fsprogs kmod gzip tar dpkg >/dev/null
}

stage_fetch() {
	mkdir -p "$WORK/debs"
	local pkg=$KERNEL_PACKAGE
	if [ -z "$pkg" ]; then
		pkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
		[ -n "$pkg" ] || die "cannot tell which kernel linux-image-amd64 depends on (run apt-get update?)"
	fi
	log "downloading $pkg and busybox-static"
	rm -f "$WORK"/debs/*.deb
	(cd "$WORK/debs" && apt-get download "$pkg" busybox-static 2>&1 | grep -v '^W: Download is performed unsandboxed' >&2 || true)
	ls "$WORK"/debs/linux-image-*.deb >/dev/null 2>&1 || die "apt-get download $pkg failed"
	ls "$WORK"/debs/busybox-static_*.deb >/dev/null 2>&1 || die "apt-get download busybox-static failed"
	rm -rf "$WORK/kernel" "$WORK/busybox"
	dpkg-deb -x "$WORK"/debs/linux-image-*.deb "$WORK/kernel"
	dpkg-deb -x "$WORK"/debs/busybox-static_*.deb "$WORK/busybox"
	dpkg-deb -f "$WORK"/debs/linux-image-*.deb Package Version >"$WORK/kernel-package.txt"
	dpkg-deb -f "$WORK"/debs/busybox-static_*.deb Package Version >"$WORK/busybox-package.txt"
	log "kernel: $(tr '\n' ' ' <"$WORK/kernel-package.txt")"
}

kernel_release() {
	local v
	v=$(ls "$WORK/kernel/lib/modules")
	[ "$(echo "$v" | wc -l)" = 1 ] || die "expected one kernel release in $WORK/kernel/lib/modules, found: $v"
	echo "$v"
}

# Ordered, de-duplicated module paths (relative to lib/modules) that MODULES need.
module_list() {
	local release=$1
	depmod -b "$WORK/kernel" "$release"
	local m
	for m in "${MODULES[@]}"; do
		modprobe -d "$WORK/kernel" -S "$release" --show-depends "$m" ||
			die "module $m is not in this kernel"
	done | awk '$1 == "insmod" { print $2 }' | sed "s|^$WORK/kernel/lib/modules/||" | awk '!seen[$0]++'
}

agent_binary() {
	local bin=$REPO/agent/build/x86_64/vm-agent
	if [ ! -x "$bin" ] && [ -f "$REPO/agent/Makefile" ]; then
		log "building the guest agent for x86_64"
		make -C "$REPO/agent" x86_64 >&2
	fi
	[ -x "$bin" ] || die "no x86_64 guest agent at $bin"
	file -b "$bin" | grep -q 'x86-64.*statically linked' || die "$bin is not a static x86-64 binary: $(file -b "$bin")"
	echo "$bin"
}

# Fills DIR with busybox, the tiny init + this box's overlay, the agent; KIND is initramfs or disk.
make_tree() {
	local dir=$1 kind=$2 release=$3
	rm -rf "$dir"
	mkdir -p "$dir"/{bin,sbin,usr/bin,usr/sbin,lib/vm}
	cp "$WORK/busybox/bin/busybox" "$dir/bin/busybox"
	local applet
	# --list-full prints each applet's install path (usr/bin/awk, sbin/insmod, ...)
	"$WORK/busybox/bin/busybox" --list-full | while read -r applet; do
		[ "$applet" = bin/busybox ] || [ "$applet" = linuxrc ] && continue
		mkdir -p "$dir/$(dirname "$applet")"
		ln -sfn /bin/busybox "$dir/$applet"
	done
	(cd "$TINY_ROOTFS" && find . -type d) | while read -r d; do mkdir -p "$dir/$d"; done
	(cd "$TINY_ROOTFS" && find . -type f) | while read -r f; do cp "$TINY_ROOTFS/$f" "$dir/$f"; done
	mv "$dir/init" "$dir/lib/vm/tiny-init"
	(cd "$HERE/rootfs" && find . -type d) | while read -r d; do mkdir -p "$dir/$d"; done
	(cd "$HERE/rootfs" && find . -type f) | while read -r f; do rm -f "$dir/$f"; cp "$HERE/rootfs/$f" "$dir/$f"; done
	cp "$(agent_binary)" "$dir/usr/sbin/vm-agent"
	mkdir -p "$dir"/{proc,sys,dev,run,tmp,root,mnt,home,var/tmp,etc/vm}
	ln -sfn ../run/resolv.conf "$dir/etc/resolv.conf"
	ln -sfn ../proc/self/mounts "$dir/etc/mtab"
	ln -sfn ../init "$dir/sbin/init"
	if [ "$kind" = initramfs ]; then
		local mod
		module_list "$release" >"$WORK/modules.list"
		while read -r mod; do
			mkdir -p "$dir/lib/modules/$(dirname "$mod")"
			cp "$WORK/kernel/lib/modules/$mod" "$dir/lib/modules/$mod"
		done <"$WORK/modules.list"
		cp "$WORK/modules.list" "$dir/lib/modules/vm-modules.list"
	else
		printf '%s %s root disk\n' "$BOX_NAME" "$BOX_VERSION" >"$dir/etc/vm/root-disk"
	fi
	find "$dir" -type d -exec chmod 0755 {} +
	find "$dir" -type f -exec chmod 0644 {} +
	chmod 0755 "$dir/init" "$dir/lib/vm/tiny-init" "$dir/bin/busybox" "$dir/bin/mountpoint" \
		"$dir/usr/share/udhcpc/default.script" "$dir/usr/sbin/vm-agent" "$dir/etc/acpi/PWRF/00000080"
	chmod 1777 "$dir/tmp" "$dir/var/tmp"
	chmod 0700 "$dir/root"
	chmod 0600 "$dir/etc/shadow"
	chown -R -h 0:0 "$dir"
	find "$dir" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
}

stage_images() {
	[ -x "$WORK/busybox/bin/busybox" ] || die "no busybox in $WORK: run the fetch stage"
	[ "$(id -u)" = 0 ] || die "the images stage needs root so files in the images are owned by root"
	local release
	release=$(kernel_release)
	mkdir -p "$ARTIFACTS"
	cp "$WORK/kernel/boot/vmlinuz-$release" "$ARTIFACTS/vmlinuz"

	log "initramfs"
	local tree=$WORK/tree-initramfs
	make_tree "$tree" initramfs "$release"
	(cd "$tree" && find . -mindepth 1 -print0 | sort -z |
		cpio --null --create --format=newc --owner=0:0 --reproducible --quiet) |
		gzip -9 -n >"$ARTIFACTS/initrd.gz"

	log "root disk ($ROOT_DISK_SIZE ext4)"
	tree=$WORK/tree-disk
	make_tree "$tree" disk "$release"
	rm -f "$ARTIFACTS/root.img"
	E2FSPROGS_FAKE_TIME=$SOURCE_DATE_EPOCH mke2fs -q -F -t ext4 -T default -b 4096 -L "$ROOT_FS_LABEL" -U "$ROOT_FS_UUID" \
		-E "hash_seed=$ROOT_FS_UUID,root_owner=0:0" -m 0 -d "$tree" "$ARTIFACTS/root.img" "$ROOT_DISK_SIZE"
	# mke2fs -d copies each file's ctime, which no tool can set on the host: pin it afterwards
	(cd "$tree" && find . | sort | sed -e 's|^\.||' -e 's|^$|/|') |
		while read -r path; do echo "sif \"$path\" ctime @$SOURCE_DATE_EPOCH"; done >"$WORK/ctime.debugfs"
	E2FSPROGS_FAKE_TIME=$SOURCE_DATE_EPOCH debugfs -w -f "$WORK/ctime.debugfs" "$ARTIFACTS/root.img" \
		>/dev/null 2>"$WORK/debugfs.log" || die "debugfs failed: $(cat "$WORK/debugfs.log")"
	e2fsck -fn "$ARTIFACTS/root.img" >"$WORK/e2fsck.log" 2>&1 ||
		die "the root disk does not pass e2fsck: $(cat "$WORK/e2fsck.log")"
}

file_entry() {
	printf '    "%s": { "sha256": "%s", "size": %s }' "$1" \
		"$(sha256sum "$ARTIFACTS/$1" | cut -d' ' -f1)" "$(stat -c %s "$ARTIFACTS/$1")"
}

stage_pack() {
	local f
	for f in vmlinuz initrd.gz root.img; do
		[ -f "$ARTIFACTS/$f" ] || die "missing $ARTIFACTS/$f: run the images stage"
	done
	local kver bbver
	kver=$(awk '/^Version:/ { print $2 }' "$WORK/kernel-package.txt")
	bbver=$(awk '/^Version:/ { print $2 }' "$WORK/busybox-package.txt")
	log "box.json and $BOX_NAME.box"
	cat >"$ARTIFACTS/box.json" <<-EOF
		{
		  "name": "$BOX_NAME",
		  "version": "$BOX_VERSION",
		  "description": "Debian's Linux $kver (amd64, virtio/9p/ext4 modules in the initramfs) and busybox-static $bbver for x86_64; boots to a root shell on the serial console; qemu only",
		  "architecture": "x86_64",
		  "engines": ["qemu"],
		  "kernel": "vmlinuz",
		  "initrd": "initrd.gz",
		  "root_disk": { "path": "root.img", "format": "raw" },
		  "cmdline": "$BOX_CMDLINE",
		  "files": {
		$(file_entry vmlinuz),
		$(file_entry initrd.gz),
		$(file_entry root.img)
		  }
		}
	EOF
	cp "$ARTIFACTS/box.json" "$HERE/box.json"
	tar -C "$ARTIFACTS" --format=ustar --owner=0 --group=0 --numeric-owner --mode=0644 \
		--mtime="@0" --no-recursion -cf - box.json vmlinuz initrd.gz root.img |
		gzip -9 -n >"$HERE/$BOX_NAME.box.tmp"
	mv "$HERE/$BOX_NAME.box.tmp" "$HERE/$BOX_NAME.box"
	for f in vmlinuz initrd.gz root.img box.json; do
		printf '  %-10s %10s bytes  %s\n' "$f" "$(stat -c %s "$ARTIFACTS/$f")" \
			"$(sha256sum "$ARTIFACTS/$f" | cut -d' ' -f1)" >&2
	done
	printf '  %-10s %10s bytes  %s\n' "$BOX_NAME.box" "$(stat -c %s "$HERE/$BOX_NAME.box")" \
		"$(sha256sum "$HERE/$BOX_NAME.box" | cut -d' ' -f1)" >&2
}

for stage in "${STAGES[@]}"; do
	"stage_$stage"
done
