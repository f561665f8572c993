package tracer

import (
	"bytes"
	"debug/elf"
	"testing"
	"unsafe"

	"github.com/bpfutils/bpfutils/pkg/bpfobj"
)

// Two probes choosing one program for one target get it attached once, and a chosen hook's
// Sets global is set. biosnoop's insertion fallback is the real case: its origin probe and -Q's
// insertion probe both choose rq_insert_raw, and the origin hook sets origin_late.
func TestSharedHookAttachedOnceAndSets(t *testing.T) {
	if err := Preflight(); err != nil {
		t.Skip(err)
	}
	insert := Hook{Prog: "rq_insert_raw", Kind: RawTP, Target: "block:block_rq_insert"}
	origin := insert
	origin.Sets = "origin_late"
	tr, err := Open(Spec{Object: "biosnoop", Probes: []Probe{
		{What: "origin", Hooks: []Hook{origin}},
		{What: "insertion", Hooks: []Hook{insert}},
	}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	if len(tr.links) != 1 {
		t.Errorf("%d links, want 1", len(tr.links))
	}
	off := symbolOffset(t, "biosnoop", "origin_late")
	key := uint32(0)
	data, err := tr.Map(".data").GetValue(unsafe.Pointer(&key))
	if err != nil {
		t.Fatal(err)
	}
	if data[off] != 1 {
		t.Errorf("origin_late = %d after choosing a hook that sets it", data[off])
	}
}

func symbolOffset(t *testing.T, object, name string) int {
	obj, err := bpfobj.Get(object)
	if err != nil {
		t.Fatal(err)
	}
	f, err := elf.NewFile(bytes.NewReader(obj))
	if err != nil {
		t.Fatal(err)
	}
	syms, err := f.Symbols()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range syms {
		if s.Name == name {
			return int(s.Value)
		}
	}
	t.Fatalf("%s has no symbol %s", object, name)
	return 0
}
