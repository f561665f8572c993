package exitsnoop

import (
	"bytes"
	"io"
	"testing"
	"unsafe"

	"github.com/bpfutils/bpfutils/pkg/render"
)

func rec(e event) []byte {
	return append([]byte{}, unsafe.Slice((*byte)(unsafe.Pointer(&e)), unsafe.Sizeof(e))...)
}

func TestTextLayout(t *testing.T) {
	base := event{StartNs: 1e9, ExitNs: 3.5e9, Pid: 42, Tid: 42, Ppid: 1}
	copy(base.Comm[:], "sh\x1b")
	for _, tc := range []struct {
		sig  uint32
		code int32
		want string
	}{
		{0, 0, "0"},
		{0, 3, "code 3"},
		{9, 0, "signal 9 (Killed)"},
		{0x80 | 6, 0, "signal 6 (Aborted), core dumped"},
		{35, 0, "signal 35 (Real-time signal 1)"},
	} {
		e := base
		e.Sig, e.ExitCode = tc.sig, tc.code
		var out bytes.Buffer
		sink := render.NewSink("exitsnoop", render.FormatText, &out, io.Discard)
		c := &config{}
		recs := records(c).To(sink)
		recs.Header()
		b := rec(e)
		r := record{e: (*event)(unsafe.Pointer(&b[0])), comm: []byte("sh\x1b")}
		recs.Write(&r)
		sink.Flush()
		want := "PCOMM            PID     PPID    TID     AGE(s)  EXIT_CODE\n" +
			`sh\x1b           42      1       42      2.50    ` + tc.want + "\n"
		if out.String() != want {
			t.Errorf("got\n%q\nwant\n%q", out.String(), want)
		}
		if n := testing.AllocsPerRun(100, func() { recs.Write(&r) }); n != 0 {
			t.Errorf("%d allocations per event", int(n))
		}
	}
}
