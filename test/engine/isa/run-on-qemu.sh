#!/bin/sh
# Run ISA programs on qemu-system-riscv64 -M virt with no firmware; the sifive test device makes
# QEMU exit with the program's status (0 = pass, n = test n failed). Each result is compared with
# expectations.txt (default: pass). Usage: run-on-qemu.sh [elf...] (default: bin/*.elf).
# Prints one line per program; exits 1 if any result differs from its expectation.
set -u

here=$(cd "$(dirname "$0")" && pwd)
qemu=${QEMU:-qemu-system-riscv64}
limit=${ISA_QEMU_TIMEOUT:-20}
# Programs expected to hang only need to show that they do not report within a short time.
hang_limit=${ISA_QEMU_HANG_TIMEOUT:-3}

if ! command -v "$qemu" >/dev/null 2>&1; then
  echo "run-on-qemu.sh: $qemu not found (apt-get install qemu-system-misc)" >&2
  exit 2
fi

if [ $# -eq 0 ]; then
  set -- "$here"/bin/*.elf
fi

bad=0
for elf in "$@"; do
  name=$(basename "$elf" .elf)
  expected=$(awk -v n="$name" '$1 == n { print $2 }' "$here/expectations.txt")
  [ -n "$expected" ] || expected=pass
  t=$limit
  [ "$expected" = hang ] && t=$hang_limit
  timeout "$t" "$qemu" -M virt -smp 1 -m 128M -bios none -kernel "$elf" \
    -display none -serial none -monitor none </dev/null >/dev/null 2>&1
  status=$?
  case $status in
    0) got=pass ;;
    124) got=hang ;;
    *) got=$status ;;
  esac
  if [ "$got" = "$expected" ]; then
    if [ "$got" = pass ]; then
      echo "PASS $name"
    else
      echo "ok   $name: $got, as expected (expectations.txt)"
    fi
  else
    bad=1
    case $got in
      pass) echo "FAIL $name passed, expected $expected" ;;
      hang) echo "FAIL $name hung (no result after ${t}s), expected $expected" ;;
      *) echo "FAIL $name failed test $got, expected $expected" ;;
    esac
  fi
done
exit $bad
