#!/bin/sh
# Assemble every ISA program (src/*.S + harness.S) into bin/<name>.elf, or into the directory given
# as $1 (the vitest suite rebuilds into a temp dir to compare with the committed binaries).
# Needs Debian's gcc-riscv64-linux-gnu / binutils-riscv64-linux-gnu.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
out=${1:-"$here/bin"}
cross=${CROSS_COMPILE:-riscv64-linux-gnu-}

for tool in gcc objdump; do
  if ! command -v "${cross}$tool" >/dev/null 2>&1; then
    echo "build.sh: ${cross}$tool not found (apt-get install gcc-riscv64-linux-gnu binutils-riscv64-linux-gnu)" >&2
    exit 2
  fi
done

mkdir -p "$out"
out=$(cd "$out" && pwd)
objs=$(mktemp -d)
trap 'rm -rf "$objs"' EXIT

# Bare metal with the linux-gnu cross compiler: no libc, no PIE, no build-id note, no linker
# relaxation (the harness keeps the test number in gp, which relaxation would use as a base).
# Objects get stable names and sources relative paths, so the symbol table (STT_FILE entries)
# and hence the ELF bytes do not depend on temp names or where the repo lives.
asflags="-march=rv64gc -mabi=lp64d -mno-relax -fno-pie -Iinclude"
ldflags="-march=rv64gc -mabi=lp64d -static -nostdlib -nostartfiles -fno-pie -no-pie
  -Wl,--no-relax -Wl,--build-id=none -Wl,-z,max-page-size=4096 -Wl,--no-warn-rwx-segments"

cd "$here"
# shellcheck disable=SC2086
"${cross}gcc" $asflags -c -o "$objs/harness.o" harness.S
for src in src/*.S; do
  name=$(basename "$src" .S)
  # shellcheck disable=SC2086
  "${cross}gcc" $asflags -c -o "$objs/$name.o" "$src"
  # shellcheck disable=SC2086
  (cd "$objs" && "${cross}gcc" $ldflags -T"$here/link.ld" -o "$out/$name.elf" harness.o "$name.o")
done

# rv64c must really be compressed: every RV64C mnemonic has to appear as a 16-bit instruction.
dump=$("${cross}objdump" -d -M no-aliases "$out/rv64c.elf")
missing=""
for m in c.addi4spn c.fld c.lw c.ld c.fsd c.sw c.sd c.nop c.addi c.addiw c.li c.addi16sp c.lui \
  c.srli c.srai c.andi c.sub c.xor c.or c.and c.subw c.addw c.j c.beqz c.bnez c.slli c.fldsp \
  c.lwsp c.ldsp c.jr c.mv c.ebreak c.jalr c.add c.fsdsp c.swsp c.sdsp; do
  # objdump prints "<addr>:\t<4 hex digits> \t<mnemonic>" for a 16-bit instruction; with
  # no-aliases it spells c.nop as c.addi zero,0.
  pattern="$m([[:space:]]|$)"
  [ "$m" = c.nop ] && pattern="c\.addi[[:space:]]+zero,0$"
  if ! printf '%s\n' "$dump" | grep -Eq "^ *[0-9a-f]+:[[:space:]]+[0-9a-f]{4}[[:space:]]+$pattern"; then
    missing="$missing $m"
  fi
done
if [ -n "$missing" ]; then
  echo "build.sh: rv64c.elf lacks 16-bit encodings of:$missing" >&2
  exit 1
fi

"${cross}as" --version | head -n 1 >"$out/TOOLCHAIN"
echo "built $(ls "$out"/*.elf | wc -l) programs into $out"
