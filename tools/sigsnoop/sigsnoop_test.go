package sigsnoop

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/bpfutils/bpfutils/pkg/render"
)

func TestParseSignals(t *testing.T) {
	for in, want := range map[string]uint32{"1": 1, "1,9,15": 1 | 1<<8 | 1<<14, "31": 1 << 30} {
		if got, err := parseSignals(in); err != nil || got != want {
			t.Errorf("parseSignals(%q) = %#x, %v; want %#x", in, got, err, want)
		}
	}
	for _, in := range []string{"0", "32", "-1", "1,,2", "TERM", "1 ,2"} {
		if _, err := parseSignals(in); err == nil || !strings.Contains(err.Error(), "invalid SIGNAL") {
			t.Errorf("parseSignals(%q): %v", in, err)
		}
	}
}

// TestTextLayout: libbpf-tools' row, the SIG column a number or with -n a name, RESULT padded.
func TestTextLayout(t *testing.T) {
	e := event{Pid: 7, Tpid: -1, Sig: 10, Ret: -3}
	for _, tc := range []struct {
		names bool
		sig   int32
		want  string
	}{
		{false, 10, "7       kill             10           -1      N/A              -3    \n"},
		{true, 10, "7       kill             SIGUSR1      -1      N/A              -3    \n"},
		{true, 0, "7       kill             N/A          -1      N/A              -3    \n"},
		{true, 40, "7       kill             SIGNAL-40    -1      N/A              -3    \n"},
		{true, 99, "7       kill             99           -1      N/A              -3    \n"},
	} {
		var out bytes.Buffer
		sink := render.NewSink("sigsnoop", render.FormatText, &out, io.Discard)
		recs := records(&config{Name: tc.names}).To(sink)
		e.Sig = tc.sig
		r := record{e: &e, comm: []byte("kill"), tcomm: notAvailable}
		recs.Write(&r)
		sink.Flush()
		// The first 9 bytes are the time of day.
		if got := out.String()[9:]; got != tc.want {
			t.Errorf("-n %v sig %d:\n got %q\nwant %q", tc.names, tc.sig, got, tc.want)
		}
		if n := testing.AllocsPerRun(100, func() { recs.Write(&r) }); n != 0 {
			t.Errorf("%v allocations per event", n)
		}
	}
}
