#!/usr/bin/env bash
# Installs what building and testing bpfutils needs on Debian 12 (bookworm) or newer Debian/Ubuntu.
# Idempotent: re-running it only checks.
set -euo pipefail

need_root() { [ "$(id -u)" = 0 ] || { echo "setup.sh: must run as root (apt-get)" >&2; exit 1; }; }

. /etc/os-release
codename=${VERSION_CODENAME:-}

pkgs_common=(clang llvm libelf-dev zlib1g-dev libzstd-dev zstd make pkg-config busybox-static cpio qemu-system-x86 iproute2 file)
# pkg/syms tests compile, strip and xz-compress small C/C++ programs at test time.
pkgs_common+=(gcc g++ binutils xz-utils)
# fsslower/fsdist tests make xfs and btrfs filesystems on loop devices (mkfs.ext4 comes with e2fsprogs).
pkgs_common+=(xfsprogs btrfs-progs e2fsprogs)
# javagc's test runs a Java program through the source launcher (a JDK: its libjvm.so has
# HotSpot's USDT probes); bashreadline's types into an interactive bash.
pkgs_common+=(openjdk-17-jdk-headless bash)

if [ "${ID}" = debian ] && [ "$codename" = bookworm ]; then
	need_root
	# libbpf in bookworm is 1.1; backports carries 1.4 with libbpf.a, bpftool and 6.12 UAPI headers.
	if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
		src=/etc/apt/sources.list.d/debian.sources
		if [ -f "$src" ]; then
			uri=$(awk '/^URIs:/{print $2; exit}' "$src")
			comps=$(awk '/^Components:/{sub(/^Components: */,""); print; exit}' "$src")
			cat >/etc/apt/sources.list.d/bpfutils-backports.sources <<SRC
Types: deb
URIs: ${uri:-http://deb.debian.org/debian}
Suites: bookworm-backports
Components: ${comps:-main}
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
		else
			line=$(grep -m1 -E '^deb .* bookworm ' /etc/apt/sources.list)
			echo "${line/ bookworm / bookworm-backports }" >/etc/apt/sources.list.d/bpfutils-backports.list
		fi
	fi
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		libbpf-dev/bookworm-backports bpftool/bookworm-backports linux-libc-dev/bookworm-backports \
		"${pkgs_common[@]}" >/dev/null
else
	need_root
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libbpf-dev linux-libc-dev "${pkgs_common[@]}" >/dev/null
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bpftool >/dev/null 2>&1 ||
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq linux-tools-common linux-tools-generic >/dev/null || true
fi

# mdflush's test builds an md RAID1 with mdadm, which vmtest copies into its guests; its
# recommends (a mail transport for the RAID monitor) are not needed.
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends mdadm >/dev/null

command -v go >/dev/null || { [ -x /usr/local/go/bin/go ] && export PATH=$PATH:/usr/local/go/bin; } || true
command -v go >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq golang-go >/dev/null

# Mounts the tools and tests rely on.
mountpoint -q /sys/kernel/tracing || mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null || true
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf 2>/dev/null || true
mountpoint -q /sys/kernel/debug || mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null || true

echo "setup: libbpf $(pkg-config --modversion libbpf 2>/dev/null || echo '?'), clang $(clang --version | sed -n 's/.*version \([0-9.]*\).*/\1/p' | head -1)"
