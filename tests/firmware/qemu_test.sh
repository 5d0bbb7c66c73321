#!/usr/bin/env bash
# Runs a bare-metal ELF on a QEMU machine with semihosting; passes when it exits 0 and prints
# the expected line.
set -euo pipefail
machine=$1 elf=$2 expected=$3
out=$(qemu-system-arm -M "$machine" -nographic -semihosting-config enable=on,target=native -kernel "$elf")
echo "$out"
if ! grep -qxF "$expected" <<<"$out"; then
  echo "FAIL: $elf on $machine did not print: $expected" >&2
  exit 1
fi
