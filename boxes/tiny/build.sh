#!/bin/bash
# Builds the tiny box (riscv64) from Debian bookworm packages only: Linux 6.1 `Image`, a static
# busybox 1.35 userland, a static dropbear 2022.83 SSH server, a static rsync 3.2.7, vm's guest agent
# (../../agent), the initramfs, an ext4 root disk, box.json and the tiny.box archive.
# Reproducible: the same inputs give byte-identical artifacts (fixed timestamps, ids, ordering).
#
# Usage (as root on Debian bookworm):
#   boxes/tiny/build.sh [--work DIR] [--out DIR] [--jobs N] [--no-deps] [STAGE...]
# Stages, in order (default: all): deps sources kernel busybox dropbear rsync agent images pack
#   deps     apt packages and the deb-src entry busybox's, dropbear's and rsync's sources need
#   sources  unpack linux-source-6.1, `apt-get source busybox dropbear rsync` into WORK (kept if present)
#   kernel   tinyconfig + kernel.config -> WORK/out/Image; fails if an option did not stick
#   busybox  defconfig + busybox.config -> static busybox; fails if an applet is missing
#   dropbear dropbear-options.h -> WORK/dropbear/dropbearmulti (static: dropbear, dropbearkey, scp)
#   rsync    WORK/rsync/rsync (static, its bundled zlib and popt)
#   agent    ../../agent with the cross compiler -> WORK/agent/vm-agent (static)
#   images   WORK/out/initrd.gz and WORK/out/root.img from rootfs/ + busybox
#   pack     WORK/out/box.json, then OUT/box.json and OUT/tiny.box (deterministic tar.gz)
# --work defaults to /var/tmp/vm-tiny-build, --out to this script's folder.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
WORK=/var/tmp/vm-tiny-build
OUT=$HERE
JOBS=$(nproc)
DO_DEPS=1
STAGES=()

BOX_NAME=tiny
BOX_VERSION=0.4.1
BOX_CMDLINE="console=ttyS0 earlycon=sbi quiet"
ROOT_DISK_SIZE=256M
# Fixed identity for everything time- or id-stamped. It is also the kernel's build timestamp:
# keeping it when only the userland changes (as in 0.2.0) keeps the kernel byte-identical.
export SOURCE_DATE_EPOCH=1735689600 # 2025-01-01T00:00:00Z
ROOT_FS_UUID=6c9ad0a4-7b0e-4b59-9d35-2d0a3f2b7e11
ROOT_FS_LABEL=vm-root
export LC_ALL=C TZ=UTC

APT_PACKAGES=(linux-source-6.1 gcc-riscv64-linux-gnu libc6-dev-riscv64-cross bc flex bison
	libssl-dev libelf-dev cpio e2fsprogs xz-utils bzip2 make dpkg-dev file gzip tar autoconf)
# Applets the init, the udhcpc script and the box's documented tools rely on.
BUSYBOX_APPLETS=(ASH CTTYHACK SETSID MOUNT UMOUNT MOUNTPOINT SWITCH_ROOT HOSTNAME IP UDHCPC AWK
	SLEEP KILL POWEROFF REBOOT HALT HTTPD WGET SHA256SUM NC TAR GZIP VI PS DD)

die() { echo "build.sh: $*" >&2; exit 1; }
log() { echo "==> $*" >&2; }

while [ $# -gt 0 ]; do
	case "$1" in
		--work) WORK=$2; shift 2 ;;
		--out) OUT=$2; shift 2 ;;
		--jobs) JOBS=$2; shift 2 ;;
		--no-deps) DO_DEPS=0; shift ;;
		-h | --help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
		deps | sources | kernel | busybox | dropbear | rsync | agent | images | pack) STAGES+=("$1"); shift ;;
		*) die "unknown argument '$1' (try --help)" ;;
	esac
