// Package dentrypath rebuilds paths that BPF programs gathered by walking dentries towards the
// root (bpf/include/path.bpf.h): the names arrive leaf first, each followed by a NUL.
package dentrypath

import "bytes"

// State says how a walk ended; the values are enum path_state of path.bpf.h.
type State uint32

const (
	None     State = 0 // no walk was made
	Complete State = 1 // the walk reached the root
	Partial  State = 2 // the walk stopped short of the root
)

// Append appends the path that names describes to dst. A complete path starts with "/"; a
// partial one starts with the topmost name the walk reached, with no "/" in front, the way
// libbpf-tools marks a path it could not follow to the root. Without names, a complete path is
// "/" and a partial one is empty.
func Append(dst, names []byte, state State) []byte {
	names = bytes.TrimSuffix(names, []byte{0})
	if len(names) == 0 {
		if state == Complete {
			dst = append(dst, '/')
		}
		return dst
	}
	first := true
	for end := len(names); end >= 0; {
		start := bytes.LastIndexByte(names[:end], 0) + 1
		if !first || state == Complete {
			dst = append(dst, '/')
		}
		dst = append(dst, names[start:end]...)
		first = false
		end = start - 1
	}
	return dst
}

// Join appends dir (as Append renders it) followed by the relative name rel, the way the
// kernel resolves rel from that directory.
func Join(dst, names []byte, state State, rel []byte) []byte {
	start := len(dst)
	dst = Append(dst, names, state)
	if len(dst) > start && dst[len(dst)-1] != '/' {
		dst = append(dst, '/')
	}
	return append(dst, rel...)
}

// Split cuts the trailer of a record that carries a name and the walk of its directory (the
// name as the program read it, nameLen bytes, then dirLen bytes of names for Append and Join)
// into the name, up to its first NUL, and the directory's names. ok is false when the lengths
// run past the trailer.
func Split(trailer []byte, nameLen, dirLen int) (name, dir []byte, ok bool) {
	if nameLen+dirLen > len(trailer) {
		return nil, nil, false
	}
	name = trailer[:nameLen]
	if i := bytes.IndexByte(name, 0); i >= 0 {
		name = name[:i]
	}
	return name, trailer[nameLen : nameLen+dirLen], true
}
