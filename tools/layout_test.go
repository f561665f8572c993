package tools

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/cilium/ebpf/btf"

	"github.com/bpfutils/bpfutils/pkg/bpfobj"
)

// TestLayouts holds every Go struct that decodes BPF data to the C struct it mirrors, as the
// compiled object's BTF describes it: same size, and field by field the same offset and size.
func TestLayouts(t *testing.T) {
	for _, tool := range All {
		for cname, goval := range tool.Layouts {
			t.Run(tool.Name+"/"+cname, func(t *testing.T) {
				obj, err := bpfobj.Get(tool.Object)
				if err != nil {
					t.Fatal(err)
				}
				spec, err := btf.LoadSpecFromReader(bytes.NewReader(obj))
				if err != nil {
					t.Fatalf("BTF of %s: %v", tool.Object, err)
				}
				var st *btf.Struct
				if err := spec.TypeByName(cname, &st); err != nil {
					t.Fatalf("struct %s not in %s's BTF (is it used by a program or map?): %v", cname, tool.Object, err)
				}
				compareStruct(t, cname, st, reflect.TypeOf(goval))
			})
		}
	}
}

func normalize(name string) string {
	return strings.ToLower(strings.ReplaceAll(name, "_", ""))
}

func compareStruct(t *testing.T, cname string, st *btf.Struct, gt reflect.Type) {
	t.Helper()
	if uintptr(st.Size) != gt.Size() {
		t.Errorf("%s: C size %d, Go %s size %d", cname, st.Size, gt, gt.Size())
	}
	if len(st.Members) != gt.NumField() {
		t.Fatalf("%s: C has %d members, Go %s has %d fields", cname, len(st.Members), gt, gt.NumField())
	}
	for i, m := range st.Members {
		f := gt.Field(i)
		if normalize(m.Name) != normalize(f.Name) {
			t.Errorf("%s member %d: C %q, Go %q", cname, i, m.Name, f.Name)
		}
		if uintptr(m.Offset.Bytes()) != f.Offset {
			t.Errorf("%s.%s: C offset %d, Go offset %d", cname, m.Name, m.Offset.Bytes(), f.Offset)
		}
		size, err := btf.Sizeof(m.Type)
		if err != nil {
			t.Errorf("%s.%s: %v", cname, m.Name, err)
			continue
		}
		if uintptr(size) != f.Type.Size() {
			t.Errorf("%s.%s: C size %d, Go size %d", cname, m.Name, size, f.Type.Size())
		}
	}
}
