package stacks

import (
	"bytes"
	"testing"

	"github.com/bpfutils/bpfutils/pkg/render"
	"github.com/bpfutils/bpfutils/pkg/syms"
)

func TestWriteUnder(t *testing.T) {
	e := &Entry{Comm: "chown", PID: 42,
		Kernel: Stack{State: Present, Frames: []syms.Symbol{{Addr: 0xffffffff81000010, Name: "cap_capable", Offset: 0x10, Known: true}, {Addr: 0xffffffff82000000}}},
		User:   Stack{State: Missed}}
	var out, missed bytes.Buffer
	s := &Style{UnknownKernel: "Unknown", MissedTo: &missed}
	s.WriteUnder(&out, e)
	if want := "    cap_capable\n    Unknown\n    -                chown (42)\n"; out.String() != want {
		t.Errorf("got %q, want %q", out.String(), want)
	}
	if missed.String() != "    [Missed User Stack]\n" {
		t.Errorf("missed note %q", missed.String())
	}
	out.Reset()
	s = &Style{Verbose: true, Numbered: true}
	s.WriteUnder(&out, &Entry{Comm: "x", PID: 1, Kernel: e.Kernel})
	if want := "    #0  0xffffffff81000010 cap_capable+0x10\n    #1  0xffffffff82000000 [unknown]\n    -                x (1)\n"; out.String() != want {
		t.Errorf("verbose: got %q, want %q", out.String(), want)
	}
}

func TestSidesJSON(t *testing.T) {
	var j render.JSON
	j.Open()
	SidesJSON(&j, &Entry{Kernel: Stack{State: Present, Frames: []syms.Symbol{{Addr: 0x10, Name: "f", Known: true}}}, User: Stack{State: Missed}})
	j.Close()
	if want := `{"user":null,"user_missed":true,"kernel":[{"address":"0x10","symbol":"f","offset":0,"module":"vmlinux"}]}`; string(j.Bytes()) != want {
		t.Errorf("got %s, want %s", j.Bytes(), want)
	}
}
