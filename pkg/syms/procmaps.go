package syms

import (
	"bufio"
	"bytes"
	"io"
	"strconv"
	"strings"
)

// mapping is one executable region of a process's address space (one /proc/PID/maps line).
type mapping struct {
	start, end, off uint64
	dev, ino        uint64
	path            string // as maps shows it: "/usr/lib/libc.so.6", "[vdso]", "" (anonymous)

	obj     *object // resolved on first lookup
	objDone bool    // resolution attempted (obj stays nil if it failed)
}

const deletedSuffix = " (deleted)"

// parseMaps keeps the executable mappings of a /proc/PID/maps file, in address order (the
// kernel lists them sorted).
func parseMaps(r io.Reader) ([]mapping, error) {
	var out []mapping
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		if m, ok := parseMapsLine(sc.Bytes()); ok {
			out = append(out, m)
		}
	}
	return out, sc.Err()
}

// parseMapsLine parses "start-end perms offset major:minor inode   path" and reports whether
// the mapping is executable.
func parseMapsLine(line []byte) (mapping, bool) {
	var m mapping
	var f [5][]byte
	rest := line
	for i := range f {
		rest = bytes.TrimLeft(rest, " ")
		j := bytes.IndexByte(rest, ' ')
		if j < 0 {
			if i < 4 {
				return m, false
			}
			j = len(rest)
		}
		f[i], rest = rest[:j], rest[j:]
	}
	if len(f[1]) < 3 || f[1][2] != 'x' {
		return m, false
	}
	dash := bytes.IndexByte(f[0], '-')
	colon := bytes.IndexByte(f[3], ':')
	if dash < 0 || colon < 0 {
		return m, false
	}
	var err [6]error
	m.start, err[0] = strconv.ParseUint(string(f[0][:dash]), 16, 64)
	m.end, err[1] = strconv.ParseUint(string(f[0][dash+1:]), 16, 64)
	m.off, err[2] = strconv.ParseUint(string(f[2]), 16, 64)
	major, e3 := strconv.ParseUint(string(f[3][:colon]), 16, 32)
	minor, e4 := strconv.ParseUint(string(f[3][colon+1:]), 16, 32)
	err[3], err[4] = e3, e4
	m.ino, err[5] = strconv.ParseUint(string(f[4]), 10, 64)
	for _, e := range err {
		if e != nil {
			return m, false
		}
	}
	if m.end <= m.start {
		return m, false
	}
	m.dev = major<<32 | minor
	m.path = strings.TrimLeft(string(rest), " ")
	return m, true
}

// findMapping returns the index of the mapping containing addr, or -1.
func findMapping(ms []mapping, addr uint64) int {
	lo, hi := 0, len(ms)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if ms[m].start <= addr {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if i := lo - 1; i >= 0 && addr < ms[i].end {
		return i
	}
	return -1
}
