package capable

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/bpfutils/bpfutils/pkg/render"
)

func render1(c config, format render.Format, w io.Writer, evs ...event) {
	sink := render.NewSink("capable", format, w, io.Discard)
	recs := records(&c).To(sink)
	recs.Header()
	for i := range evs {
		r := row{e: &evs[i], comm: bytes.TrimRight(evs[i].Comm[:], "\x00")}
		recs.Write(&r)
	}
	sink.Flush()
}

func TestPrint(t *testing.T) {
	evs := []event{
		{Pid: 42, Tid: 43, UID: 65534, Cap: 0, Audit: 1, Insetid: 0, Ret: -1, Comm: [16]byte{'c', 'h', 'o', 'w', 'n'}},
		{Pid: 1, Tid: 1, UID: 0, Cap: 41, Audit: -1, Insetid: -1, Ret: 0, Comm: [16]byte{'x'}},
	}
	for _, extra := range []bool{false, true} {
		var want bytes.Buffer
		if extra {
			fmt.Fprintf(&want, "%-8s %-5s %-7s %-7s %-16s %-7s %-20s %-7s %-7s %-7s\n", "TIME", "UID", "PID", "TID", "COMM", "CAP", "NAME", "AUDIT", "VERDICT", "INSETID")
		} else {
			fmt.Fprintf(&want, "%-8s %-5s %-7s %-16s %-7s %-20s %-7s %-7s\n", "TIME", "UID", "PID", "COMM", "CAP", "NAME", "AUDIT", "VERDICT")
		}
		for _, e := range evs {
			v := "deny"
			if e.Ret == 0 {
				v = "allow"
			}
			comm := string(bytes.TrimRight(e.Comm[:], "\x00"))
			if extra {
				fmt.Fprintf(&want, "%-8s %-5d %-7d %-7d %-16s %-7d %-20s %-7d %-7s %-7d\n", "HH:MM:SS", int32(e.UID), e.Pid, e.Tid, comm, e.Cap, capName(e.Cap), e.Audit, v, e.Insetid)
			} else {
				fmt.Fprintf(&want, "%-8s %-5d %-7d %-16s %-7d %-20s %-7d %-7s\n", "HH:MM:SS", int32(e.UID), e.Pid, comm, e.Cap, capName(e.Cap), e.Audit, v)
			}
		}
		var got bytes.Buffer
		render1(config{Extra: extra}, render.FormatText, &got, evs...)
		lines := strings.Split(got.String(), "\n")
		for i := 1; i < len(lines)-1; i++ {
			lines[i] = "HH:MM:SS" + lines[i][8:] // the wall clock
		}
		if s := strings.Join(lines, "\n"); s != want.String() {
			t.Errorf("-x=%v:\n got %q\nwant %q", extra, s, want.String())
		}
	}
}

func TestJSON(t *testing.T) {
	var got bytes.Buffer
	render1(config{}, render.FormatJSON, &got, event{Pid: 42, Tid: 43, UID: 65534, Audit: 1, Ret: -1}, event{Audit: -1, Insetid: -1})
	lines := strings.Split(strings.TrimSpace(got.String()), "\n")
	for i, want := range []string{`"uid":65534,"pid":42,"tid":43,"comm":"","cap":0,"name":"CAP_CHOWN","audit":true,"verdict":"deny","insetid":false}`,
		`"audit":null,"verdict":"allow","insetid":null}`} {
		if !strings.HasSuffix(lines[i], want) {
			t.Errorf("line %s, want it to end with %s", lines[i], want)
		}
	}
}

func TestPrintAllocatesNothing(t *testing.T) {
	for _, format := range []render.Format{render.FormatText, render.FormatJSON} {
		recs := records(&config{Extra: true}).To(render.NewSink("capable", format, io.Discard, io.Discard))
		r := row{e: &event{Pid: 1, Cap: 21}, comm: []byte("x")}
		if n := testing.AllocsPerRun(1000, func() { recs.Write(&r) }); n != 0 {
			t.Errorf("format %d: %v allocations per row", format, n)
		}
	}
}

func TestParseUnique(t *testing.T) {
	for in, want := range map[string]uint32{"pid": uniquePID, "cgroup": uniqueCgroup, "off": uniqueOff} {
		if got, err := parseUnique(in); err != nil || got != want {
			t.Errorf("parseUnique(%q) = %d, %v", in, got, err)
		}
	}
	if _, err := parseUnique("tid"); err == nil {
		t.Error("parseUnique(tid) accepted")
	}
}
