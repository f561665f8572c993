package minbtf

import (
	"errors"
	"fmt"
	"sort"
)

// ErrNeedsKernelBTF: the object needs something a minimal BTF cannot give (typed ksyms, kernel
// type ids, deep type matching); the caller should let libbpf use the kernel's BTF.
var ErrNeedsKernelBTF = errors.New("object needs the full kernel BTF")

// kept says how much of one kernel type the minimal BTF holds. A struct or union holds the
// members marked (none: a stub with just name and size) or, when whole, all of them; other kinds
// are always copied whole.
type kept struct {
	whole   bool
	members []bool
}

type generator struct {
	kernel, local *BTF
	keep          map[uint32]*kept
}

// GenerateFor returns raw BTF with the kernel types that the object's CO-RE relocations can
// reach: every candidate of every relocation (all kernel types of the local type's kind and
// flavor-less name), and in each candidate the members along the relocation's access path. Any
// type those refer to comes along as a stub. libbpf relocating against it gets what it gets from
// the full BTF.
//
// Missing lists the relocated type names that vmlinux has no candidate for. libbpf, given the
// full BTF, would look for those in the modules' BTF as well; given this one, it does not.
func GenerateFor(o *Object, kernel *BTF) (raw []byte, missing []string, err error) {
	if o.Ksyms {
		return nil, nil, fmt.Errorf("%w: extern kernel symbols", ErrNeedsKernelBTF)
	}
	g := &generator{kernel: kernel, local: o.BTF, keep: map[uint32]*kept{}}
	wanted := map[string][]uint32{}
	var relos []Relocation
	for _, r := range o.Relocs {
		switch r.Kind {
		case reloTypeIDLocal:
			continue
		case reloTypeIDTarget, reloTypeMatches:
			return nil, nil, fmt.Errorf("%w: CO-RE relocation kind %d", ErrNeedsKernelBTF, r.Kind)
		}
		if !o.BTF.valid(r.TypeID) || len(r.Access) == 0 {
			return nil, nil, fmt.Errorf("CO-RE relocation on bad type %d", r.TypeID)
		}
		name := essentialName(o.BTF.strBytes(o.BTF.nameOff(r.TypeID)))
		if len(name) == 0 {
			return nil, nil, fmt.Errorf("CO-RE relocation on anonymous type %d", r.TypeID)
		}
		wanted[string(name)] = nil
		relos = append(relos, r)
	}
	if len(relos) == 0 {
		return nil, nil, errors.New("object has no CO-RE relocations against kernel types")
	}
	// One pass over the kernel's types finds the candidates of every relocation.
	kernel.walk(func(id, off uint32) {
		name := essentialName(kernel.strBytes(le.Uint32(kernel.types[off:])))
		if len(name) == 0 {
			return
		}
		if ids, ok := wanted[string(name)]; ok {
			wanted[string(name)] = append(ids, id)
		}
	})
	for name, ids := range wanted {
		if len(ids) == 0 {
			missing = append(missing, name)
		}
	}
	sort.Strings(missing)
	for _, r := range relos {
		localKind := o.BTF.kind(r.TypeID)
		for _, cand := range wanted[string(essentialName(o.BTF.strBytes(o.BTF.nameOff(r.TypeID))))] {
			if !coreCompatKinds(localKind, kernel.kind(cand)) {
				continue
			}
			switch r.Kind {
			case reloFieldByteOffset, reloFieldByteSize, reloFieldExists, reloFieldSigned, reloFieldLShiftU64, reloFieldRShiftU64:
				g.stub(cand)
				g.walkFields(r.TypeID, cand, r.Access)
			default:
				// Type and enum value relocations look at the candidate as a whole.
				g.keepWhole(cand)
			}
		}
	}
	raw, err = g.emit()
	return raw, missing, err
}

func (g *generator) entry(id uint32) *kept {
	k := g.keep[id]
	if k == nil {
		k = &kept{}
		if isComposite(g.kernel.kind(id)) {
			k.members = make([]bool, g.kernel.vlen(id))
		}
		g.keep[id] = k
	}
	return k
}

