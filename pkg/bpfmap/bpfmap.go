// Package bpfmap reads BPF maps into Go values: the summary tools' "walk the histogram map,
// print, clear" step.
package bpfmap

import (
	"errors"
	"fmt"
	"syscall"
	"unsafe"

	bpf "github.com/aquasecurity/libbpfgo"
)

// Entry is one key/value pair of a map.
type Entry[K, V any] struct {
	Key   K
	Value V
}

// Keys returns every key of a hash map. Keys are collected before anything else touches the
// map, so callers may delete while they work through the result.
func Keys[K any](m *bpf.BPFMap) ([]K, error) {
	var keys []K
	var cur, next K
	first := true
	for {
		var err error
		if first {
			err = m.GetNextKey(nil, unsafe.Pointer(&next))
		} else {
			err = m.GetNextKey(unsafe.Pointer(&cur), unsafe.Pointer(&next))
		}
		if errors.Is(err, syscall.ENOENT) {
			return keys, nil
		}
		if err != nil {
			return keys, fmt.Errorf("walk map %s: %w", m.Name(), err)
		}
		keys = append(keys, next)
		cur, first = next, false
	}
}

// Entries returns every entry of a hash map; with drain set, each is deleted once read (the
// per-interval reset of periodic tools).
func Entries[K, V any](m *bpf.BPFMap, drain bool) ([]Entry[K, V], error) {
	keys, err := Keys[K](m)
	if err != nil {
		return nil, err
	}
	entries := make([]Entry[K, V], 0, len(keys))
	for i := range keys {
		v, ok := Lookup[V](m, &keys[i])
		if !ok {
			continue // deleted by the kernel side meanwhile
		}
		if drain {
			m.DeleteKey(unsafe.Pointer(&keys[i]))
		}
		entries = append(entries, Entry[K, V]{keys[i], v})
	}
	return entries, nil
}

// Lookup reads the value stored under *key.
func Lookup[V any, K any](m *bpf.BPFMap, key *K) (V, bool) {
	var v V
	b, err := m.GetValue(unsafe.Pointer(key))
	if err != nil || uintptr(len(b)) < unsafe.Sizeof(v) {
		return v, false
	}
	return *(*V)(unsafe.Pointer(&b[0])), true
}

// PerCPU reads the value under *key of a per-CPU map, one V per possible CPU. V must be a
// multiple of 8 bytes long (the kernel pads per-CPU values to 8).
func PerCPU[V any, K any](m *bpf.BPFMap, key *K) ([]V, error) {
	b, err := m.GetValue(unsafe.Pointer(key))
	if err != nil {
		return nil, fmt.Errorf("read map %s: %w", m.Name(), err)
	}
	var v V
	stride := (unsafe.Sizeof(v) + 7) &^ 7
	out := make([]V, 0, uintptr(len(b))/stride)
	for off := uintptr(0); off+unsafe.Sizeof(v) <= uintptr(len(b)); off += stride {
		out = append(out, *(*V)(unsafe.Pointer(&b[off])))
	}
	return out, nil
}

// Update stores *val under *key.
func Update[K, V any](m *bpf.BPFMap, key *K, val *V) error {
	if err := m.Update(unsafe.Pointer(key), unsafe.Pointer(val)); err != nil {
		return fmt.Errorf("update map %s: %w", m.Name(), err)
	}
	return nil
}

// Clear deletes every entry of a hash map.
func Clear[K any](m *bpf.BPFMap) error {
	keys, err := Keys[K](m)
	if err != nil {
		return err
	}
	for i := range keys {
		m.DeleteKey(unsafe.Pointer(&keys[i]))
	}
	return nil
}

// AddKeys stores val under each of keys: how user space fills a BPF filter set (the pids a
// -p list names) before the programs look keys up in it.
func AddKeys[K, V any](m *bpf.BPFMap, keys []K, val V) error {
	for i := range keys {
		if err := Update(m, &keys[i], &val); err != nil {
			return err
		}
	}
	return nil
}
