package stacks

import (
	"flag"
	"io"
	"strings"
	"testing"
)

func TestStorageOptionsSized(t *testing.T) {
	var s Storage
	flags := StorageOptionsSized(&s, 10240)
	if s.Size != 10240 || s.Depth == 0 {
		t.Errorf("defaults %+v, want 10240 stacks", s)
	}
	set := flag.NewFlagSet("x", flag.ContinueOnError)
	set.SetOutput(io.Discard)
	for _, f := range flags {
		f.Apply(set)
	}
	if err := set.Parse([]string{"-stack-storage-size", "20"}); err != nil || s.Size != 20 {
		t.Errorf("parse: %v, %+v", err, s)
	}
	if err := set.Parse([]string{"-stack-storage-size", "0"}); err == nil {
		t.Error("0 stacks accepted")
	}
	if !strings.Contains(flags[0].String(), "(default 10240)") {
		t.Errorf("help %q", flags[0].String())
	}
}
