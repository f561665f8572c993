package filelife

import (
	"bytes"
	"io"
	"regexp"
	"testing"
	"unsafe"

	"github.com/bpfutils/bpfutils/pkg/render"
)

// rec builds the bytes of an event as BPF sends them: the header, then name and walk.
func rec(kind uint32, ts, delta uint64, pid uint32, comm, name string, walk []string, state uint32) []byte {
	var e event
	e.Kind, e.Ts, e.DeltaNs, e.Tgid, e.DirState = kind, ts, delta, pid, state
	copy(e.Task[:], comm)
	var path []byte
	if name != "" {
		path = append([]byte(name), 0)
	}
	e.NameLen = uint16(len(path))
	for _, w := range walk {
		path = append(append(path, w...), 0)
	}
	e.DirLen = uint16(len(path)) - e.NameLen
	head := (*[pathOffset]byte)(unsafe.Pointer(&e))[:]
	return append(append([]byte{}, head...), path...)
}

func handleAll(t *testing.T, c *config, recs ...[]byte) string {
	t.Helper()
	var buf bytes.Buffer
	out := render.NewSink("filelife", render.FormatText, &buf, io.Discard)
	h := &handler{c: c, recs: records().To(out), born: map[string]uint64{}}
	for _, r := range recs {
		h.handle(r)
	}
	out.Flush()
	return buf.String()
}

// The system-call path: a creation walked from the file, an unlink by a relative name from
// the directory it ran in, matched by path; an unlink of a file not seen created is not shown.
func TestSyscallPathMatching(t *testing.T) {
	const sec = 1000000000
	events := [][]byte{
		rec(kindCreated, 1*sec, 0, 10, "touch", "", []string{"f", "d", "tmp"}, 1),
		rec(kindUnlinked, 3*sec+500000000, 0, 11, "rm", "../d/./f", []string{"e", "tmp"}, 1),
		rec(kindUnlinked, 4*sec, 0, 11, "rm", "/tmp/never-created", nil, 0),
		rec(kindCreated, 5*sec, 0, 10, "mknod", "g", []string{"tmp"}, 1),
		rec(kindUnlinked, 6*sec, 0, 12, "unlinker", "/tmp/g", nil, 0),
		rec(kindDeleted, 7*sec, 250000000, 13, "kprobe", "h", nil, 0),
	}
	want := regexp.MustCompile(`^\d\d:\d\d:\d\d 11     rm               2.50    f
\d\d:\d\d:\d\d 12     unlinker         1.00    g
\d\d:\d\d:\d\d 13     kprobe           0.25    h
$`)
	if out := handleAll(t, &config{}, events...); !want.MatchString(out) {
		t.Errorf("got\n%s", out)
	}
	full := regexp.MustCompile(`^\d\d:\d\d:\d\d 11     rm               2.50    /tmp/d/f
\d\d:\d\d:\d\d 12     unlinker         1.00    /tmp/g
`)
	if out := handleAll(t, &config{FullPath: true}, events...); !full.MatchString(out) {
		t.Errorf("-F: got\n%s", out)
	}
}
