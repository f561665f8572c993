#!/usr/bin/env bash
# Sets up a fresh machine, builds bpfutils, and shows biosnoop and biolatency watching a short
# O_DIRECT write load that this script generates.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=$PATH:/usr/local/go/bin

scripts/setup.sh
make -j2 bpfutils
bin=$(mktemp -d)
./bpfutils --install -s "$bin"
file=$(mktemp /var/tmp/bpfutils-demo.XXXXXX)
trap 'rm -rf "$bin" "$file" "$file.out"' EXIT

load() {
	sleep 1
	dd if=/dev/zero of="$file" bs=64k count=200 oflag=direct conv=fsync status=none
	dd if="$file" of=/dev/null bs=64k iflag=direct status=none
}

echo "\$ biosnoop 3    # while dd writes and reads 12.5 MiB with O_DIRECT (first 25 lines)"
load & "$bin/biosnoop" 3 >"$file.out"
wait
head -n 25 "$file.out"
echo "... $(($(wc -l <"$file.out") - 1)) requests in all"
echo
echo "\$ biolatency 3 1"
load & "$bin/biolatency" 3 1
wait
