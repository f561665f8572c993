package opensnoop

import (
	"bufio"
	"bytes"
	"fmt"
	"testing"
	"unsafe"
)

// record builds what the BPF side sends: the fixed part, then only the path bytes in use.
func record(e event, name string, dir string) []byte {
	e.NameLen = uint16(len(name) + 1)
	e.DirLen = uint16(len(dir))
	hdr := unsafe.Slice((*byte)(unsafe.Pointer(&e)), pathOffset)
	rec := append([]byte{}, hdr...)
	rec = append(rec, name...)
	rec = append(rec, 0)
	return append(rec, dir...)
}

func comm(s string) (c [16]byte) {
	copy(c[:], s)
	return c
}

// reference renders a row with libbpf-tools' printf formats.
func reference(p *printer, e event, path string) string {
	var b bytes.Buffer
	if p.printUID {
		fmt.Fprintf(&b, "%-7d ", int32(e.Uid))
	}
	fd, errno := e.Ret, int32(0)
	if e.Ret < 0 {
		fd, errno = -1, -e.Ret
	}
	fmt.Fprintf(&b, "%-6d %-16s %3d %3d ", e.Pid, bytes.TrimRight(e.Comm[:], "\x00"), fd, errno)
	if p.extended {
		if e.Mode == 0 && e.Flags&oCreat == 0 && e.Flags&oTmpfile != oTmpfile {
			fmt.Fprintf(&b, "%08o n/a  ", e.Flags)
		} else {
			fmt.Fprintf(&b, "%08o %04o ", e.Flags, e.Mode)
		}
	}
	fmt.Fprintf(&b, "%s\n", path)
	return b.String()
}

func TestPrintRows(t *testing.T) {
	for _, tc := range []struct {
		e         event
		name, dir string
		full      string // the path -F shows
	}{
		{event{Pid: 1, Uid: 0, Ret: 3, Comm: comm("cat")}, "/etc/passwd", "", "/etc/passwd"},
		{event{Pid: 4194304, Uid: 1000, Ret: -2, Flags: 0o2000000, Comm: comm("fifteen-chars-x")}, "missing", "", "missing"},
		{event{Pid: 77, Uid: 65534, Ret: 1023, Flags: 0o101, Mode: 0o640, Comm: comm("w"), DirState: 1}, "f", "tmp\x00", "/tmp/f"},
		{event{Pid: 77, Uid: 4294967295, Ret: -13, Flags: 0o20200002, Mode: 0o600, Comm: comm("t"), DirState: 2}, "x/y", "c\x00b\x00", "b/c/x/y"},
		{event{Pid: 5, Ret: 0, Flags: 0o1, Comm: comm(""), DirState: 1}, "rel", "", "/rel"},
	} {
		for _, opts := range []printer{{}, {printUID: true}, {extended: true}, {printUID: true, extended: true, fullPath: true}} {
			var out bytes.Buffer
			p := opts
			p.out = bufio.NewWriter(&out)
			p.print(record(tc.e, tc.name, tc.dir))
			p.out.Flush()
			path := tc.name
			if p.fullPath {
				path = tc.full
			}
			if want := reference(&p, tc.e, path); out.String() != want {
				t.Errorf("uid=%v ext=%v full=%v:\n got %q\nwant %q", p.printUID, p.extended, p.fullPath, out.String(), want)
			}
		}
	}
}

func TestPrintNameFilterAndTime(t *testing.T) {
	var out bytes.Buffer
	p := &printer{out: bufio.NewWriter(&out), name: []byte("ca"), timestamp: true}
	p.print(record(event{Pid: 1, Ret: 3, Comm: comm("cat")}, "/a", ""))
	p.print(record(event{Pid: 2, Ret: 3, Comm: comm("dog")}, "/b", ""))
	p.print(record(event{Pid: 3}, "", "")[:10]) // short records are dropped
	p.out.Flush()
	rows := bytes.Split(bytes.TrimSuffix(out.Bytes(), []byte("\n")), []byte("\n"))
	if len(rows) != 1 || !bytes.HasSuffix(rows[0], []byte(" 1      cat                3   0 /a")) || rows[0][2] != ':' || rows[0][8] != ' ' {
		t.Fatalf("rows %q", rows)
	}
}

func TestPrintAllocatesNothing(t *testing.T) {
	p := &printer{out: bufio.NewWriterSize(&bytes.Buffer{}, 1<<20), timestamp: true, printUID: true, extended: true, fullPath: true, line: make([]byte, 0, 512)}
	rec := record(event{Pid: 1234, Ret: 3, Flags: 0o101, Mode: 0o644, Comm: comm("bench"), DirState: 1}, "file", "b\x00a\x00")
	if n := testing.AllocsPerRun(1000, func() { p.print(rec) }); n != 0 {
		t.Errorf("print allocates %v times per row", n)
	}
}

func BenchmarkPrint(b *testing.B) {
	var sink bytes.Buffer
	p := &printer{out: bufio.NewWriterSize(&sink, 64<<10), line: make([]byte, 0, 512)}
	rec := record(event{Pid: 1234, Ret: 3, Comm: comm("bpfu-storm")}, "/tmp/bpfu-storm-file", "")
	for i := 0; i < b.N; i++ {
		p.print(rec)
		if sink.Len() > 1<<20 {
			sink.Reset()
		}
	}
}
