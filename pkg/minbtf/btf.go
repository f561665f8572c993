// Package minbtf writes, for one BPF object, a raw BTF blob holding only the kernel types its CO-RE
// relocations can look at. libbpf relocates against that blob (btf_custom_path) instead of
// reading and copying the whole of /sys/kernel/btf/vmlinux (several MB) into malloc'd memory.
package minbtf

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
)

// BTF kinds (include/uapi/linux/btf.h).
const (
	kindInt       = 1
	kindPtr       = 2
	kindArray     = 3
	kindStruct    = 4
	kindUnion     = 5
	kindEnum      = 6
	kindFwd       = 7
	kindTypedef   = 8
	kindVolatile  = 9
	kindConst     = 10
	kindRestrict  = 11
	kindFunc      = 12
	kindFuncProto = 13
	kindVar       = 14
	kindDatasec   = 15
	kindFloat     = 16
	kindDeclTag   = 17
	kindTypeTag   = 18
	kindEnum64    = 19
)

const (
	btfMagic     = 0xeb9f
	btfHeaderLen = 24
	typeHeadLen  = 12
)

var le = binary.LittleEndian

// BTF is a read-only view of raw BTF: the type and string sections stay where they are (often an
// mmapped file); only a sparse index from type id to the type's byte offset is built, since a
// full one would take half a megabyte for the kernel's types.
type BTF struct {
	types []byte
	strs  []byte
	count int      // types, void excluded
	offs  []uint32 // offs[i]: offset of type id i*indexStride+1
}

// indexStride: finding a type takes at most this many steps from the nearest indexed one.
const indexStride = 16

// Parse indexes raw BTF (header, types, strings) without copying it.
func Parse(raw []byte) (*BTF, error) {
	if len(raw) < btfHeaderLen || le.Uint16(raw) != btfMagic {
		return nil, errors.New("not little-endian raw BTF")
	}
	hdrLen := uint64(le.Uint32(raw[4:]))
	typeOff, typeLen := uint64(le.Uint32(raw[8:])), uint64(le.Uint32(raw[12:]))
	strOff, strLen := uint64(le.Uint32(raw[16:])), uint64(le.Uint32(raw[20:]))
	if hdrLen+typeOff+typeLen > uint64(len(raw)) || hdrLen+strOff+strLen > uint64(len(raw)) {
		return nil, errors.New("BTF sections out of bounds")
	}
	b := &BTF{
		types: raw[hdrLen+typeOff : hdrLen+typeOff+typeLen],
		strs:  raw[hdrLen+strOff : hdrLen+strOff+strLen],
	}
	// Counting first sizes the index exactly: the kernel has over 100k types.
	count, err := b.walk(nil)
	if err != nil {
		return nil, err
	}
	b.count = count
	b.offs = make([]uint32, 0, count/indexStride+1)
	_, err = b.walk(func(id, off uint32) {
		if (id-1)%indexStride == 0 {
			b.offs = append(b.offs, off)
		}
	})
	return b, err
}

// walk calls visit with the id and offset of every type in order and counts them.
func (b *BTF) walk(visit func(id, off uint32)) (int, error) {
	count := 0
	for off := 0; off < len(b.types); count++ {
		if off+typeHeadLen > len(b.types) {
			return 0, errors.New("truncated BTF type")
		}
		n, err := b.extraLen(uint32(off))
		if err != nil {
			return 0, fmt.Errorf("type %d: %w", count+1, err)
		}
		if visit != nil {
			visit(uint32(count+1), uint32(off))
		}
		off += typeHeadLen + n
		if off > len(b.types) {
			return 0, errors.New("truncated BTF type")
		}
	}
	return count, nil
}

// NumTypes counts the types, void excluded.
func (b *BTF) NumTypes() int { return b.count }

func (b *BTF) info(off uint32) uint32 { return le.Uint32(b.types[off+4:]) }

func (b *BTF) extraLen(off uint32) (int, error) {
	info := b.info(off)
	vlen := int(info & 0xffff)
	switch kind := (info >> 24) & 0x1f; kind {
	case kindInt, kindVar, kindDeclTag:
		return 4, nil
	case kindArray:
		return 12, nil
	case kindStruct, kindUnion, kindDatasec, kindEnum64:
		return 12 * vlen, nil
	case kindEnum, kindFuncProto:
		return 8 * vlen, nil
	case kindPtr, kindFwd, kindTypedef, kindVolatile, kindConst, kindRestrict, kindFunc, kindFloat, kindTypeTag:
		return 0, nil
	default:
		return 0, fmt.Errorf("unknown BTF kind %d", kind)
	}
}

