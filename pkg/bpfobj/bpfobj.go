// Package bpfobj holds the compiled BPF objects (built by make from bpf/*.bpf.c) inside the
// binary, zstd-compressed: a tool decompresses its own object only.
package bpfobj

// #cgo LDFLAGS: -lzstd
// #include <zstd.h>
import "C"

import (
	"embed"
	"fmt"
	"strings"
	"unsafe"
)

//go:embed *.bpf.o.zst
var objects embed.FS

const suffix = ".bpf.o.zst"

// Get returns the object compiled from bpf/<name>.bpf.c.
func Get(name string) ([]byte, error) {
	z, err := objects.ReadFile(name + suffix)
	if err != nil {
		return nil, fmt.Errorf("no embedded BPF object %q (was the binary built with make?)", name)
	}
	return decompress(name, z)
}

// decompress inflates one zstd frame with the libzstd the binary links for libbpf's sake.
func decompress(name string, z []byte) ([]byte, error) {
	src := unsafe.Pointer(unsafe.SliceData(z))
	size := C.ZSTD_getFrameContentSize(src, C.size_t(len(z)))
	if size == C.ZSTD_CONTENTSIZE_UNKNOWN || size == C.ZSTD_CONTENTSIZE_ERROR || size > 64<<20 {
		return nil, fmt.Errorf("embedded BPF object %s is damaged", name)
	}
	out := make([]byte, int(size))
	n := C.ZSTD_decompress(unsafe.Pointer(unsafe.SliceData(out)), C.size_t(len(out)), src, C.size_t(len(z)))
	if C.ZSTD_isError(n) != 0 || int(n) != len(out) {
		return nil, fmt.Errorf("embedded BPF object %s is damaged: %s", name, C.GoString(C.ZSTD_getErrorName(n)))
	}
	return out, nil
}

// Names lists the embedded objects.
func Names() []string {
	entries, _ := objects.ReadDir(".")
	var names []string
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(e.Name(), suffix))
	}
	return names
}
