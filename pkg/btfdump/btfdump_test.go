package btfdump

import (
	"encoding/binary"
	"errors"
	"testing"
)

func kernelBTF(t *testing.T) *BTF {
	t.Helper()
	b, err := Kernel()
	if err != nil {
		t.Skip(err)
	}
	return b
}

func TestPrototype(t *testing.T) {
	b := kernelBTF(t)
	fn := b.FuncID("vfs_read")
	if fn == 0 || b.Kind(fn) != KindFunc || b.Name(fn) != "vfs_read" {
		t.Fatalf("vfs_read: id %d kind %d", fn, b.Kind(fn))
	}
	proto := b.Ref(fn)
	params := b.Params(proto)
	if len(params) != 4 || params[0].Name != "file" || params[2].Name != "count" {
		t.Fatalf("params %+v", params)
	}
	if k := b.Kind(params[0].Type); k != KindPtr {
		t.Errorf("file is kind %d", k)
	}
	file := b.Ref(params[0].Type)
	for b.Kind(file) == KindConst || b.Kind(file) == KindVolatile {
		file = b.Ref(file)
	}
	if b.Kind(file) != KindStruct || b.Name(file) != "file" || b.Size(file) <= 0 {
		t.Errorf("struct file: kind %d name %q size %d", b.Kind(file), b.Name(file), b.Size(file))
	}
	var mode bool
	for _, m := range b.Members(file) {
		mode = mode || m.Name == "f_mode"
	}
	if !mode {
		t.Error("struct file has no f_mode")
	}
	if b.FuncID("no_such_function_bpfutils") != 0 || b.Kind(0) != KindUnknown || b.Size(1<<30) != -1 {
		t.Error("lookups of nothing found something")
	}
}

func TestDump(t *testing.T) {
	b := kernelBTF(t)
	count := b.Params(b.Ref(b.FuncID("vfs_read")))[2].Type // size_t
	data := binary.LittleEndian.AppendUint64(nil, 4097)
	got, err := b.Dump([]byte("x"), count, data, 2)
	if err != nil || string(got) != "x  (size_t)4097" {
		t.Errorf("dump %q, %v", got, err)
	}
	got, err = b.Dump(nil, count, data[:4], 0)
	if !errors.Is(err, ErrTruncated) {
		t.Errorf("short data: %q, %v", got, err)
	}
	if _, err := b.Dump(nil, 1<<30, data, 0); err == nil {
		t.Error("dumped a type that does not exist")
	}
}
