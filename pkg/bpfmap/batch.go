package bpfmap

import (
	"errors"
	"runtime"
	"syscall"
	"unsafe"

	bpf "github.com/aquasecurity/libbpfgo"
	"golang.org/x/sys/unix"
)

// bpfMapLookupBatch is BPF_MAP_LOOKUP_BATCH (Linux 5.6).
const bpfMapLookupBatch = 24

// batchAttr is union bpf_attr's "batch" member.
type batchAttr struct {
	inBatch, outBatch, keys, values uint64
	count, mapFD                    uint32
	elemFlags, flags                uint64
}

// EntriesBatch is Entries for large hash maps (memleak's million outstanding allocations): the
// entries come a few thousand per system call instead of two calls each. Kernels without
// batch operations get Entries. K and V must be the map's key and value, V a multiple of 8
// bytes long or the map's value size exactly.
func EntriesBatch[K, V any](m *bpf.BPFMap) ([]Entry[K, V], error) {
	n := 4096
	var out []Entry[K, V]
	var token uint32
	first := true
	for {
		keys, values := make([]K, n), make([]V, n)
		var next uint32
		attr := batchAttr{
			outBatch: uint64(uintptr(unsafe.Pointer(&next))),
			keys:     uint64(uintptr(unsafe.Pointer(&keys[0]))),
			values:   uint64(uintptr(unsafe.Pointer(&values[0]))),
			count:    uint32(n),
			mapFD:    uint32(m.FileDescriptor()),
		}
		if !first {
			attr.inBatch = uint64(uintptr(unsafe.Pointer(&token)))
		}
		_, _, errno := unix.Syscall(unix.SYS_BPF, bpfMapLookupBatch, uintptr(unsafe.Pointer(&attr)), unsafe.Sizeof(attr))
		runtime.KeepAlive(keys)
		runtime.KeepAlive(values)
		switch {
		case errno == syscall.ENOSPC:
			// One bucket holds more than n entries: ask for more at once.
			n *= 2
			continue
		case errno != 0 && errno != syscall.ENOENT && first:
			if errors.Is(errno, syscall.EINVAL) || errors.Is(errno, syscall.ENOTSUP) || errno == 524 /* ENOTSUPP */ {
				return Entries[K, V](m, false)
			}
			return nil, errno
		case errno != 0 && errno != syscall.ENOENT:
			return nil, errno
		}
		for i := 0; i < int(attr.count); i++ {
			out = append(out, Entry[K, V]{keys[i], values[i]})
		}
		if errno == syscall.ENOENT {
			return out, nil
		}
		token, first = next, false
	}
}