func (g *generator) stub(id uint32) { g.entry(id) }

func (g *generator) keepWhole(id uint32) { g.entry(id).whole = true }

func (g *generator) keepMember(id uint32, i int) { g.entry(id).members[i] = true }

// walkFields follows a field relocation's access path through the local type and, by member
// name, through the kernel candidate, keeping every kernel member on the way. The first access
// indexes the root as an array and needs no member.
func (g *generator) walkFields(localID, kernelID uint32, access []int) {
	l, k := g.local, g.kernel
	for _, idx := range access[1:] {
		lt := l.skipModsTypedefs(localID)
		kt := k.skipModsTypedefs(kernelID)
		switch l.kind(lt) {
		case kindStruct, kindUnion:
			if idx >= l.vlen(lt) {
				return
			}
			m := l.member(lt, idx)
			localID = m.typ
			name := l.strBytes(m.name)
			if len(name) == 0 {
				// libbpf skips anonymous local members: the kernel side stays where it is.
				continue
			}
			if !isComposite(k.kind(kt)) {
				return
			}
			next, ok := g.matchMember(kt, string(name))
			if !ok {
				return
			}
			kernelID = next
		case kindArray:
			localID = l.arrayElem(lt)
			if k.kind(kt) != kindArray {
				return
			}
			kernelID = k.arrayElem(kt)
		default:
			return
		}
	}
}

// matchMember finds member name in composite id, looking into anonymous struct and union
// members as libbpf does, keeps the members on the way and returns the found member's type.
func (g *generator) matchMember(id uint32, name string) (uint32, bool) {
	k := g.kernel
	n := k.vlen(id)
	for i := 0; i < n; i++ {
		m := k.member(id, i)
		mname := k.strBytes(m.name)
		if len(mname) == 0 {
			inner := k.skipModsTypedefs(m.typ)
			if !isComposite(k.kind(inner)) {
				continue
			}
			if t, ok := g.matchMember(inner, name); ok {
				g.keepMember(id, i)
				return t, true
			}
			continue
		}
		if string(mname) != name {
			continue
		}
		g.keepMember(id, i)
		// libbpf lets an index run past a flexible array, one that is its struct's last member;
		// keeping the last member keeps that judgement the same.
		if k.kind(k.skipModsTypedefs(m.typ)) == kindArray {
			g.keepMember(id, n-1)
		}
		return m.typ, true
	}
	return 0, false
}

// refs lists the types that kept type id refers to.
func (g *generator) refs(id uint32, kp *kept) []uint32 {
	k := g.kernel
	switch k.kind(id) {
	case kindPtr, kindTypedef, kindVolatile, kindConst, kindRestrict, kindTypeTag, kindFunc, kindVar, kindDeclTag:
		return []uint32{k.sizeOrType(id)}
	case kindArray:
		e := k.extra(id)
		return []uint32{le.Uint32(e), le.Uint32(e[4:])}
	case kindStruct, kindUnion:
		var out []uint32
		for i := 0; i < k.vlen(id); i++ {
			if kp.whole || kp.members[i] {
				out = append(out, k.member(id, i).typ)
			}
		}
		return out
	case kindFuncProto:
		out := []uint32{k.sizeOrType(id)}
		e := k.extra(id)
		for i := 0; i < k.vlen(id); i++ {
			out = append(out, le.Uint32(e[8*i+4:]))
		}
		return out
	case kindDatasec:
		var out []uint32
		e := k.extra(id)
		for i := 0; i < k.vlen(id); i++ {
			out = append(out, le.Uint32(e[12*i:]))
		}
		return out
	}
	return nil
}

