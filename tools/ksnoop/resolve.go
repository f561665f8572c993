package ksnoop

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/bpfutils/bpfutils/pkg/btfdump"
)

// value is one argument, member or return value as ksnoop reads it from the function's BTF:
// its type with qualifiers and one level of pointer stripped (typedefs kept, as ksnoop shows
// them), and what the BPF program needs to copy it.
type value struct {
	Name   string
	Base   int // argument 0-4, or returnIndex
	Type   uint32
	Ptr    bool
	Member bool
	Offset uint32
	Size   uint32 // bytes of the pointed-to or plain type (libbpf's resolve size; -EINVAL as u32 for void)
	Op     string
	Pred   uint64
}

// sizeUnknown is what ksnoop holds as the size of a type libbpf cannot size (void): -EINVAL as
// an unsigned 32-bit number.
const sizeUnknown = uint32(0xffffffea)

// traced is one function resolved against the kernel's BTF.
type traced struct {
	Name   string
	Module string // "" for vmlinux
	IP     uint64 // from /proc/kallsyms; 0 when it does not show addresses
	btf    *btfdump.BTF
	Args   [maxTraces]value // parameters 0-4 and the return value
	NArgs  int              // parameters the function really has
	Values []value          // what is traced
	Custom bool
	Stash  bool // predicates and both entry and return values: report on return
}

// typeValue fills v's type from type id: qualifiers skipped, a pointer noted and skipped.
func typeValue(b *btfdump.BTF, id uint32, v *value) {
	for {
		switch b.Kind(id) {
		case btfdump.KindConst, btfdump.KindVolatile, btfdump.KindRestrict:
			id = b.Ref(id)
			continue
		case btfdump.KindPtr:
			v.Ptr = true
			id = b.Ref(id)
			continue
		}
		break
	}
	v.Type = id
	v.Size = sizeUnknown
	if n := b.Size(id); n >= 0 {
		v.Size = uint32(n)
	}
}

// memberValue finds member name in struct or union id (anonymous ones searched too) and
// points v at it.
func memberValue(b *btfdump.BTF, name string, id uint32, v *value, depth int) error {
	kind := b.Kind(id)
	tname := b.Name(id)
	if tname == "" {
		tname = "<anon>"
	}
	if kind != btfdump.KindStruct && kind != btfdump.KindUnion {
		return fmt.Errorf("'%s' is not a struct/union", tname)
	}
	for _, m := range b.Members(id) {
		off := m.BitOffset / 8
		mk := b.Kind(m.Type)
		if m.Name == "" && (mk == btfdump.KindStruct || mk == btfdump.KindUnion) {
			v.Offset += off
			if memberValue(b, name, m.Type, v, depth+1) == nil {
				return nil
			}
			v.Offset -= off
			continue
		}
		if m.Name == name {
			v.Offset += off
			v.Member = true
			typeValue(b, m.Type, v)
			return nil
		}
	}
	return fmt.Errorf("No member '%s' found in %s [%d], offset %d", name, tname, id, v.Offset)
}

// kallsym is where /proc/kallsyms puts a function: its address and module.
type kallsym struct {
	addr   uint64
	module string
}

// kallsymsOf finds the functions names in /proc/kallsyms, in one pass over it; a name it does
// not list is absent from the map.
func kallsymsOf(names []string) (map[string]kallsym, error) {
	f, err := os.Open("/proc/kallsyms")
	if err != nil {
		return nil, fmt.Errorf("cannot read /proc/kallsyms: %w", err)
	}
	defer f.Close()
	found := make(map[string]kallsym, len(names))
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() && len(found) < len(names) {
		// "ffffffff81000000 T name\t[module]"
		fields := bytes.Fields(sc.Bytes())
		if len(fields) < 3 {
			continue
		}
		name := string(fields[2])
		if _, seen := found[name]; seen || !slices.Contains(names, name) {
			continue
		}
		var s kallsym
		s.addr, _ = strconv.ParseUint(string(fields[0]), 16, 64)
		if len(fields) > 3 {
			s.module = strings.Trim(string(fields[3]), "[]")
		}
		found[name] = s
	}
	return found, sc.Err()
}

// resolveAll resolves every FUNC, reading /proc/kallsyms once for all of them.
func resolveAll(specs []funcSpec) ([]*traced, error) {
	names := make([]string, len(specs))
	for i, s := range specs {
		names[i] = s.Name
	}
	syms, err := kallsymsOf(names)
	if err != nil {
		return nil, systemError{err}
	}
	funcs := make([]*traced, 0, len(specs))
	for _, s := range specs {
		t, err := resolve(s, syms[s.Name])
		if err != nil {
			return nil, err
		}
		funcs = append(funcs, t)
	}
	return funcs, nil
}

// systemError is a failure of the machine (no BTF, no /proc/kallsyms), not of what the user
// typed.
type systemError struct{ error }

