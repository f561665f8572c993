package inet

import (
	"bytes"
	"io"
	"net/netip"
	"testing"

	"github.com/bpfutils/bpfutils/pkg/render"
)

// The expected texts are what glibc's inet_ntop wrote for each address.
func TestAppendAddrIPv6(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"::1", "::1"},
		{"::", "::"},
		{"::ffff:127.0.0.1", "::ffff:127.0.0.1"},
		{"::102:304", "::1.2.3.4"},
		{"::0.0.0.2", "::2"},
		{"fe80::1:0:0:1", "fe80::1:0:0:1"},
		{"2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},
		{"2001:db8::", "2001:db8::"},
		{"1:0:2:0:3:0:4:0", "1:0:2:0:3:0:4:0"},
		{"::1:0:0:0", "::1:0:0:0"},
		{"2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"},
		{"::1.2.0.0", "::1.2.0.0"},
		{"0:0:0:0:0:1:0:0", "::1:0:0"},
		{"1::", "1::"},
		{"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
		{"::ffff:0:0", "::ffff:0.0.0.0"},
	} {
		addr := netip.MustParseAddr(tc.in).As16()
		if got := string(AppendAddr(nil, AFInet6, &addr)); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestAppendAddrIPv4(t *testing.T) {
	addr := [16]byte{127, 0, 0, 1, 9, 9, 9, 9}
	if got := string(AppendAddr([]byte("x"), AFInet, &addr)); got != "x127.0.0.1" {
		t.Errorf("got %q", got)
	}
	if got := AppendAddr(nil, 1, &addr); len(got) != 0 {
		t.Errorf("family 1: got %q, want nothing", got)
	}
}

func TestAddrColumn(t *testing.T) {
	type rec struct {
		family uint16
		addr   [16]byte
	}
	recs := render.NewRecords(render.KindEvent,
		AddrColumn("LADDR", -15, "laddr", func(r *rec) (uint16, *[16]byte) { return r.family, &r.addr }),
		render.Uint("N", 0, "n", func(*rec) uint64 { return 7 }))
	var text, js bytes.Buffer
	ts := render.NewSink("t", render.FormatText, &text, io.Discard)
	recs.To(ts).Header()
	r := rec{family: AFInet6, addr: netip.MustParseAddr("::1").As16()}
	recs.Write(&r)
	r = rec{family: AFInet, addr: [16]byte{10, 1, 2, 3}}
	recs.Write(&r)
	ts.Flush()
	want := "LADDR           N\n::1             7\n10.1.2.3        7\n"
	if got := text.String(); got != want {
		t.Errorf("text:\n%q\nwant\n%q", got, want)
	}
	jsonSink := render.NewSink("t", render.FormatJSON, &js, io.Discard)
	recs.To(jsonSink)
	recs.Write(&r)
	jsonSink.Flush()
	if !bytes.Contains(js.Bytes(), []byte(`"laddr":"10.1.2.3"`)) {
		t.Errorf("json: %s", js.String())
	}
	if n := testing.AllocsPerRun(100, func() { recs.Write(&r) }); n != 0 {
		t.Errorf("%v allocations per record", n)
	}
}

func TestStateName(t *testing.T) {
	for state, want := range map[int32]string{1: "ESTABLISHED", 2: "SYN_SENT", 7: "CLOSE", 10: "LISTEN", 12: "NEW_SYN_RECV", 0: "UNKNOWN", 14: "UNKNOWN", -1: "UNKNOWN"} {
		if got := StateName(state); got != want {
			t.Errorf("state %d: %q, want %q", state, got, want)
		}
	}
}

func TestParsePorts(t *testing.T) {
	got, err := ParsePorts("ports", "80,443,65535")
	if err != nil || len(got) != 3 || got[0] != 80 || got[1] != 443 || got[2] != 65535 {
		t.Errorf("got %v, %v", got, err)
	}
	for _, bad := range []string{"0", "65536", "80,", "x", "-1", "80,,81"} {
		if _, err := ParsePorts("ports", bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestFamily(t *testing.T) {
	if (Family{V4: true, V6: true}).Check() == nil {
		t.Error("-4 -6 accepted")
	}
	if af := (Family{V6: true}).AF(); af != AFInet6 {
		t.Errorf("-6: %d", af)
	}
	if af := (Family{}).AF(); af != 0 {
		t.Errorf("none: %d", af)
	}
}
