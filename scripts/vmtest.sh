#!/usr/bin/env bash
# make vmtest: runs the integration tests inside qemu guests booting other kernels than the
# host's: Debian's newest 6.1 cloud kernel (bookworm) and newest 6.12 cloud kernel
# (bookworm-backports), where kprobes and fentry work. Each guest (scripts/vm-init is its PID 1)
# runs the verifier test (every BPF program loads), then the integration tests once per attach
# family, BPFUTILS_ATTACH=fentry, kprobe and tracepoint: a test of a tool without programs of
# that family skips. Prints per kernel and family the pass/fail/skip counts; exits non-zero on
# any failure, missing result or timeout.
#
# Knobs (environment):
#   VMTEST_KERNELS="6.1 6.12"                 kernel series to boot
#   VMTEST_MODES="fentry tracepoint"          attach families, one test run each, in every guest
#                                             (default: the kprobe path on 6.1, the fentry path on
#                                             6.12, the tracepoint path on both)
#   VMTEST_RUN=REGEXP                         only these integration tests (go test -run)
#   VMTEST_TIMEOUT=1500                       seconds a guest may take before it counts as failed
#   VMTEST_JOBS=2                             guests booted at once (each keeps one host core busy)
#   VMTEST_SMP=2                              vCPUs per guest
#   VMTEST_CMD='grep foo /proc/kallsyms'      run this in each guest instead of the tests, print
#                                             its output (a look at a kernel; always exits 0)
#   VMTEST_CTOOLS=DIR                         bcc's C libbpf-tools for the guests, with their
#                                             libraries, in /opt/cref (make vmtest-bench)
# Downloaded kernels are cached in .cache/vmtest/kernels; each guest's full console log is kept
# in .cache/vmtest/run/<kernel>/console.log.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=$PATH:/usr/local/go/bin

kernels=${VMTEST_KERNELS:-6.1 6.12}
modes=${VMTEST_MODES:-}
run=${VMTEST_RUN:-}
limit=${VMTEST_TIMEOUT:-1500}
jobs=${VMTEST_JOBS:-2}
smp=${VMTEST_SMP:-2}
cmd=${VMTEST_CMD:-}
ctools=${VMTEST_CTOOLS:-}
# The scratch disk is virtio; Debian's cloud kernels build these drivers as modules.
modules="virtio_pci virtio_blk"
# Loaded where the kernel has them: veth and netem make the delayed link of tests/tcprtt_test.go.
optional_modules="veth sch_netem"
# loop and md RAID1 (raid1 brings md_mod) for the md array of tests/mdflush_test.go.
optional_modules="$optional_modules loop raid1"
cache=.cache/vmtest
build=$cache/build
rundir=$cache/run

die() {
	echo "vmtest: $*" >&2
	exit 1
}

for prog in qemu-system-x86_64 busybox cpio mkfs.ext4 apt-get apt-cache dpkg-deb ldd go; do
	command -v "$prog" >/dev/null || die "$prog not found (scripts/setup.sh installs what vmtest needs)"
done

# newest_package SERIES: the newest cloud kernel package of SERIES ("6.1") apt knows about.
newest_package() {
	local re="^linux-image-${1//./\\.}\\.[0-9]+[-+.][^ ]*-cloud-amd64\$"
	apt-cache search --names-only "$re" 2>/dev/null | awk '{print $1}' | sort -V | tail -n 1
}

decompress() {
	case $1 in
	*.xz) xz -dc "$1" ;;
	*.zst) zstd -dc "$1" ;;
	*.gz) gzip -dc "$1" ;;
	*) cat "$1" ;;
	esac
}