// resolve reads function f's prototype from its BTF (its module's, when kallsyms puts it in
// one: sym) and the values f asks for.
func resolve(f funcSpec, sym kallsym) (*traced, error) {
	t := &traced{Name: f.Name, Custom: f.Custom, IP: sym.addr, Module: sym.module}
	var err error
	if t.Module == "" {
		t.btf, err = btfdump.Kernel()
	} else {
		t.btf, err = btfdump.Module(t.Module)
	}
	if err != nil {
		return nil, systemError{err}
	}
	b := t.btf
	id := b.FuncID(f.Name)
	if id == 0 {
		return nil, fmt.Errorf("Cannot find function '%s' in BTF", f.Name)
	}
	proto := b.Ref(id)
	if b.Kind(proto) != btfdump.KindProto {
		return nil, fmt.Errorf("Error looking up function proto type via id '%d'", id)
	}
	params := b.Params(proto)
	t.NArgs = len(params)
	for i, p := range params {
		if i == returnIndex {
			break
		}
		t.Args[i] = value{Name: p.Name, Base: i}
		typeValue(b, p.Type, &t.Args[i])
	}
	t.Args[returnIndex] = value{Name: returnName, Base: returnIndex}
	typeValue(b, b.Ref(proto), &t.Args[returnIndex])

	if !f.Custom {
		t.Values = t.Args[:]
		return t, nil
	}
	var predicates, entries, returns int
	for _, a := range f.Args {
		v, err := t.argValue(a)
		if err != nil {
			return nil, err
		}
		if a.Op != "" {
			predicates++
		}
		if v.Base == returnIndex {
			returns++
		} else {
			entries++
		}
		t.Values = append(t.Values, v)
	}
	t.Stash = predicates > 0 && entries > 0 && returns > 0
	return t, nil
}

// argValue resolves one arg of the FUNC against the prototype.
func (t *traced) argValue(a argSpec) (value, error) {
	for i := range t.Args {
		arg := &t.Args[i]
		if arg.Name == "" || arg.Name != a.Arg {
			continue
		}
		v := value{Name: a.Name(), Base: i}
		if a.Member != "" {
			if err := memberValue(t.btf, a.Member, arg.Type, &v, 0); err != nil {
				return v, err
			}
		} else {
			v.Type, v.Ptr, v.Size = arg.Type, arg.Ptr, arg.Size
		}
		if a.Op != "" {
			if !v.Ptr && (v.Size == 0 || v.Size > 8) {
				return v, fmt.Errorf("'%s' (size %d) does not support predicate comparison", v.Name, v.Size)
			}
			v.Op, v.Pred = a.Op, a.Value
		}
		return v, nil
	}
	return value{}, fmt.Errorf("Could not find '%s' in arguments/return value for '%s'", a.Arg, t.Name)
}

// typeString is how ksnoop names a type: "struct file ", "char ", "size_t ", with "* " for a
// pointer it meets and "[]" for an array.
func typeString(b *btfdump.BTF, id uint32) string {
	if id == 0 {
		return "void "
	}
	prefix, name, suffix, ptr := "", "", " ", ""
	// ksnoop loops forever on an anonymous type (a function pointer's prototype); it is shown
	// without a name here.
	for range 32 {
		kind := b.Kind(id)
		if kind == btfdump.KindUnknown {
			name = "?"
			break
		}
		switch kind {
		case btfdump.KindConst, btfdump.KindVolatile, btfdump.KindRestrict:
			id = b.Ref(id)
			continue
		case btfdump.KindPtr:
			ptr = "* "
			id = b.Ref(id)
			continue
		case btfdump.KindArray:
			suffix = "[]"
			id = b.Ref(id)
			continue
		case btfdump.KindStruct:
			prefix = "struct "
		case btfdump.KindUnion:
			prefix = "union "
		case btfdump.KindEnum:
			prefix = "enum "
		}
		name = b.Name(id)
		break
	}
	return prefix + name + suffix + ptr
}

// valueString is a value as info shows it: its type, '*' for a pointer, its name.
func valueString(b *btfdump.BTF, v *value) string {
	s := typeString(b, v.Type)
	if v.Ptr {
		s += "*"
	}
	if v.Name != returnName {
		s += v.Name
	}
	return s
}

// prototype is info's line for t.
func (t *traced) prototype() string {
	var sb strings.Builder
	sb.WriteString(valueString(t.btf, &t.Args[returnIndex]))
	sb.WriteString(t.Name)
	sb.WriteByte('(')
	for i := 0; i < t.NArgs; i++ {
		if i > 0 {
			sb.WriteString(", ")
		}
		// ksnoop shows the return value's type in the sixth place and void beyond.
		if i < len(t.Args) {
			sb.WriteString(valueString(t.btf, &t.Args[i]))
		} else {
			sb.WriteString("void ")
		}
	}
	if t.NArgs > returnIndex {
		fmt.Fprintf(&sb, " /* and %d more args that are not traceable */", t.NArgs-returnIndex)
	}
	sb.WriteString(");")
	return sb.String()
}
