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
				spec := objectBTF(t, tool.Object)
				var st *btf.Struct
				if err := spec.TypeByName(cname, &st); err != nil {
					t.Fatalf("struct %s not in %s's BTF (is it used by a program or map?): %v", cname, tool.Object, err)
				}
				compareStruct(t, cname, st, reflect.TypeOf(goval))
			})
		}
	}
}

// TestRodata holds every rodata struct a tool's specs set (each variant --verify loads) to the
// object's .rodata: each field names a const volatile global of the object, of the same size.
func TestRodata(t *testing.T) {
	for _, tool := range All {
		if tool.Object == "" {
			continue
		}
		spec := objectBTF(t, tool.Object)
		var ds *btf.Datasec
		if err := spec.TypeByName(".rodata", &ds); err != nil {
			t.Fatalf("%s has no .rodata: %v", tool.Object, err)
		}
		globals := map[string]uint32{}
		for _, v := range ds.Vars {
			if vr, ok := v.Type.(*btf.Var); ok {
				globals[vr.Name] = v.Size
			}
		}
		for _, args := range tool.Variants() {
			s, err := tool.Spec(args)
			if err != nil {
				continue
			}
			if s.Rodata == nil {
				continue
			}
			rv := reflect.ValueOf(s.Rodata)
			if rv.Kind() != reflect.Struct {
				t.Errorf("%s %v: rodata is a %T, want a struct with bpf tags", tool.Name, args, s.Rodata)
				continue
			}
			for i := 0; i < rv.NumField(); i++ {
				f := rv.Type().Field(i)
				name := f.Tag.Get("bpf")
				size, ok := globals[name]
				switch {
				case name == "":
					t.Errorf("%s: rodata field %s has no bpf tag", tool.Name, f.Name)
				case !ok:
					t.Errorf("%s: rodata field %s names %q, which %s's .rodata does not have", tool.Name, f.Name, name, tool.Object)
				case uintptr(size) != f.Type.Size():
					t.Errorf("%s: rodata %s is %d bytes in C, %d in Go (%s)", tool.Name, name, size, f.Type.Size(), f.Type)
				}
			}
		}
	}
}

// objectBTF is the BTF of an embedded object.
func objectBTF(t *testing.T, object string) *btf.Spec {
	t.Helper()
	obj, err := bpfobj.Get(object)
	if err != nil {
		t.Fatal(err)
	}
	spec, err := btf.LoadSpecFromReader(bytes.NewReader(obj))
	if err != nil {
		t.Fatalf("BTF of %s: %v", object, err)
	}
	return spec
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