# add_module ROOT OUT NAME: copies module NAME of the kernel unpacked in ROOT, after the modules
# it depends on, uncompressed into OUT, and appends it to OUT/order; built-in modules are skipped.
# With a fourth argument, a module the package lacks is skipped too.
add_module() {
	local root=$1 out=$2 name=${3//-/_} optional=${4:-} file dep
	grep -qx "$name" "$out/order" 2>/dev/null && return 0
	grep -qE "/${name}\.ko(\.[a-z]+)?\$" "$root"/lib/modules/*/modules.builtin && return 0
	file=$(find "$root/lib/modules" \( -name "$name.ko*" -o -name "${name//_/-}.ko*" \) | head -n 1)
	[ -n "$file" ] || [ -z "$optional" ] || return 0
	[ -n "$file" ] || die "kernel module $name is neither built in nor in the package"
	for dep in $(decompress "$file" | tr '\0' '\n' | sed -n 's/^depends=//p' | tr ',' ' '); do
		add_module "$root" "$out" "$dep"
	done
	decompress "$file" >"$out/$name.ko"
	echo "$name" >>"$out/order"
}

# fetch_kernel SERIES: prints the cache directory holding vmlinuz and modules/ of the newest
# kernel of SERIES, downloading it on first use.
fetch_kernel() {
	local series=$1 pkg dir tmp
	pkg=$(newest_package "$series")
	if [ -z "$pkg" ]; then
		dir=$(find "$cache/kernels" -maxdepth 1 -name "linux-image-$series.*" 2>/dev/null | sort -V | tail -n 1)
		[ -n "$dir" ] && [ -f "$dir/ready" ] ||
			die "apt knows no linux-image-$series.*-cloud-amd64 (scripts/setup.sh adds bookworm-backports)"
		echo "vmtest: apt knows no $series cloud kernel; using the cached $(basename "$dir")" >&2
		echo "$dir"
		return
	fi
	dir=$cache/kernels/$pkg
	# A cache made for another module list is made again.
	if [ ! -f "$dir/ready" ] || [ "$(cat "$dir/modlist" 2>/dev/null)" != "$modules; $optional_modules" ]; then
		echo "vmtest: downloading $pkg" >&2
		mkdir -p "$cache/kernels"
		tmp=$(mktemp -d "$cache/kernels/download.XXXXXX")
		(cd "$tmp" && apt-get download -q=2 -o APT::Sandbox::User=root "$pkg") || die "apt-get download $pkg failed"
		dpkg-deb -x "$tmp"/*.deb "$tmp/root"
		rm -rf "$dir"
		mkdir -p "$dir/modules"
		cp "$tmp"/root/boot/vmlinuz-* "$dir/vmlinuz"
		: >"$dir/modules/order"
		for m in $modules; do
			add_module "$tmp/root" "$dir/modules" "$m"
		done
		for m in $optional_modules; do
			add_module "$tmp/root" "$dir/modules" "$m" optional
		done
		echo "$modules; $optional_modules" >"$dir/modlist"
		echo "$pkg" >"$dir/ready"
		rm -rf "$tmp"
	fi
	echo "$dir"
}

# build_root: the part of the initramfs every guest shares: busybox, GNU coreutils with their
# libraries (tests copy /bin/true and friends under new names, which a busybox link cannot
# survive), the static bpfutils, the static test binary and the init script.
build_root() {
	local root=$build/root f lib
	make -s bpfutils
	mkdir -p "$build"
	# Guests have no libc for cgo: build the tests without cgo if they allow it.
	if ! CGO_ENABLED=0 go test -c -tags netgo,osusergo -o "$build/tests.test" ./tests >"$build/nocgo.log" 2>&1; then
		echo "vmtest: the tests need cgo; linking them statically" >&2
		CGO_ENABLED=1 CGO_LDFLAGS="${CGO_LDFLAGS:--lbpf -lelf -lz -lzstd}" go test -c -tags netgo,osusergo \
			-ldflags '-linkmode external -extldflags "-static"' -o "$build/tests.test" ./tests
	fi
	rm -rf "$root"
	mkdir -p "$root"/{bin,dev,proc,sys,tmp,run,root,etc,mnt,opt/tests,var/tmp,lib/modules,usr}
	ln -s bin "$root/sbin"
	ln -s ../bin "$root/usr/bin"
	ln -s ../bin "$root/usr/sbin"
	for f in $(dpkg -L coreutils | grep -E '^(/usr)?/s?bin/'); do
		[ -f "$f" ] && cp -L "$f" "$root/bin/"
	done
	# iproute2's ip and tc, ahead of busybox's, which know no netem (tests/tcprtt_test.go).
	for f in $(dpkg -L iproute2 | grep -E '/s?bin/(ip|tc)$'); do
		[ -f "$f" ] && cp -L "$f" "$root/bin/"
	done
	# mdadm builds the md RAID1 of tests/mdflush_test.go (the test skips without it).
	for f in $(dpkg -L mdadm 2>/dev/null | grep -E '/s?bin/mdadm$'); do
		[ -f "$f" ] && cp -L "$f" "$root/bin/"
	done
	cp -L "$(command -v busybox)" "$root/bin/busybox"
	for f in $("$root/bin/busybox" --list); do
		[ -e "$root/bin/$f" ] || ln -s busybox "$root/bin/$f"
	done
	find "$root/bin" -type f -exec ldd {} \; 2>/dev/null | grep -o '/[^ ]*' | sort -u | while read -r lib; do
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
	cp bpfutils "$root/bin/bpfutils"
	# The benchmark, static, for `make vmtest-bench`; and the C tools it compares with.
	CGO_ENABLED=0 go build -o "$root/opt/bench" ./cmd/bench
	if [ -n "$ctools" ]; then
		mkdir -p "$root/opt/cref"
		find "$ctools" -maxdepth 1 -type f -perm -u+x -exec cp {} "$root/opt/cref/" \;
		find "$root/opt/cref" -type f -exec ldd {} \; 2>/dev/null | grep -o '/[^ ]*' | sort -u | while read -r lib; do
			mkdir -p "$root$(dirname "$lib")"
			[ -e "$root$lib" ] || cp -L "$lib" "$root$lib"
		done
	fi
	cp "$build/tests.test" "$root/opt/tests/"
	[ ! -d tests/testdata ] || cp -r tests/testdata "$root/opt/tests/"
	# Guests have no compiler: the tests' C workloads are built here, static (tests/cprog_test.go).
	for c in tests/testdata/*.c; do
		# glibc warns that a static resolver still wants its NSS modules: the guests use files only.
		gcc -static -O0 -g -fno-omit-frame-pointer -pthread -o "$root/opt/tests/$(basename "$c" .c)" "$c" 2>"$build/gcc.log" ||
			{ cat "$build/gcc.log" >&2; exit 1; }
	done
	cp scripts/vm-init "$root/init"
	printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$root/etc/passwd"
	printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
	(cd "$root" && find . | cpio -o -H newc -R 0:0 --quiet) >"$build/common.cpio"
}

# numa_nodes: two NUMA nodes of half the memory and one CPU each when the guest has 2 CPUs
# (numamove's test moves pages between them; the host has one node).
numa_nodes() {
	[ "$smp" = 2 ] || return 0
	echo "-object memory-backend-ram,id=mem0,size=512M -object memory-backend-ram,id=mem1,size=512M" \
		"-numa node,nodeid=0,cpus=0,memdev=mem0 -numa node,nodeid=1,cpus=1,memdev=mem1"
}

# guest_modes NAME: the attach families a guest runs the tests under. Each function-probe family
# runs in one guest, the tracepoint family (which differs most between kernels) in both: running
# every family in both would take each guest past its time.
guest_modes() {
	if [ -n "$modes" ]; then
		echo "$modes"
		return
	fi
	case $1 in
	6.1.*) echo "kprobe tracepoint" ;;
	*) echo "fentry tracepoint" ;;
	esac
}

# prepare_guest NAME KERNELDIR: the guest's own initramfs part (modules, settings) and disk.
prepare_guest() {
	local dir=$rundir/$1 kdir=$2
	rm -rf "$dir"
	mkdir -p "$dir/root/lib/modules" "$dir/root/etc"
	cp "$kdir"/modules/* "$dir/root/lib/modules/"
	printf 'MODES=%q\nRUN=%q\nCMD=%q\nTEST_TIMEOUT=%q\n' "$(guest_modes "$1")" "$run" "$cmd" "$((limit / 2))s" >"$dir/root/etc/vmtest.env"
	(cd "$dir/root" && find . | cpio -o -H newc -R 0:0 --quiet) | cat "$build/common.cpio" - >"$dir/initrd"
	truncate -s 256M "$dir/scratch.img"
	mkfs.ext4 -q -F "$dir/scratch.img"
}

# console NAME: keeps the console log (without CRs) and echoes the result lines, prefixed.
console() {
	local line
	while IFS= read -r line || [ -n "$line" ]; do
		line=${line%$'\r'}
		printf '%s\n' "$line"
		case $line in
		VMTEST-BOOT* | VMTEST-RESULT* | VMTEST-WARN* | VMTEST-END* | "--- FAIL"* | "panic: "*)
			printf '[%s] %s\n' "$1" "$line" >&2
			;;
		esac
	done
}

# boot NAME KERNELDIR: runs the guest to its end, or kills it after $limit seconds.
boot() {
	local dir=$rundir/$1 kdir=$2 t0 rc
	t0=$(date +%s)
	set +e
	# One host thread runs all vCPUs (thread=single): with a thread per vCPU, the kernel's live
	# patching of hot code (attaching to sched_switch) races on TCG and ends in an int3 oops.
	timeout -k 5 "$limit" qemu-system-x86_64 -accel tcg,thread=single -cpu max -m 1024 -smp "$smp" $(numa_nodes) \
		-nographic -no-reboot -nic none \
		-kernel "$kdir/vmlinuz" -initrd "$dir/initrd" \
		-append "console=ttyS0 quiet loglevel=3 panic=-1 oops=panic softlockup_panic=1 mitigations=off" \
		-drive "file=$dir/scratch.img,format=raw,if=virtio,cache=unsafe" \
		</dev/null 2>&1 | console "$1" >"$dir/console.log"
	rc=${PIPESTATUS[0]}
	set -e
	echo "$rc $(($(date +%s) - t0))" >"$dir/qemu.status"
}

# report NAME PACKAGE: prints the guest's results; fails when anything failed or is missing.
report() {
	local dir=$rundir/$1 log=$rundir/$1/console.log rc secs kernel boot ok=0 phases line
	local mode pass fail skip exit
	read -r rc secs <"$dir/qemu.status"
	kernel=$(sed -n 's/^VMTEST-BOOT kernel=\([^ ]*\).*/\1/p' "$log")
	boot=$(sed -n 's/^VMTEST-BOOT .* uptime=\([^ ]*\).*/\1/p' "$log")
	echo "vmtest: kernel ${kernel:-?} ($2): booted in ${boot:-?} s, whole run $secs s"
	phases=0
	while read -r line; do
		phases=$((phases + 1))
		# VMTEST-RESULT kernel=K mode=M pass=P fail=F skip=S exit=E secs=T
		mode=$(field mode "$line") pass=$(field pass "$line") fail=$(field fail "$line")
		skip=$(field skip "$line") exit=$(field exit "$line")
		printf '  %-10s %3d passed %3d failed %3d skipped   %4d s%s\n' "$mode" "$pass" "$fail" "$skip" \
			"$(field secs "$line")" "$([ "$mode" = verifier ] && echo '   (one per BPF program and hook)')"
		paths "$log" "$mode"
		if [ "$fail" != 0 ] || [ "$exit" != 0 ]; then
			ok=1
			failures "$log" "$mode"
			if [ "$fail" = 0 ]; then
				echo "  -- the test binary exited with $exit; the end of its output:"
				awk -v m="$mode" '$0 == "VMTEST-PHASE mode=" m {on=1; next} /^VMTEST-RESULT/ {on=0} on' "$log" | tail -n 40
			fi
		fi
	done < <(grep '^VMTEST-RESULT ' "$log")
	if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		echo "  FAILED: timed out after $limit s"
		ok=1
	elif ! grep -q '^VMTEST-END' "$log"; then
		echo "  FAILED: the guest stopped before the end (qemu exit $rc)"
		ok=1
	elif [ "$phases" != $(($(wc -w <<<"$(guest_modes "$1")") + 1)) ]; then
		echo "  FAILED: $phases result lines, want $(($(wc -w <<<"$(guest_modes "$1")") + 1))"
		ok=1
	fi
	if [ "$ok" != 0 ]; then
		grep -q '^VMTEST-END' "$log" || tail -n 40 "$log" | sed 's/^/  | /'
		echo "  full console log: $log"
	fi
	return "$ok"
}

# field NAME LINE: the value of NAME=value in LINE.
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }

