package bpfmap

import (
	"errors"
	"syscall"
	"unsafe"

	bpf "github.com/aquasecurity/libbpfgo"
)

// Drain returns every entry of a hash map and deletes it, each in one step where the kernel
// can (BPF_MAP_LOOKUP_AND_DELETE_ELEM on hash maps, Linux 5.14): a BPF program adding to an
// entry between a lookup and a delete would lose what it added, which an exact counter (tcptop's
// bytes) cannot afford. Older kernels get Entries with drain.
func Drain[K, V any](m *bpf.BPFMap) ([]Entry[K, V], error) {
	keys, err := Keys[K](m)
	if err != nil {
		return nil, err
	}
	entries := make([]Entry[K, V], 0, len(keys))
	for i := range keys {
		var v V
		err := m.LookupAndDeleteElem(unsafe.Pointer(&keys[i]), unsafe.Pointer(&v), uint64(unsafe.Sizeof(v)), bpf.MapFlagUpdateAny)
		switch {
		case err == nil:
			entries = append(entries, Entry[K, V]{keys[i], v})
		case errors.Is(err, syscall.ENOENT):
			// deleted meanwhile
		case errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.ENOTSUP) || errors.Is(err, syscall.Errno(524)):
			return drainSlowly(m, keys[i:], entries)
		default:
			return entries, err
		}
	}
	return entries, nil
}

// drainSlowly finishes Drain with a lookup and a delete for each of the keys left.
func drainSlowly[K, V any](m *bpf.BPFMap, keys []K, entries []Entry[K, V]) ([]Entry[K, V], error) {
	for i := range keys {
		v, ok := Lookup[V](m, &keys[i])
		if !ok {
			continue
		}
		m.DeleteKey(unsafe.Pointer(&keys[i]))
		entries = append(entries, Entry[K, V]{keys[i], v})
	}
	return entries, nil
}