func (g *generator) emit() ([]byte, error) {
	k := g.kernel
	var queue []uint32
	for id := range g.keep {
		queue = append(queue, id)
	}
	for len(queue) > 0 {
		id := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		for _, ref := range g.refs(id, g.keep[id]) {
			if ref == 0 {
				continue
			}
			if !k.valid(ref) {
				return nil, fmt.Errorf("kernel type %d refers to missing type %d", id, ref)
			}
			if _, ok := g.keep[ref]; !ok {
				g.stub(ref)
				queue = append(queue, ref)
			}
		}
	}
	ids := make([]uint32, 0, len(g.keep))
	for id := range g.keep {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	newID := make(map[uint32]uint32, len(ids))
	for i, id := range ids {
		newID[id] = uint32(i + 1)
	}
	remap := func(id uint32) uint32 { return newID[id] } // void stays 0

	strs := newStrings()
	var types []byte
	u32 := func(v uint32) { types = le.AppendUint32(types, v) }
	for _, id := range ids {
		kp := g.keep[id]
		info := k.info(k.off(id))
		kind := int(info>>24) & 0x1f
		extra := k.extra(id)
		third := k.sizeOrType(id)
		switch kind {
		case kindPtr, kindTypedef, kindVolatile, kindConst, kindRestrict, kindTypeTag, kindFunc, kindVar, kindDeclTag, kindFuncProto:
			third = remap(third)
		}
		var members []uint32 // member indices kept, for structs and unions
		if isComposite(kind) {
			for i := 0; i < k.vlen(id); i++ {
				if kp.whole || kp.members[i] {
					members = append(members, uint32(i))
				}
			}
			info = info&^0xffff | uint32(len(members))
		}
		u32(strs.add(k.strBytes(k.nameOff(id))))
		u32(info)
		u32(third)
		switch kind {
		case kindInt, kindVar, kindDeclTag:
			types = append(types, extra...)
		case kindArray:
			u32(remap(le.Uint32(extra)))
			u32(remap(le.Uint32(extra[4:])))
			u32(le.Uint32(extra[8:]))
		case kindStruct, kindUnion:
			for _, i := range members {
				m := k.member(id, int(i))
				u32(strs.add(k.strBytes(m.name)))
				u32(remap(m.typ))
				u32(m.offset)
			}
		case kindEnum:
			for i := 0; i < len(extra); i += 8 {
				u32(strs.add(k.strBytes(le.Uint32(extra[i:]))))
				u32(le.Uint32(extra[i+4:]))
			}
		case kindEnum64:
			for i := 0; i < len(extra); i += 12 {
				u32(strs.add(k.strBytes(le.Uint32(extra[i:]))))
				u32(le.Uint32(extra[i+4:]))
				u32(le.Uint32(extra[i+8:]))
			}
		case kindFuncProto:
			for i := 0; i < len(extra); i += 8 {
				u32(strs.add(k.strBytes(le.Uint32(extra[i:]))))
				u32(remap(le.Uint32(extra[i+4:])))
			}
		case kindDatasec:
			for i := 0; i < len(extra); i += 12 {
				u32(remap(le.Uint32(extra[i:])))
				u32(le.Uint32(extra[i+4:]))
				u32(le.Uint32(extra[i+8:]))
			}
		}
	}
	out := make([]byte, 0, btfHeaderLen+len(types)+len(strs.data))
	out = le.AppendUint16(out, btfMagic)
	out = append(out, 1, 0) // version, flags
	out = le.AppendUint32(out, btfHeaderLen)
	out = le.AppendUint32(out, 0)
	out = le.AppendUint32(out, uint32(len(types)))
	out = le.AppendUint32(out, uint32(len(types)))
	out = le.AppendUint32(out, uint32(len(strs.data)))
	out = append(out, types...)
	return append(out, strs.data...), nil
}

type stringTable struct {
	data []byte
	at   map[string]uint32
}

func newStrings() *stringTable { return &stringTable{data: []byte{0}, at: map[string]uint32{"": 0}} }

func (s *stringTable) add(b []byte) uint32 {
	if off, ok := s.at[string(b)]; ok {
		return off
	}
	off := uint32(len(s.data))
	s.data = append(append(s.data, b...), 0)
	s.at[string(b)] = off
	return off
}