# paths LOG MODE: which tools ran with hooks of the forced family MODE, and which could not here
# (the tests log "VMTEST-PATH tool family used|unused: why").
paths() {
	awk -v m="$2" '
		$0 == "VMTEST-PHASE mode=" m { on = 1; next }
		/^VMTEST-RESULT/ { on = 0 }
		!on || !/ VMTEST-PATH / { next }
		{
			sub(/.* VMTEST-PATH /, "")
			if ($2 != m) next
			t = $1
			if (!(t in seen)) { seen[t] = 1; order[++n] = t }
			if ($3 == "used") used[t] = 1
			else if (!(t in why)) { r = $0; sub(/^[^:]*: /, "", r); why[t] = r }
		}
		END {
			for (i = 1; i <= n; i++) {
				t = order[i]
				if (t in used) u = u (u == "" ? "" : ", ") t
				else v = v "\n               " t ": " why[t]
			}
			if (u != "") print "             " m " hooks ran in: " u
			if (v != "") print "             " m " hooks not usable on this kernel in:" v
		}
	' "$1"
}

# failures LOG MODE: the output of each failed top-level test of a phase.
failures() {
	awk -v m="$2" '
		$0 == "VMTEST-PHASE mode=" m { on = 1; next }
		/^VMTEST-RESULT/ { on = 0 }
		!on { next }
		/^=== RUN   [^\/]*$/ { buf = $0 "\n"; blk = 1; dump = 0; next }
		blk && /^--- FAIL: / { printf "  -- %s", buf; print "  " $0; blk = 0; dump = 1; next }
		blk && /^--- (PASS|SKIP): / { blk = 0; buf = ""; next }
		dump && /^ / { print "  " $0; next }
		{ dump = 0 }
		blk { buf = buf "  " $0 "\n" }
	' "$1"
}

