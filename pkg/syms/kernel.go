package syms

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"sync"

	"github.com/bpfutils/bpfutils/pkg/syms/elfsym"
)

// kernelTable is /proc/kallsyms' text symbols sorted by address. kallsyms has no sizes, so a
// symbol extends to the next one, as in every kallsyms-based symbolizer.
//
// The table keeps addresses, not names: 120k names are 3-4 MB that a stack tool would hold all
// run long for the few hundred functions its stacks go through. A symbol's name is read when it
// is first asked for, by another pass over kallsyms that picks the names of all symbols asked
// for at once (Prepare): a report costs one pass, however many stacks it holds.
type kernelTable struct {
	path    string // read again for names
	addrs   []uint64
	ents    []kentry
	modules []string // index 0 is "" (vmlinux)
	lines   uint32   // text symbols listed when the table was read

	mu    sync.Mutex
	names map[uint32]string // by ordinal
	stale bool              // kallsyms changed since: its ordinals no longer match
}

// kentry locates a symbol in kallsyms: its ordinal among the text symbols, and its module.
type kentry struct {
	ordinal uint32
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
	t.path = path
	return t, nil
}

// ksym is one parsed kallsyms line; name and module alias the line's bytes.
type ksym struct {
	addr   uint64
	name   []byte
	module []byte
	global bool
}

// kallsymsGuess sizes the first allocations: a distribution kernel lists 100-200k text
// symbols, and growing by doubling from small would allocate twice over.
const kallsymsGuess = 1 << 17

// eachTextSymbol calls fn for kallsyms' text symbols in order, with their ordinals.
func eachTextSymbol(r io.Reader, fn func(ordinal uint32, s *ksym) bool) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	var ordinal uint32
	for sc.Scan() {
		s, ok := parseKallsymsLine(sc.Bytes())
		if !ok {
			continue
		}
		if !fn(ordinal, &s) {
			return nil
		}
		ordinal++
	}
	return sc.Err()
}

