package biostacks

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bpfutils/bpfutils/pkg/blockdev"
	"github.com/bpfutils/bpfutils/pkg/render"
	"github.com/bpfutils/bpfutils/pkg/syms"
)

func TestEntryMatchesCFormat(t *testing.T) {
	dir := t.TempDir()
	kallsyms := filepath.Join(dir, "kallsyms")
	os.WriteFile(kallsyms, []byte("ffffffff81001000 T submit_bio\nffffffff81002000 T vfs_write\nffffffff81003000 T _etext\n"), 0o644)
	s := syms.NewWithOptions(syms.Options{Kallsyms: kallsyms})
	disks, err := blockdev.Parse(strings.NewReader("major minor  #blocks  name\n\n 254        0  268435456 vda\n"))
	if err != nil {
		t.Fatal(err)
	}
	var k key
	copy(k.Comm[:], "a-very-long-command")
	k.Pid, k.Dev, k.StackSize = 4242, blockdev.MkDev(254, 0), 3*8
	k.Stack[0], k.Stack[1], k.Stack[2] = 0xffffffff81001010, 0xffffffff81002020, 0x10
	var v slots
	v.Slots[2] = 3
	var got bytes.Buffer
	out := render.NewSink("biostacks", render.FormatText, &got, io.Discard)
	h := newHistogram(out, disks, s, &k, &v)
	out.Histogram(histograms(&config{}), &h.Hist)
	out.Flush()
	want := "a-very-long-co 4242   vda    \nsubmit_bio\nvfs_write\nUnknown\n" +
		"     usecs               : count    distribution\n" +
		"         0 -> 1          : 0        |                                        |\n" +
		"         2 -> 3          : 0        |                                        |\n" +
		"         4 -> 7          : 3        |****************************************|\n"
	if got.String() != want {
		t.Errorf("got\n%q\nwant\n%q", got.String(), want)
	}
	if want := []string{"a-very-long-comm", "4242", "vda", "submit_bio;vfs_write;Unknown"}; strings.Join(h.Labels, "|") != strings.Join(want, "|") {
		t.Errorf("labels %q, want %q", h.Labels, want)
	}
}
