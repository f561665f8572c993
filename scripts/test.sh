#!/usr/bin/env bash
# Sets up a fresh machine and runs every test: unit tests, fuzz seeds, the BTF layout check and
# the integration tests that run the built binary on real workloads (root needed), on the host
# kernel and then, through make vmtest, on the 6.1 and 6.12 kernels under qemu.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=$PATH:/usr/local/go/bin

scripts/setup.sh
make -j2 bpfutils
make vet

echo "== unit tests"
go test -count=1 ./pkg/... ./tools/... ./cmd/... .

echo "== integration tests (host kernel $(uname -r))"
# One package at a time: the tools share the kernel, and a bad-input test checks that no BPF
# program is left behind.
go test -count=1 -p 1 -timeout 20m ./tests/...

echo "== integration tests under qemu: Debian's 6.1 and 6.12 kernels, per attach family"
make vmtest
