package stacks

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/bpfutils/bpfutils/pkg/render"
	"github.com/bpfutils/bpfutils/pkg/syms"
)

func TestWriteStack(t *testing.T) {
	user := Stack{State: Present, Frames: []syms.Symbol{
		{Addr: 0x401136, Name: "lock_here", Offset: 0x16, Known: true, Path: "/bin/x", ObjAddr: 0x1136},
		{Addr: 0x7f0000001000},
	}}
	for _, tc := range []struct {
		style        Style
		st           Stack
		want, missed string
	}{
		{Style{}, user, "    lock_here\n    [unknown]\n", ""},
		{Style{Verbose: true, Numbered: true}, user,
			"    #0  0x0000000000401136 lock_here+0x16 (/bin/x+0x1136)\n    #1  0x00007f0000001000\n", ""},
		{Style{}, Stack{State: Missed}, "    [Missed User Stack]\n", ""},
		{Style{MissedTo: new(bytes.Buffer)}, Stack{State: Missed}, "", "    [Missed User Stack]\n"},
		{Style{}, Stack{State: Present, Frames: []syms.Symbol{{Name: "a\x1bb", Known: true}}}, "    a\\x1bb\n", ""},
	} {
		var out bytes.Buffer
		tc.style.WriteStack(&out, &tc.st, false)
		if out.String() != tc.want {
			t.Errorf("%+v: got %q, want %q", tc.style, out.String(), tc.want)
		}
		if m, ok := tc.style.MissedTo.(*bytes.Buffer); ok && m.String() != tc.missed {
			t.Errorf("missed note %q, want %q", m.String(), tc.missed)
		}
	}
}

func TestWriteFrames(t *testing.T) {
	var j render.JSON
	st := Stack{State: Present, Frames: []syms.Symbol{{Addr: 0x401136, Name: "lock_here", Offset: 0x16, Known: true, Path: "/bin/x"}}}
	j.Open()
	WriteFrames(&j, "user", &st, false)
	WriteFrames(&j, "lost", &Stack{State: Missed}, false)
	WriteFrames(&j, "absent", &Stack{}, false)
	j.Close()
	var got map[string]any
	if err := json.Unmarshal(j.Bytes(), &got); err != nil {
		t.Fatalf("%v: %s", err, j.Bytes())
	}
	frames, _ := got["user"].([]any)
	f, _ := frames[0].(map[string]any)
	if len(frames) != 1 || f["symbol"] != "lock_here" || f["address"] != "0x401136" || f["module"] != "/bin/x" {
		t.Errorf("user %v", got["user"])
	}
	if got["lost"] != nil || got["lost_missed"] != true {
		t.Errorf("lost side: %s", j.Bytes())
	}
	if _, ok := got["absent"]; ok {
		t.Errorf("absent side written: %s", j.Bytes())
	}
}
