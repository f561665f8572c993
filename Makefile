# bpfutils: one static binary with Go ports of bcc's libbpf-tools.
GO ?= go
CLANG ?= clang
LLVM_STRIP ?= llvm-strip
ARCH ?= x86
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin

BPF_SRCS := $(wildcard bpf/*.bpf.c)
# The objects are embedded zstd-compressed (a quarter of their size: the binary, which the
# kernel maps whole, is every tool's memory) and decompressed only for the tool that runs.
BPF_OBJS := $(patsubst bpf/%.bpf.c,pkg/bpfobj/%.bpf.o.zst,$(BPF_SRCS))
BPF_HDRS := $(wildcard bpf/*.h bpf/include/*.h) vmlinux/$(ARCH)/vmlinux.h
GO_SRCS := $(shell find . -name '*.go' -not -path './.cache/*') go.mod go.sum

BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror \
	-Wno-unused-function -Ivmlinux/$(ARCH) -Ibpf/include -Ibpf

# libbpf's static archive needs its own dependencies spelled out, in link order.
export CGO_ENABLED := 1
export CGO_LDFLAGS := -lbpf -lelf -lz -lzstd
GO_TAGS := netgo,osusergo,urfave_cli_no_docs
GO_LDFLAGS := -s -w -linkmode external -extldflags "-static"

.PHONY: all bpf test check vet install vmlinux clean setup demo bench bench-soak vmtest vmtest-bench docs pgo

all: bpfutils

bpf: $(BPF_OBJS)

pkg/bpfobj/%.bpf.o.zst: bpf/%.bpf.c $(BPF_HDRS)
	$(CLANG) $(BPF_CFLAGS) -c $< -o pkg/bpfobj/$*.bpf.o
	$(LLVM_STRIP) -g pkg/bpfobj/$*.bpf.o
	zstd -q -19 -f --rm pkg/bpfobj/$*.bpf.o -o $@

bpfutils: $(BPF_OBJS) $(GO_SRCS)
	$(GO) build -tags $(GO_TAGS) -ldflags '$(GO_LDFLAGS)' -o $@ .

vmlinux:
	scripts/gen-vmlinux.sh $(ARCH)

# default.pgo, the profile the Go compiler optimizes the binary with: the print benchmarks of the
# tools with the cheapest events, text and JSON, where the render path's cost shows.
pgo: $(BPF_OBJS)
	for t in opensnoop biosnoop; do \
		$(GO) test -tags $(GO_TAGS) -run '^$$' -bench BenchmarkPrint -benchtime 2s -cpuprofile /tmp/bpfutils-$$t.pprof -o /tmp/bpfutils-$$t.test ./tools/$$t/ >/dev/null || exit 1; \
	done
	$(GO) tool pprof -proto /tmp/bpfutils-opensnoop.pprof /tmp/bpfutils-biosnoop.pprof > default.pgo

# README's tool table and docs/json.md's per-tool sections, from the registry and the tools'
# output declarations (a test fails when they are stale).
docs: $(BPF_OBJS)
	$(GO) test -tags $(GO_TAGS) -count=1 -run "TestGeneratedDocs|TestVerifyVariants" . -update

vet: $(BPF_OBJS)
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet -tags $(GO_TAGS) ./...

# Unit tests and integration tests (the latter run the built binary; they need root).
test: bpfutils vet
	$(GO) test -tags $(GO_TAGS) -count=1 ./...

# The integration tests inside qemu guests booting Debian's 6.1 and 6.12 kernels, once per attach
# family, plus the verifier test (scripts/vmtest.sh; VMTEST_* variables tune it).
vmtest: bpfutils
	scripts/vmtest.sh

# The memory comparison of make bench inside the 6.1 and 6.12 guests, the binaries on the guest's
# ext4 disk as on a server; CTOOLS=DIR compares with bcc's C tools there too.
vmtest-bench: bpfutils
	VMTEST_CTOOLS=$(CTOOLS) VMTEST_CMD='cp /bin/bpfutils /mnt/scratch/ && cp -r /opt/cref /mnt/scratch/ 2>/dev/null; \
		/opt/bench -bin /mnt/scratch/bpfutils -no-storms -reps 1 $(if $(CTOOLS),-c /mnt/scratch/cref) -out /tmp/bench' \
		scripts/vmtest.sh

# Startup, memory, CPU per event and events seen under storms, for every tool with a storm;
# bench-results/results.{md,json}. Needs root. BENCH_FLAGS=-reps 5, -scale 0.1, -tools execsnoop.
# CTOOLS=DIR (bcc's C libbpf-tools, e.g. built by ../shared/reference/build-libbpf-tools.sh) adds
# the side-by-side memory table with ratios.
BENCH_FLAGS ?=
CTOOLS ?=
bench: bpfutils bpfutils.syms
	$(GO) run ./cmd/bench -bin ./bpfutils -syms ./bpfutils.syms $(if $(CTOOLS),-c $(CTOOLS)) $(BENCH_FLAGS)

# The same build with its symbols, for the bench's account of what the binary carries.
bpfutils.syms: $(BPF_OBJS) $(GO_SRCS)
	$(GO) build -tags $(GO_TAGS) -ldflags '$(filter-out -s -w,$(GO_LDFLAGS))' -o $@ .

# Ten minutes of steady load on opensnoop (execsnoop until opensnoop exists): RSS must stay flat.
SOAK ?= 10m
bench-soak: bpfutils
	$(GO) run ./cmd/bench -bin ./bpfutils -tools none -soak $(SOAK) $(BENCH_FLAGS)

install: bpfutils
	install -d $(DESTDIR)$(BINDIR)
	install -m 0755 bpfutils $(DESTDIR)$(BINDIR)/bpfutils
	$(DESTDIR)$(BINDIR)/bpfutils --install -s $(DESTDIR)$(BINDIR)

clean:
	rm -f bpfutils pkg/bpfobj/*.bpf.o pkg/bpfobj/*.bpf.o.zst