// parseKallsyms builds the table in place, with a handful of allocations: kallsyms has 100k+
// lines, and the stack tools load it while they hold their reports, at their memory peak.
func parseKallsyms(r io.Reader) (*kernelTable, error) {
	t := &kernelTable{modules: []string{""}, names: map[uint32]string{}}
	modIdx := map[string]uint16{"": 0}
	addrs := make([]uint64, 0, kallsymsGuess)
	ents := make([]kentry, 0, kallsymsGuess)
	var local []bool // only once an alias is local: which are
	nonzero, sorted := false, true
	err := eachTextSymbol(r, func(ordinal uint32, s *ksym) bool {
		t.lines = ordinal + 1
		if s.addr != 0 {
			nonzero = true
		}
		mi, ok := modIdx[string(s.module)]
		if !ok {
			if len(t.modules) >= 1<<16 {
				return true
			}
			mi = uint16(len(t.modules))
			modIdx[string(s.module)] = mi
			t.modules = append(t.modules, string(s.module))
		}
		if n := len(addrs); n > 0 && s.addr <= addrs[n-1] {
			sorted = false
		}
		addrs = append(addrs, s.addr)
		ents = append(ents, kentry{ordinal: ordinal, module: mi})
		if !s.global || local != nil {
			if local == nil {
				local = make([]bool, len(addrs)-1, cap(addrs))
			}
			local = append(local, !s.global)
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	if len(addrs) == 0 {
		return nil, errors.New("no text symbols")
	}
	if !nonzero {
		return nil, errors.New("all addresses are zero (kernel.kptr_restrict or missing CAP_SYSLOG)")
	}
	if !sorted {
		// Stable: among aliases at one address prefer the global one, then the first listed.
		sort.Stable(&kallsymsOrder{addrs, ents, local})
	}
	n := 0
	for i := range addrs {
		if i > 0 && addrs[i] == addrs[n-1] {
			continue
		}
		addrs[n], ents[n] = addrs[i], ents[i]
		n++
	}
	t.addrs, t.ents = slices.Clip(addrs[:n]), slices.Clip(ents[:n])
	return t, nil
}

// kallsymsOrder sorts the three parallel slices by address, global aliases first.
type kallsymsOrder struct {
	addrs []uint64
	ents  []kentry
	local []bool
}

func (o *kallsymsOrder) Len() int { return len(o.addrs) }
func (o *kallsymsOrder) Less(i, j int) bool {
	if o.addrs[i] != o.addrs[j] {
		return o.addrs[i] < o.addrs[j]
	}
	return o.local != nil && !o.local[i] && o.local[j]
}
func (o *kallsymsOrder) Swap(i, j int) {
	o.addrs[i], o.addrs[j] = o.addrs[j], o.addrs[i]
	o.ents[i], o.ents[j] = o.ents[j], o.ents[i]
	if o.local != nil {
		o.local[i], o.local[j] = o.local[j], o.local[i]
	}
}

// readNames reads the names of the symbols at ordinals (sorted, no repeats) in one pass,
// checking each address against the table: a kallsyms that changed since (a module loaded)
// marks the table stale. Called with t.mu held.
func (t *kernelTable) readNames(ordinals []uint32, addrOf map[uint32]uint64) {
	f, err := os.Open(t.path)
	if err != nil {
		return
	}
	defer f.Close()
	next := 0
	eachTextSymbol(f, func(ordinal uint32, s *ksym) bool {
		if ordinal != ordinals[next] {
			return true
		}
		if s.addr != addrOf[ordinal] {
			t.stale = true
			return false
		}
		name := s.name
		if len(name) >= 1<<16 {
			name = name[:1<<16-1]
		}
		t.names[ordinal] = string(name)
		next++
		return next < len(ordinals)
	})
	if next < len(ordinals) {
		t.stale = true
	}
}

// prepare reads, in one pass, the names of the symbols covering addrs that are not read yet.
func (t *kernelTable) prepare(addrs []uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	addrOf := map[uint32]uint64{}
	for _, a := range addrs {
		if i := t.index(a); i >= 0 {
			if o := t.ents[i].ordinal; t.names[o] == "" {
				addrOf[o] = t.addrs[i]
			}
		}
	}
	if len(addrOf) == 0 || t.stale {
		return
	}
	ordinals := make([]uint32, 0, len(addrOf))
	for o := range addrOf {
		ordinals = append(ordinals, o)
	}
	slices.Sort(ordinals)
	t.readNames(ordinals, addrOf)
}

// index is the position of the symbol with the largest address <= addr, or -1.
func (t *kernelTable) index(addr uint64) int { return elfsym.Floor(t.addrs, addr) }

// lookup returns the symbol with the largest address <= addr; ok is false when there is none
// or its name cannot be read (kallsyms changed: the caller reads the table again).
func (t *kernelTable) lookup(addr uint64) (name string, start uint64, module string, ok bool) {
	i := t.index(addr)
	if i < 0 {
		return "", 0, "", false
	}
	e := t.ents[i]
	t.mu.Lock()
	name = t.names[e.ordinal]
	t.mu.Unlock()
	if name == "" {
		t.prepare([]uint64{addr})
		t.mu.Lock()
		name = t.names[e.ordinal]
		t.mu.Unlock()
		if name == "" {
			return "", 0, "", false
		}
	}
	return name, t.addrs[i], t.modules[e.module], true
}

// isStale tells whether kallsyms changed under the table.
func (t *kernelTable) isStale() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.stale
}

// address returns the address of the named symbol (first match), for tests and for tools
// that need a symbol's address: a pass over kallsyms.
func (t *kernelTable) address(name string) (uint64, bool) {
	f, err := os.Open(t.path)
	if err != nil {
		return 0, false
	}
	defer f.Close()
	var addr uint64
	found := false
	eachTextSymbol(f, func(_ uint32, s *ksym) bool {
		if string(s.name) == name {
			addr, found = s.addr, true
			return false
		}
		return true
	})
	return addr, found
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