func (b *BTF) valid(id uint32) bool { return id > 0 && int(id) <= b.count }

func (b *BTF) off(id uint32) uint32 {
	off := b.offs[(id-1)/indexStride]
	for n := (id - 1) % indexStride; n > 0; n-- {
		extra, _ := b.extraLen(off)
		off += typeHeadLen + uint32(extra)
	}
	return off
}

// Kind of type id (0 for void or a bad id).
func (b *BTF) kind(id uint32) int {
	if !b.valid(id) {
		return 0
	}
	return int(b.info(b.off(id))>>24) & 0x1f
}

func (b *BTF) vlen(id uint32) int { return int(b.info(b.off(id)) & 0xffff) }

func (b *BTF) nameOff(id uint32) uint32 { return le.Uint32(b.types[b.off(id):]) }

// sizeOrType is the third word of a type: a size or a referenced type id, depending on the kind.
func (b *BTF) sizeOrType(id uint32) uint32 { return le.Uint32(b.types[b.off(id)+8:]) }

func (b *BTF) strBytes(off uint32) []byte {
	if int(off) >= len(b.strs) {
		return nil
	}
	s := b.strs[off:]
	if i := bytes.IndexByte(s, 0); i >= 0 {
		return s[:i]
	}
	return s
}

func (b *BTF) str(off uint32) string { return string(b.strBytes(off)) }

func (b *BTF) name(id uint32) string {
	if !b.valid(id) {
		return ""
	}
	return b.str(b.nameOff(id))
}

// extra returns the bytes that follow a type's 12-byte head.
func (b *BTF) extra(id uint32) []byte {
	off := b.off(id) + typeHeadLen
	n, _ := b.extraLen(b.off(id))
	return b.types[off : off+uint32(n)]
}

type member struct{ name, typ, offset uint32 }

func (b *BTF) member(id uint32, i int) member {
	e := b.extra(id)[12*i:]
	return member{le.Uint32(e), le.Uint32(e[4:]), le.Uint32(e[8:])}
}

func (b *BTF) arrayElem(id uint32) uint32 { return le.Uint32(b.extra(id)) }

func isComposite(kind int) bool { return kind == kindStruct || kind == kindUnion }

// skipModsTypedefs follows typedefs and qualifiers to the type they name, as libbpf does before
// comparing kinds.
func (b *BTF) skipModsTypedefs(id uint32) uint32 {
	for i := 0; i < 64; i++ {
		switch b.kind(id) {
		case kindTypedef, kindVolatile, kindConst, kindRestrict, kindTypeTag:
			id = b.sizeOrType(id)
		default:
			return id
		}
	}
	return id
}

// essentialName drops a CO-RE flavor suffix: "task_struct___old" matches "task_struct".
func essentialName(name []byte) []byte {
	for i := len(name) - 5; i >= 0; i-- {
		if name[i] != '_' && name[i+1] == '_' && name[i+2] == '_' && name[i+3] == '_' && name[i+4] != '_' {
			return name[:i+1]
		}
	}
	return name
}

// coreCompatKinds: CO-RE candidates have the local type's kind, except that enum and enum64 stand in
// for each other.
func coreCompatKinds(a, b int) bool {
	isEnum := func(k int) bool { return k == kindEnum || k == kindEnum64 }
	return a == b || isEnum(a) && isEnum(b)
}

// FuncID finds a BTF_KIND_FUNC by name (0 when there is none).
func (b *BTF) FuncID(name string) uint32 { return b.named(kindFunc, name) }

// TypedefID finds a BTF_KIND_TYPEDEF by name (0 when there is none). The kernel declares every
// tracepoint it can hand to raw_tp and tp_btf programs as typedef btf_trace_<name>.
func (b *BTF) TypedefID(name string) uint32 { return b.named(kindTypedef, name) }

// named finds the first type of a kind by name (0 when there is none).
func (b *BTF) named(kind int, name string) uint32 {
	found := uint32(0)
	b.walk(func(id, off uint32) {
		if found == 0 && int(b.info(off)>>24)&0x1f == kind && string(b.strBytes(le.Uint32(b.types[off:]))) == name {
			found = id
		}
	})
	return found
}
