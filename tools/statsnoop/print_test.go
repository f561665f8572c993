package statsnoop

import (
	"bytes"
	"fmt"
	"io"
	"testing"
	"unsafe"

	"github.com/bpfutils/bpfutils/pkg/render"
)

// record builds what the BPF side sends: the fixed part, then only the path bytes in use.
func record(e event, name, dir string) []byte {
	e.NameLen = uint16(len(name) + 1)
	e.DirLen = uint16(len(dir))
	rec := append([]byte{}, unsafe.Slice((*byte)(unsafe.Pointer(&e)), pathOffset)...)
	rec = append(append(rec, name...), 0)
	return append(rec, dir...)
}

func render1(c config, format render.Format, w io.Writer, recs ...[]byte) {
	sink := render.NewSink("statsnoop", format, w, io.Discard)
	r := records(&c).To(sink)
	r.Header()
	h := &handler{recs: r}
	for _, rec := range recs {
		h.handle(rec)
	}
	sink.Flush()
}

func TestPrint(t *testing.T) {
	comm := [16]byte{'l', 's'}
	recs := [][]byte{
		record(event{TsNs: 5e9, Pid: 42, Ret: 0, Call: 5, Comm: comm, DirState: 1, Base: baseDir}, "f", "tmp\x00"),
		record(event{TsNs: 6500000000, Pid: 42, Ret: -2, Call: 3, Comm: comm}, "/nope", ""),
		record(event{TsNs: 7e9, Pid: 43, Ret: 0, Call: 4, Comm: comm, DirState: 1, Base: baseFile}, "", "passwd\x00etc\x00"),
		record(event{TsNs: 8e9, Pid: 43, Ret: 0, Call: 5, Comm: comm, DirState: 1, Base: baseDir}, "", "etc\x00"),
	}
	var want bytes.Buffer
	fmt.Fprintf(&want, "%-14s %-7s %-20s %-4s %-4s %-10s %-s\n", "TIME(s)", "PID", "COMM", "RET", "ERR", "SYSCALL", "PATH")
	for _, r := range []struct {
		ts         float64
		pid        int
		ret, errno int
		call, path string
	}{{0, 42, 0, 0, "newfstatat", "/tmp/f"}, {1.5, 42, -1, 2, "statx", "/nope"}, {2, 43, 0, 0, "newfstat", "/etc/passwd"}, {3, 43, 0, 0, "newfstatat", "/etc/"}} {
		fmt.Fprintf(&want, "%-14.9f %-7d %-20s %-4d %-4d %-10s %s\n", r.ts, r.pid, "ls", r.ret, r.errno, r.call, r.path)
	}
	var got bytes.Buffer
	render1(config{Timestamp: true, Sysname: true}, render.FormatText, &got, recs...)
	if got.String() != want.String() {
		t.Errorf("got\n%s\nwant\n%s", got.String(), want.String())
	}
	got.Reset()
	render1(config{}, render.FormatText, &got, recs[1])
	if w := "PID     COMM                 RET  ERR  PATH\n42      ls                   -1   2    /nope\n"; got.String() != w {
		t.Errorf("got %q, want %q", got.String(), w)
	}
}

func TestPrintAllocatesNothing(t *testing.T) {
	for _, format := range []render.Format{render.FormatText, render.FormatJSON} {
		sink := render.NewSink("statsnoop", format, io.Discard, io.Discard)
		h := &handler{recs: records(&config{Timestamp: true, Sysname: true}).To(sink)}
		rec := record(event{TsNs: 1, Pid: 1, Call: 5, DirState: 1, Base: baseDir}, "file", "b\x00a\x00")
		if n := testing.AllocsPerRun(1000, func() { h.handle(rec) }); n != 0 {
			t.Errorf("format %d: %v allocations per row", format, n)
		}
	}
}
