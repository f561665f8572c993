// Package elfsym reads function symbols out of ELF files (.symtab, .dynsym, MiniDebugInfo,
// Go's .gopclntab) into compact address-sorted tables, and maps file offsets to the virtual
// addresses those tables use.
package elfsym

import (
	"cmp"
	"slices"
	"strings"
)

// Table is an immutable, address-sorted set of function symbols. Names live in one string and
// entries are small fixed-size records, so a table costs about 20 bytes per symbol plus the
// name bytes, and holds no pointers for the garbage collector to scan besides two slices.
type Table struct {
	addrs []uint64 // start addresses, strictly increasing
	ents  []entry  // same index as addrs
	names string
}

type entry struct {
	size    uint32 // 0: extends up to the next symbol
	nameOff uint32
	nameLen uint32
}

// maxScanBack bounds how far Lookup walks back from the nearest lower symbol looking for one
// whose extent covers the address (a small function nested in a larger one's range).
const maxScanBack = 8

// Len is the number of symbols.
func (t *Table) Len() int {
	if t == nil {
		return 0
	}
	return len(t.addrs)
}

// Bytes approximates the table's memory footprint.
func (t *Table) Bytes() int64 {
	if t == nil {
		return 0
	}
	return int64(len(t.addrs))*8 + int64(len(t.ents))*12 + int64(len(t.names)) + 64
}

// Lookup finds the symbol containing addr: the one with the largest start <= addr whose size
// covers addr (symbols of unknown size extend to the next symbol). It returns the symbol's
// index (for per-symbol caches), name and start address.
func (t *Table) Lookup(addr uint64) (idx int, name string, start uint64, ok bool) {
	if t == nil || len(t.addrs) == 0 {
		return -1, "", 0, false
	}
	i := Floor(t.addrs, addr)
	if i < 0 {
		return -1, "", 0, false
	}
	for j := i; j >= 0 && i-j <= maxScanBack; j-- {
		e := t.ents[j]
		if (e.size == 0 && j == i) || addr-t.addrs[j] < uint64(e.size) {
			return j, t.names[e.nameOff : e.nameOff+e.nameLen], t.addrs[j], true
		}
	}
	return -1, "", 0, false
}

// Symbol returns the i-th symbol (in address order).
func (t *Table) Symbol(i int) Sym {
	e := t.ents[i]
	return Sym{Name: t.names[e.nameOff : e.nameOff+e.nameLen], Start: t.addrs[i], Size: uint64(e.size)}
}

// Sym is one function symbol as fed to a Builder.
type Sym struct {
	Name  string
	Start uint64
	Size  uint64
	// Rank orders aliases at the same address: higher wins (see Rank* constants).
	Rank int
}

// Ranks for aliases at the same address; added together by the readers.
const (
	RankFunc   = 4 // STT_FUNC / STT_GNU_IFUNC rather than an untyped label
	RankGlobal = 2
	RankWeak   = 1
)

// Builder collects symbols from several sources and produces a Table.
type Builder struct {
	syms []Sym
}

// Add appends one symbol; empty names are ignored.
func (b *Builder) Add(s Sym) {
	if s.Name == "" {
		return
	}
	b.syms = append(b.syms, s)
}

// Len is the number of symbols added so far (before deduplication).
func (b *Builder) Len() int { return len(b.syms) }

// Build sorts, deduplicates aliases (one symbol per address, the best-ranked) and packs the
// table. The Builder can be reused afterwards.
func (b *Builder) Build() *Table {
	syms := b.syms
	b.syms = nil
	// Sort small pointer-free keys rather than the Syms themselves: several times faster on
	// the 10k-100k symbols of a libc or a large binary.
	type key struct {
		start uint64
		i     int32
	}
	keys := make([]key, len(syms))
	for i := range syms {
		keys[i] = key{syms[i].Start, int32(i)}
	}
	slices.SortFunc(keys, func(a, b key) int {
		switch {
		case a.start != b.start:
			return cmp.Compare(a.start, b.start)
		case better(syms[a.i], syms[b.i]):
			return -1
		case better(syms[b.i], syms[a.i]):
			return 1
		}
		return 0
	})
	t := &Table{}
	var names strings.Builder
	n, nameBytes := 0, 0
	for i := range keys {
		if i > 0 && keys[i].start == keys[i-1].start {
			continue
		}
		n++
		nameBytes += len(syms[keys[i].i].Name)
	}
	names.Grow(nameBytes)
	t.addrs = make([]uint64, 0, n)
	t.ents = make([]entry, 0, n)
	for i, k := range keys {
		if i > 0 && k.start == keys[i-1].start {
			continue
		}
		s := syms[k.i]
		size := s.Size
		if size > 1<<32-1 {
			size = 1<<32 - 1
		}
		name := s.Name
		if len(name) > 1<<20 {
			name = name[:1<<20]
		}
		t.addrs = append(t.addrs, s.Start)
		t.ents = append(t.ents, entry{size: uint32(size), nameOff: uint32(names.Len()), nameLen: uint32(len(name))})
		names.WriteString(name)
	}
	t.names = names.String()
	return t
}

// better orders aliases at one address: a sized symbol over an unsized one, a function over a
// label, the name with fewer leading underscores (write over __write, the name people call),
// then binding, then the shorter name, then bytes (for a deterministic choice).
func better(a, b Sym) bool {
	if (a.Size != 0) != (b.Size != 0) {
		return a.Size != 0
	}
	if fa, fb := a.Rank&RankFunc, b.Rank&RankFunc; fa != fb {
		return fa > fb
	}
	ua, ub := leadingUnderscores(a.Name), leadingUnderscores(b.Name)
	if ua != ub {
		return ua < ub
	}
	if a.Rank != b.Rank {
		return a.Rank > b.Rank
	}
	if len(a.Name) != len(b.Name) {
		return len(a.Name) < len(b.Name)
	}
	return a.Name < b.Name
}

func leadingUnderscores(s string) int {
	n := 0
	for n < len(s) && s[n] == '_' {
		n++
	}
	return n
}

// Floor is the position of the largest of the ascending addrs that is <= addr, or -1 when
// every one is above it.
func Floor(addrs []uint64, addr uint64) int {
	lo, hi := 0, len(addrs)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if addrs[m] <= addr {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo - 1
}
