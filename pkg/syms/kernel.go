package syms

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
)

// kernelTable is /proc/kallsyms' text symbols sorted by address. kallsyms has no sizes, so a
// symbol extends to the next one, as in every kallsyms-based symbolizer.
type kernelTable struct {
	addrs   []uint64
	ents    []kentry
	names   string
	modules []string // index 0 is "" (vmlinux)
}

type kentry struct {
	nameOff uint32
	nameLen uint16
	module  uint16
}

func loadKallsyms(path string) (*kernelTable, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	t, err := parseKallsyms(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// ksym is one parsed kallsyms line; name and module alias the line's bytes.
type ksym struct {
	addr   uint64
	name   []byte
	module []byte
	global bool
}

// kraw is a symbol during loading: its name already copied into the names buffer.
type kraw struct {
	addr    uint64
	nameOff uint32
	nameLen uint16
	module  uint16
	global  bool
}

// parseKallsyms builds the table with a handful of allocations (kallsyms has 100k+ lines).
func parseKallsyms(r io.Reader) (*kernelTable, error) {
	t := &kernelTable{modules: []string{""}}
	modIdx := map[string]uint16{"": 0}
	var syms []kraw
	names := make([]byte, 0, 2<<20)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	nonzero := false
	for sc.Scan() {
		s, ok := parseKallsymsLine(sc.Bytes())
		if !ok || len(names) > 1<<31 {
			continue
		}
		if s.addr != 0 {
			nonzero = true
		}
		mi, ok := modIdx[string(s.module)]
		if !ok {
			if len(t.modules) >= 1<<16 {
				continue
			}
			mi = uint16(len(t.modules))
			modIdx[string(s.module)] = mi
			t.modules = append(t.modules, string(s.module))
		}
		name := s.name
		if len(name) >= 1<<16 {
			name = name[:1<<16-1]
		}
		syms = append(syms, kraw{addr: s.addr, nameOff: uint32(len(names)), nameLen: uint16(len(name)), module: mi, global: s.global})
		names = append(names, name...)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(syms) == 0 {
		return nil, errors.New("no text symbols")
	}
	if !nonzero {
		return nil, errors.New("all addresses are zero (kernel.kptr_restrict or missing CAP_SYSLOG)")
	}
	// Stable: among aliases at one address prefer the global one, then the first listed.
	sort.SliceStable(syms, func(i, j int) bool {
		if syms[i].addr != syms[j].addr {
			return syms[i].addr < syms[j].addr
		}
		return syms[i].global && !syms[j].global
	})
	n := 0
	for i := range syms {
		if i == 0 || syms[i].addr != syms[i-1].addr {
			n++
		}
	}
	t.addrs = make([]uint64, 0, n)
	t.ents = make([]kentry, 0, n)
	for i, s := range syms {
		if i > 0 && s.addr == syms[i-1].addr {
			continue
		}
		t.addrs = append(t.addrs, s.addr)
		t.ents = append(t.ents, kentry{nameOff: s.nameOff, nameLen: s.nameLen, module: s.module})
	}
	t.names = string(names)
	return t, nil
}

// parseKallsymsLine parses "ffffffff81000000 T _stext" or "ffffffffc0a01000 t foo\t[ext4]",
// keeping only text symbols (the only ones a stack can point into).
func parseKallsymsLine(line []byte) (ksym, bool) {
	var s ksym
	sp := bytes.IndexByte(line, ' ')
	if sp <= 0 || sp > 16 || sp+3 > len(line) || line[sp+2] != ' ' {
		return s, false
	}
	switch line[sp+1] {
	case 't', 'w':
	case 'T', 'W':
		s.global = true
	default:
		return s, false
	}
	var addr uint64
	for _, c := range line[:sp] {
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = c - '0'
		case c >= 'a' && c <= 'f':
			d = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			d = c - 'A' + 10
		default:
			return s, false
		}
		addr = addr<<4 | uint64(d)
	}
	s.addr = addr
	rest := line[sp+3:]
	if tab := bytes.IndexAny(rest, "\t "); tab >= 0 {
		mod := bytes.TrimSpace(rest[tab:])
		rest = rest[:tab]
		if len(mod) >= 2 && mod[0] == '[' && mod[len(mod)-1] == ']' {
			s.module = mod[1 : len(mod)-1]
		}
	}
	if len(rest) == 0 {
		return s, false
	}
	s.name = rest
	return s, true
}

// lookup returns the symbol with the largest address <= addr.
func (t *kernelTable) lookup(addr uint64) (name string, start uint64, module string, ok bool) {
	lo, hi := 0, len(t.addrs)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if t.addrs[m] <= addr {
			lo = m + 1
		} else {
			hi = m
		}
	}
	i := lo - 1
	if i < 0 {
		return "", 0, "", false
	}
	e := t.ents[i]
	return t.names[e.nameOff : e.nameOff+uint32(e.nameLen)], t.addrs[i], t.modules[e.module], true
}

// address returns the address of the named symbol (first match), for tests and for tools
// that need a symbol's address; it is a linear scan.
func (t *kernelTable) address(name string) (uint64, bool) {
	for i, e := range t.ents {
		if t.names[e.nameOff:e.nameOff+uint32(e.nameLen)] == name {
			return t.addrs[i], true
		}
	}
	return 0, false
}