done
[ ${#STAGES[@]} -gt 0 ] || STAGES=(deps sources kernel busybox dropbear rsync agent images pack)
[ "$DO_DEPS" = 1 ] || STAGES=("${STAGES[@]/deps/}")

KSRC=$WORK/linux-source-6.1
BBSRC=$WORK/busybox
DBSRC=$WORK/dropbear-src/source
DB_OUT=$WORK/dropbear
RSSRC=$WORK/rsync-src/source
RS_OUT=$WORK/rsync
ARTIFACTS=$WORK/out
AGENT_SRC=$(cd "$HERE/../../agent" && pwd)
AGENT_OUT=$WORK/agent
CROSS=riscv64-linux-gnu-

# ---------------------------------------------------------------------------------------------
stage_deps() {
	[ "$(id -u)" = 0 ] || die "the deps stage installs apt packages: run as root (or pass --no-deps)"
	local src=/etc/apt/sources.list.d/bookworm-src.sources
	if ! grep -rqs '^Types:.*deb-src' /etc/apt/sources.list.d/ /etc/apt/sources.list; then
		log "adding the deb-src entry for bookworm ($src)"
		cat >"$src" <<-'EOF'
			Types: deb-src
			URIs: http://deb.debian.org/debian
			Suites: bookworm
			Components: main
			Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
		EOF
		apt-get update -qq
	fi
	local missing=()
	for pkg in "${APT_PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed' || missing+=("$pkg")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		log "installing ${missing[*]}"
		apt-get install -y --no-install-recommends "${missing[@]}"
	fi
}

stage_sources() {
	mkdir -p "$WORK"
	if [ ! -d "$KSRC" ]; then
		log "unpacking /usr/src/linux-source-6.1.tar.xz"
		tar -C "$WORK" -xf /usr/src/linux-source-6.1.tar.xz
	fi
	if [ ! -d "$BBSRC" ]; then
		log "fetching busybox's Debian source package"
		mkdir -p "$WORK/busybox-src"
		(cd "$WORK/busybox-src" && apt-get source --download-only busybox)
		local dsc
		dsc=$(ls "$WORK"/busybox-src/busybox_1.35.0-*.dsc | head -n 1)
		[ -n "$dsc" ] || die "apt-get source busybox gave no busybox_1.35.0 .dsc"
		dpkg-source -x "$dsc" "$BBSRC" >/dev/null
	fi
	if [ ! -d "$DBSRC" ]; then
		log "fetching dropbear's Debian source package"
		mkdir -p "$WORK/dropbear-src"
		(cd "$WORK/dropbear-src" && apt-get source --download-only dropbear)
		local dsc
		dsc=$(ls "$WORK"/dropbear-src/dropbear_2022.83-*.dsc | head -n 1)
		[ -n "$dsc" ] || die "apt-get source dropbear gave no dropbear_2022.83 .dsc"
		dpkg-source -x "$dsc" "$DBSRC" >/dev/null
	fi
	if [ ! -d "$RSSRC" ]; then
		log "fetching rsync's Debian source package"
		mkdir -p "$WORK/rsync-src"
		(cd "$WORK/rsync-src" && apt-get source --download-only rsync)
		local dsc
		dsc=$(ls "$WORK"/rsync-src/rsync_3.2.7-*.dsc | head -n 1)
		[ -n "$dsc" ] || die "apt-get source rsync gave no rsync_3.2.7 .dsc"
		dpkg-source -x "$dsc" "$RSSRC" >/dev/null
	fi
}

# Fails listing every line of FRAGMENT (`CONFIG_X=v` or `# CONFIG_X is not set`) that the final
# CONFIG does not have: Kconfig silently drops options whose dependencies are off.
check_config() {
	local fragment=$1 config=$2 bad=0 line sym
	while IFS= read -r line; do
		case "$line" in
			CONFIG_*=*)
				if ! grep -qxF -- "$line" "$config"; then
					echo "  wanted $line, got: $(grep -E "^(# )?${line%%=*}[= ]" "$config" || echo unset)" >&2
					bad=1
				fi
				;;
			"# CONFIG_"*" is not set")
				sym=${line#\# }
				sym=${sym%% *}
				if grep -q "^$sym=" "$config"; then
					echo "  wanted $sym off, got: $(grep "^$sym=" "$config")" >&2
					bad=1
				fi
				;;
		esac
	done <"$fragment"
	return $bad
}

stage_kernel() {
	[ -d "$KSRC" ] || die "no kernel source in $KSRC: run the sources stage"
	log "configuring Linux (tinyconfig + kernel.config)"
	local kmake=(make -C "$KSRC" ARCH=riscv CROSS_COMPILE=$CROSS -j"$JOBS")
	"${kmake[@]}" -s tinyconfig
	# -n: options neither tinyconfig nor the fragment name stay off (alldefconfig would turn on
	# every newly visible default-y option, e.g. IPv6 and the VT layer)
	# CROSS_COMPILE matters here too: options such as RISCV_ISA_ZICBOM depend on what the
	# compiler supports, and a config made with the host gcc gains them at build time
	(cd "$KSRC" && ARCH=riscv CROSS_COMPILE=$CROSS scripts/kconfig/merge_config.sh -n .config \
		"$HERE/kernel.config" >"$WORK/merge_config.log" 2>&1) ||
		die "merge_config.sh failed: $(cat "$WORK/merge_config.log")"
	check_config "$HERE/kernel.config" "$KSRC/.config" ||
		die "kernel.config options missing from the final .config (see above)"
	local new
	new=$("${kmake[@]}" -s listnewconfig)
	[ -z "$new" ] || die "the kernel config is incomplete, the build would ask about: $new"
	grep -q '^CONFIG_MODULES=y' "$KSRC/.config" && die "modules must be off"
	log "building Linux Image (3 to 5 min on 2 cores)"
	local start=$SECONDS
	KBUILD_BUILD_TIMESTAMP="$(date -u -d "@$SOURCE_DATE_EPOCH")" KBUILD_BUILD_USER=vm \
		KBUILD_BUILD_HOST=vm-box KBUILD_BUILD_VERSION=1 "${kmake[@]}" Image
	mkdir -p "$ARTIFACTS"
	cp "$KSRC/arch/riscv/boot/Image" "$ARTIFACTS/Image"
	cp "$KSRC/.config" "$ARTIFACTS/kernel.config.full"
	log "kernel built in $((SECONDS - start)) s: $(stat -c %s "$ARTIFACTS/Image") bytes"
}

stage_busybox() {
	[ -d "$BBSRC" ] || die "no busybox source in $BBSRC: run the sources stage"
	log "configuring busybox (defconfig + busybox.config)"
	local bbmake=(make -C "$BBSRC" CROSS_COMPILE=$CROSS -j"$JOBS")
	"${bbmake[@]}" -s defconfig
	# busybox's Kconfig has no merge script: drop the fragment's symbols, append the fragment,
	# and let oldconfig settle the dependencies
	local syms
	syms=$(grep -oE 'CONFIG_[A-Z0-9_]+' "$HERE/busybox.config" | sort -u | paste -sd'|')
	grep -vE "^(# )?($syms)[= ]" "$BBSRC/.config" >"$BBSRC/.config.new" || true
	grep -E '^(CONFIG_|# CONFIG_)' "$HERE/busybox.config" >>"$BBSRC/.config.new"
	mv "$BBSRC/.config.new" "$BBSRC/.config"
	# `yes` dies of SIGPIPE when oldconfig is done; that is not a failure
	{ yes '' || true; } | "${bbmake[@]}" -s oldconfig >"$WORK/busybox-oldconfig.log" 2>&1
	check_config "$HERE/busybox.config" "$BBSRC/.config" ||
		die "busybox.config options missing from the final .config (see above)"
	local applet missing=()
	for applet in "${BUSYBOX_APPLETS[@]}"; do
		grep -qx "CONFIG_$applet=y" "$BBSRC/.config" || missing+=("$applet")
	done
	[ ${#missing[@]} -eq 0 ] || die "busybox applets missing from .config: ${missing[*]}"
	log "building busybox (about 1 min on 2 cores)"
	local start=$SECONDS
	"${bbmake[@]}" busybox
	rm -rf "$WORK/busybox-install"
	"${bbmake[@]}" -s CONFIG_PREFIX="$WORK/busybox-install" install >/dev/null
	file -b "$BBSRC/busybox" | grep -q 'RISC-V.*statically linked' ||
		die "busybox is not a static RISC-V binary: $(file -b "$BBSRC/busybox")"
	log "busybox built in $((SECONDS - start)) s: $(stat -c %s "$BBSRC/busybox") bytes"
}

# Dropbear from Debian's source (its patches applied), with its bundled libtomcrypt/libtommath (no
# riscv64 libtom packages to link with), as one static multi-call binary. Built in a fresh copy of
# the source each time: configure's results and the objects never leak from an earlier build.
# glibc's static getpwnam reads /etc/passwd itself (nss_files is part of libc since glibc 2.34), so
# the busybox userland needs no NSS modules.
stage_dropbear() {
	[ -d "$DBSRC" ] || die "no dropbear source in $DBSRC: run the sources stage"
	local build=$WORK/dropbear-build
	rm -rf "$build"
	cp -a "$DBSRC" "$build"
	cp "$HERE/dropbear-options.h" "$build/localoptions.h"
	log "configuring dropbear"
	(cd "$build" && ./configure --host=riscv64-linux-gnu --enable-static --disable-harden --disable-zlib \
		--enable-bundled-libtom --disable-pam --disable-lastlog --disable-utmp --disable-utmpx \
		--disable-wtmp --disable-wtmpx --disable-loginfunc --disable-pututline --disable-pututxline \
		CFLAGS="-Os -g0 -ffunction-sections -fdata-sections -ffile-prefix-map=$build=. -fno-ident" \
		LDFLAGS="-s -Wl,--gc-sections -Wl,--build-id=sha1" >"$WORK/dropbear-configure.log" 2>&1) ||
		die "dropbear's configure failed: see $WORK/dropbear-configure.log"
	log "building dropbear (1 to 4 min on 2 cores)"
	local start=$SECONDS
	make -C "$build" -j"$JOBS" PROGRAMS="dropbear dropbearkey scp" MULTI=1 STATIC=1 \
		>"$WORK/dropbear-make.log" 2>&1 || die "dropbear's build failed: see $WORK/dropbear-make.log"
	file -b "$build/dropbearmulti" | grep -q 'RISC-V.*statically linked' ||
		die "dropbearmulti is not a static RISC-V binary: $(file -b "$build/dropbearmulti")"
	mkdir -p "$DB_OUT"
	cp "$build/dropbearmulti" "$DB_OUT/dropbearmulti"
	log "dropbear built in $((SECONDS - start)) s: $(stat -c %s "$DB_OUT/dropbearmulti") bytes"
}

# Rsync from Debian's source (its patches applied), so `rsync -e 'ssh -F FILE'` from the host finds
# an rsync at the other end. Its bundled zlib and popt, none of the optional libraries (openssl,
# xxhash, zstd, lz4, acl, xattr, iconv: the cross toolchain has no riscv64 builds of them, and md5/md4 checksums
# and zlib compression are what every rsync speaks), no IPv6 (the kernel has none). Debian's
# patches change configure.ac, so configure.sh is made again first, as dh_autoreconf does for the
# package (the Makefile would otherwise try to, half way through the build). A fresh copy of the
# source each time, as for dropbear.
# configure runs test programs unless it is cross-compiling, and a host with qemu-user in binfmt_misc
# can run riscv64 ones, so the result would depend on the host: --build makes it cross-compile
# everywhere, and RSYNC_RUN_ANSWERS are the answers those programs give on Linux with glibc (run
# under qemu-riscv64; the cross-compiling guesses would turn off socketpair, C99 vsnprintf, secure
# mkstemp and hard links to symlinks and special files).
RSYNC_RUN_ANSWERS=(rsync_cv_HAVE_BROKEN_LARGEFILE=no rsync_cv_MAKEDEV_TAKES_3_ARGS=no
	rsync_cv_chown_modifies_symlink=no rsync_cv_can_hardlink_symlink=yes rsync_cv_can_hardlink_special=yes
	rsync_cv_HAVE_SOCKETPAIR=yes rsync_cv_HAVE_BROKEN_READDIR=no rsync_cv_HAVE_C99_VSNPRINTF=yes
	rsync_cv_HAVE_SECURE_MKSTEMP=yes rsync_cv_MKNOD_CREATES_FIFOS=yes rsync_cv_MKNOD_CREATES_SOCKETS=yes)
stage_rsync() {
	[ -d "$RSSRC" ] || die "no rsync source in $RSSRC: run the sources stage"
	local build=$WORK/rsync-build
	rm -rf "$build"
	cp -a "$RSSRC" "$build"
	local start=$SECONDS
	log "configuring rsync"
	(cd "$build" && autoconf -o configure.sh && autoheader && touch config.h.in &&
		./configure --build="$(dpkg-architecture -qDEB_BUILD_GNU_TYPE)" --host=riscv64-linux-gnu \
		--prefix=/usr --with-included-zlib --with-included-popt "${RSYNC_RUN_ANSWERS[@]}" \
		--disable-openssl --disable-xxhash --disable-zstd --disable-lz4 --disable-acl-support \
		--disable-xattr-support --disable-iconv --disable-iconv-open --disable-locale --disable-ipv6 \
		--disable-md2man --disable-debug \
		CFLAGS="-Os -g0 -ffunction-sections -fdata-sections -ffile-prefix-map=$build=. -fno-ident" \
		LDFLAGS="-static -s -Wl,--gc-sections -Wl,--build-id=sha1" >"$WORK/rsync-configure.log" 2>&1) ||
		die "rsync's configure failed: see $WORK/rsync-configure.log"
	log "building rsync"
	make -C "$build" -j"$JOBS" rsync >"$WORK/rsync-make.log" 2>&1 ||
		die "rsync's build failed: see $WORK/rsync-make.log"
	file -b "$build/rsync" | grep -q 'RISC-V.*statically linked' ||
		die "rsync is not a static RISC-V binary: $(file -b "$build/rsync")"
	mkdir -p "$RS_OUT"
	cp "$build/rsync" "$RS_OUT/rsync"
	log "rsync built in $((SECONDS - start)) s: $(stat -c %s "$RS_OUT/rsync") bytes"
}

stage_agent() {
	log "building vm-agent"
	make -s -C "$AGENT_SRC" agent CC=${CROSS}gcc OUT="$AGENT_OUT" >&2
	file -b "$AGENT_OUT/vm-agent" | grep -q 'RISC-V.*statically linked' ||
		die "vm-agent is not a static RISC-V binary: $(file -b "$AGENT_OUT/vm-agent")"
	log "vm-agent: $(stat -c %s "$AGENT_OUT/vm-agent") bytes"
}

# Fills DIR with busybox, the agent, the init and /etc files from rootfs/. KIND is initramfs or disk.
make_tree() {
	local dir=$1 kind=$2
	rm -rf "$dir"
	mkdir -p "$dir"
	cp -a "$WORK/busybox-install/." "$dir/"
	rm -f "$dir/linuxrc"
	mkdir -p "$dir/usr/sbin"
	cp "$AGENT_OUT/vm-agent" "$dir/usr/sbin/vm-agent"
	mkdir -p "$dir/usr/bin"
	cp "$DB_OUT/dropbearmulti" "$dir/usr/sbin/dropbearmulti"
	ln -sfn dropbearmulti "$dir/usr/sbin/dropbear"
	ln -sfn ../sbin/dropbearmulti "$dir/usr/bin/dropbearkey"
	# busybox has no scp: `scp -O` from the host runs `scp -t` here
	ln -sfn ../sbin/dropbearmulti "$dir/usr/bin/scp"
	# `rsync -e ssh` from the host runs `rsync --server` here
	cp "$RS_OUT/rsync" "$dir/usr/bin/rsync"
	(cd "$HERE/rootfs" && find . -type d) | while read -r d; do mkdir -p "$dir/$d"; done
	(cd "$HERE/rootfs" && find . -type f) | while read -r f; do cp "$HERE/rootfs/$f" "$dir/$f"; done
	mkdir -p "$dir"/{proc,sys,dev,run,tmp,root,mnt,home,var/tmp,etc/vm,etc/dropbear}
	ln -sfn ../run/resolv.conf "$dir/etc/resolv.conf"
	ln -sfn ../proc/self/mounts "$dir/etc/mtab"
	ln -sfn ../init "$dir/sbin/init"
	if [ "$kind" = disk ]; then
		printf '%s %s root disk\n' "$BOX_NAME" "$BOX_VERSION" >"$dir/etc/vm/root-disk"
	fi
	# modes do not depend on the checkout's umask or on git (which keeps only the x bit)
	find "$dir" -type d -exec chmod 0755 {} +
	find "$dir" -type f -exec chmod 0644 {} +
	chmod 0755 "$dir/init" "$dir/bin/busybox" "$dir/usr/share/udhcpc/default.script" "$dir/usr/sbin/vm-agent" \
		"$dir/usr/sbin/dropbearmulti" "$dir/usr/bin/rsync"
	chmod 1777 "$dir/tmp" "$dir/var/tmp"
	chmod 0700 "$dir/root"
	chmod 0600 "$dir/etc/shadow"
	chmod 0700 "$dir/etc/dropbear"
	chown -R -h 0:0 "$dir"
	find "$dir" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
}

stage_images() {
	[ -x "$WORK/busybox-install/bin/busybox" ] || die "no busybox install: run the busybox stage"
	[ -x "$AGENT_OUT/vm-agent" ] || die "no $AGENT_OUT/vm-agent: run the agent stage"
	[ -x "$DB_OUT/dropbearmulti" ] || die "no $DB_OUT/dropbearmulti: run the dropbear stage"
	[ -x "$RS_OUT/rsync" ] || die "no $RS_OUT/rsync: run the rsync stage"
	[ "$(id -u)" = 0 ] || die "the images stage needs root so files in the images are owned by root"
	mkdir -p "$ARTIFACTS"

	log "initramfs"
	local tree=$WORK/tree-initramfs
	make_tree "$tree" initramfs
	(cd "$tree" && find . -mindepth 1 -print0 | sort -z |
		cpio --null --create --format=newc --owner=0:0 --reproducible --quiet) |
		gzip -9 -n >"$ARTIFACTS/initrd.gz"

	log "root disk ($ROOT_DISK_SIZE ext4)"
	tree=$WORK/tree-disk
	make_tree "$tree" disk
	rm -f "$ARTIFACTS/root.img"
	# -T default: mke2fs would treat a disk under 512 MiB as "small" (1 KiB blocks); 4 KiB blocks
	# match the page size and keep the guest's disk requests large
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
	for f in Image initrd.gz root.img; do
		[ -f "$ARTIFACTS/$f" ] || die "missing $ARTIFACTS/$f: run the kernel and images stages"
	done
	log "box.json and tiny.box"
	cat >"$ARTIFACTS/box.json" <<-EOF
		{
		  "name": "$BOX_NAME",
		  "version": "$BOX_VERSION",
		  "description": "Linux 6.1 (tinyconfig + virtio, 9p, ext4), static busybox 1.35, dropbear, rsync and vm's guest agent for riscv64; boots to a root shell on the serial console",
		  "architecture": "riscv64",
		  "engines": ["builtin", "qemu"],
		  "kernel": "Image",
		  "initrd": "initrd.gz",
		  "root_disk": { "path": "root.img", "format": "raw" },
		  "cmdline": "$BOX_CMDLINE",
		  "ssh": { "host_key": "/etc/dropbear/dropbear_ed25519_host_key.pub" },
		  "files": {
		$(file_entry Image),
		$(file_entry initrd.gz),
		$(file_entry root.img)
		  }
		}
	EOF
	mkdir -p "$OUT"
	cp "$ARTIFACTS/box.json" "$OUT/box.json"
	# box.json first, so a reader can check the manifest before it meets the big files
	tar -C "$ARTIFACTS" --format=ustar --owner=0 --group=0 --numeric-owner --mode=0644 \
		--mtime="@0" --no-recursion -cf - box.json Image initrd.gz root.img |
		gzip -9 -n >"$OUT/tiny.box.tmp"
	mv "$OUT/tiny.box.tmp" "$OUT/tiny.box"
	log "artifacts:"
	for f in Image initrd.gz root.img box.json; do
		printf '  %-10s %10s bytes  %s\n' "$f" "$(stat -c %s "$ARTIFACTS/$f")" \
			"$(sha256sum "$ARTIFACTS/$f" | cut -d' ' -f1)" >&2
	done
	printf '  %-10s %10s bytes  %s\n' tiny.box "$(stat -c %s "$OUT/tiny.box")" \
		"$(sha256sum "$OUT/tiny.box" | cut -d' ' -f1)" >&2
}

for stage in "${STAGES[@]}"; do
	[ -n "$stage" ] || continue
	"stage_$stage"
done
