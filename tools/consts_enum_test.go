package tools

import (
	"bytes"
	"strings"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/btf"

	"github.com/bpfutils/bpfutils/pkg/bpfobj"
)

// TestConsts holds every constant a tool repeats from its BPF side (Def.Consts) to the value the
// compiled object carries: an enum member of its BTF, or a map's declared size.
func TestConsts(t *testing.T) {
	for _, tool := range All {
		if len(tool.Consts) == 0 {
			continue
		}
		obj, err := bpfobj.Get(tool.Object)
		if err != nil {
			t.Fatal(err)
		}
		coll, err := ebpf.LoadCollectionSpecFromReader(bytes.NewReader(obj))
		if err != nil {
			t.Fatal(err)
		}
		enums := map[string]int64{}
		for typ, err := range coll.Types.All() {
			if err != nil {
				t.Fatal(err)
			}
			if e, ok := typ.(*btf.Enum); ok {
				for _, v := range e.Values {
					enums[v.Name] = int64(v.Value)
				}
			}
		}
		for name, goVal := range tool.Consts {
			var cVal int64
			var ok bool
			if m, isMap := strings.CutPrefix(name, "max_entries:"); isMap {
				var ms *ebpf.MapSpec
				if ms, ok = coll.Maps[m]; ok {
					cVal = int64(ms.MaxEntries)
				}
			} else {
				cVal, ok = enums[name]
			}
			switch {
			case !ok:
				t.Errorf("%s: %s not found in %s (an enum member or max_entries:MAP)", tool.Name, name, tool.Object)
			case cVal != goVal:
				t.Errorf("%s: %s is %d in the object, %d in Go", tool.Name, name, cVal, goVal)
			}
		}
	}
}
