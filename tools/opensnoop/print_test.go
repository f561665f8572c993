package opensnoop

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"
	"unsafe"

	"github.com/bpfutils/bpfutils/pkg/render"
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

// printer renders records through opensnoop's declarations, as run does.
type printer struct {
	*config
	out  *render.Sink
	h    *handler
	recs *render.Records[row]
}

func newPrinter(c config, format render.Format, w io.Writer) *printer {
	sink := render.NewSink("opensnoop", format, w, io.Discard)
	recs := records(&c, sink.Now).To(sink)
	return &printer{config: &c, out: sink, h: newHandler(&c, recs, nil), recs: recs}
}

func (p *printer) print(rec []byte) { p.h.handle(rec) }

// reference renders a row with libbpf-tools' printf formats.
func reference(p *config, e event, path string) string {
	var b bytes.Buffer
	if p.PrintUID {
		fmt.Fprintf(&b, "%-7d ", int32(e.Uid))
	}
	fd, errno := e.Ret, int32(0)
	if e.Ret < 0 {
		fd, errno = -1, -e.Ret
	}
	fmt.Fprintf(&b, "%-6d %-16s %3d %3d ", e.Pid, bytes.TrimRight(e.Comm[:], "\x00"), fd, errno)
	if p.Extended {
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
		for _, opts := range []config{{}, {PrintUID: true}, {Extended: true}, {PrintUID: true, Extended: true, FullPath: true}} {
			var out bytes.Buffer
			p := newPrinter(opts, render.FormatText, &out)
			p.print(record(tc.e, tc.name, tc.dir))
			p.out.Flush()
			path := tc.name
			if p.FullPath {
				path = tc.full
			}
			if want := reference(p.config, tc.e, path); out.String() != want {
				t.Errorf("uid=%v ext=%v full=%v:\n got %q\nwant %q", p.PrintUID, p.Extended, p.FullPath, out.String(), want)
			}
		}
	}
}

func TestPrintNameFilterAndTime(t *testing.T) {
	var out bytes.Buffer
	p := newPrinter(config{Name: "ca", Timestamp: true}, render.FormatText, &out)
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
	for _, format := range []render.Format{render.FormatText, render.FormatJSON} {
		p := newPrinter(config{Timestamp: true, PrintUID: true, Extended: true, FullPath: true}, format, io.Discard)
		rec := record(event{Pid: 1234, Ret: 3, Flags: 0o101, Mode: 0o644, Comm: comm("bench"), DirState: 1}, "file", "b\x00a\x00")
		if n := testing.AllocsPerRun(1000, func() { p.print(rec) }); n != 0 {
			t.Errorf("format %d: print allocates %v times per row", format, n)
		}
	}
}

func BenchmarkPrint(b *testing.B) {
	var sink bytes.Buffer
	p := newPrinter(config{}, render.FormatText, &sink)
	rec := record(event{Pid: 1234, Ret: 3, Comm: comm("bpfu-storm")}, "/tmp/bpfu-storm-file", "")
	for i := 0; i < b.N; i++ {
		p.print(rec)
		if sink.Len() > 1<<20 {
			sink.Reset()
		}
	}
}

func TestHeaders(t *testing.T) {
	for _, tc := range []struct {
		c    config
		want string
	}{
		{config{}, "PID    COMM              FD ERR PATH\n"},
		{config{Timestamp: true, PrintUID: true, Extended: true}, "TIME     UID     PID    COMM              FD ERR FLAGS    MODE  PATH\n"},
		{config{Callers: true}, "PID    COMM              FD ERR PATH/CALLER\n"},
	} {
		var out bytes.Buffer
		p := newPrinter(tc.c, render.FormatText, &out)
		p.recs.Header()
		p.out.Flush()
		if out.String() != tc.want {
			t.Errorf("%+v: header %q, want %q", tc.c, out.String(), tc.want)
		}
	}
}

func TestJSONLine(t *testing.T) {
	var out bytes.Buffer
	p := newPrinter(config{Extended: true, FullPath: true}, render.FormatJSON, &out)
	p.print(record(event{Pid: 77, Tid: 78, Uid: 4294967295, Ret: -13, Flags: 0o20200002, Mode: 0o600, Comm: comm("t\"q"), DirState: 2}, "x/y", "c\x00b\x00"))
	p.print(record(event{Pid: 5, Tid: 5, Ret: 4, Comm: comm("cat")}, "/etc/\xffpasswd", ""))
	p.out.Flush()
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("want 2 lines, got %q", out.String())
	}
	var e []map[string]any
	for _, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("%v: %s", err, l)
		}
		e = append(e, m)
	}
	want := map[string]any{"type": "event", "tool": "opensnoop", "pid": 77.0, "tid": 78.0, "uid": 4294967295.0,
		"comm": `t"q`, "fd": -1.0, "err": 13.0, "flags": float64(0o20200002), "mode": float64(0o600), "path": "b/c/x/y"}
	for k, v := range want {
		if e[0][k] != v {
			t.Errorf("%s: %v, want %v in %s", k, e[0][k], v, lines[0])
		}
	}
	if _, ok := e[0]["callers"]; ok {
		t.Errorf("callers without -c: %s", lines[0])
	}
	if e[1]["mode"] != nil || e[1]["fd"] != 4.0 || e[1]["err"] != 0.0 || e[1]["path"] != "/etc/\ufffdpasswd" || e[1]["path_b64"] != "L2V0Yy//cGFzc3dk" {
		t.Errorf("line %s", lines[1])
	}
}

func BenchmarkPrintJSON(b *testing.B) {
	p := newPrinter(config{}, render.FormatJSON, io.Discard)
	rec := record(event{Pid: 1234, Ret: 3, Comm: comm("bpfu-storm")}, "/tmp/bpfu-storm-file", "")
	for i := 0; i < b.N; i++ {
		p.print(rec)
	}
}
