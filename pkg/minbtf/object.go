package minbtf

import (
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// CO-RE relocation kinds (enum bpf_core_relo_kind).
const (
	reloFieldByteOffset = 0
	reloFieldByteSize   = 1
	reloFieldExists     = 2
	reloFieldSigned     = 3
	reloFieldLShiftU64  = 4
	reloFieldRShiftU64  = 5
	reloTypeIDLocal     = 6
	reloTypeIDTarget    = 7
	reloTypeExists      = 8
	reloTypeSize        = 9
	reloEnumvalExists   = 10
	reloEnumvalValue    = 11
	reloTypeMatches     = 12
)

// Relocation is one CO-RE relocation record of .BTF.ext.
type Relocation struct {
	InsnOff uint32
	TypeID  uint32 // local type id, in the object's .BTF
	Access  []int  // the access string "0:2:1"
	Kind    uint32
}

// Object is what the generator needs of a BPF ELF object.
type Object struct {
	BTF    *BTF
	Relocs []Relocation
	// Ksyms: the object has extern kernel symbols (.ksyms), typed ones need the kernel's own BTF.
	Ksyms bool
}

// ParseObject reads the local BTF and the CO-RE relocations of a BPF ELF object.
func ParseObject(obj []byte) (*Object, error) {
	f, err := elf.NewFile(bytes.NewReader(obj))
	if err != nil {
		return nil, err
	}
	sec := f.Section(".BTF")
	if sec == nil {
		return nil, errors.New("object has no .BTF")
	}
	raw, err := sec.Data()
	if err != nil {
		return nil, err
	}
	local, err := Parse(raw)
	if err != nil {
		return nil, fmt.Errorf(".BTF: %w", err)
	}
	o := &Object{BTF: local}
	for id := uint32(1); int(id) <= local.NumTypes(); id++ {
		if local.kind(id) == kindDatasec && local.name(id) == ".ksyms" {
			o.Ksyms = true
		}
	}
	if sec := f.Section(".BTF.ext"); sec != nil {
		ext, err := sec.Data()
		if err != nil {
			return nil, err
		}
		if o.Relocs, err = parseCoreRelos(ext, local); err != nil {
			return nil, fmt.Errorf(".BTF.ext: %w", err)
		}
	}
	return o, nil
}

func parseCoreRelos(ext []byte, local *BTF) ([]Relocation, error) {
	if len(ext) < 24 || le.Uint16(ext) != btfMagic {
		return nil, errors.New("bad header")
	}
	hdrLen := le.Uint32(ext[4:])
	if hdrLen < 32 {
		return nil, nil // written before CO-RE relocations existed
	}
	if len(ext) < 32 {
		return nil, errors.New("truncated header")
	}
	off, n := uint64(hdrLen)+uint64(le.Uint32(ext[24:])), uint64(le.Uint32(ext[28:]))
	if n == 0 {
		return nil, nil
	}
	if off+n > uint64(len(ext)) || n < 4 {
		return nil, errors.New("CO-RE relocations out of bounds")
	}
	sec := ext[off : off+n]
	recSize := int(le.Uint32(sec))
	if recSize < 16 {
		return nil, fmt.Errorf("CO-RE relocation record of %d bytes", recSize)
	}
	var relos []Relocation
	for p := 4; p < len(sec); {
		if p+8 > len(sec) {
			return nil, errors.New("truncated section header")
		}
		count := int(le.Uint32(sec[p+4:]))
		p += 8
		if p+count*recSize > len(sec) {
			return nil, errors.New("truncated relocations")
		}
		for i := 0; i < count; i++ {
			r := sec[p : p+recSize]
			p += recSize
			access, err := parseAccess(local.str(le.Uint32(r[8:])))
			if err != nil {
				return nil, err
			}
			relos = append(relos, Relocation{InsnOff: le.Uint32(r), TypeID: le.Uint32(r[4:]), Access: access, Kind: le.Uint32(r[12:])})
		}
	}
	return relos, nil
}

func parseAccess(s string) ([]int, error) {
	var out []int
	for _, part := range strings.Split(s, ":") {
		n, err := strconv.Atoi(part)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("bad CO-RE access string %q", s)
		}
		out = append(out, n)
	}
	return out, nil
}