t0=$(date +%s)
kdirs=() pkgs=() names=()
for k in $kernels; do
	kdirs+=("$(fetch_kernel "$k")")
	pkgs+=("$(cat "${kdirs[-1]}/ready")")
	names+=("${pkgs[-1]#linux-image-}")
done
echo "vmtest: building the guests' initramfs" >&2
build_root
for i in "${!names[@]}"; do
	prepare_guest "${names[$i]}" "${kdirs[$i]}"
done
echo "vmtest: booting ${names[*]} (runs: verifier, then ${modes:-kprobe or fentry, tracepoint}; $jobs at a time; prepared in $(($(date +%s) - t0)) s)" >&2
running=0
for i in "${!names[@]}"; do
	if [ "$running" -ge "$jobs" ]; then
		wait -n || true
		running=$((running - 1))
	fi
	boot "${names[$i]}" "${kdirs[$i]}" &
	running=$((running + 1))
done
wait

if [ -n "$cmd" ]; then
	for i in "${!names[@]}"; do
		echo "vmtest: kernel ${names[$i]}:"
		sed -n '/^VMTEST-CMD /,/^VMTEST-CMD-END/p' "$rundir/${names[$i]}/console.log"
	done
	exit 0
fi
status=0
for i in "${!names[@]}"; do
	report "${names[$i]}" "${pkgs[$i]}" || status=1
done
if [ "$status" = 0 ]; then
	echo "vmtest: PASS on ${#names[@]} kernels in $(($(date +%s) - t0)) s"
else
	echo "vmtest: FAIL (in $(($(date +%s) - t0)) s)"
fi
exit "$status"
