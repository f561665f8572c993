package tracer

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func fakeTraceFS(t *testing.T, events ...string) {
	t.Helper()
	dir := t.TempDir()
	// A readable tracefs has events/ even where it lacks the event asked for.
	if err := os.Mkdir(filepath.Join(dir, "events"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, e := range events {
		cat, name, _ := strings.Cut(e, ":")
		p := filepath.Join(dir, "events", cat, name)
		if err := os.MkdirAll(p, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(p, "format"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	old := TraceFS
	TraceFS = dir
	t.Cleanup(func() { TraceFS = old })
}

var ioStart = Probe{What: "I/O start", Hooks: []Hook{
	{Prog: "kp", Kind: Kprobe, Target: "no_such_function_in_any_kernel"},
	{Prog: "tp", Kind: Tracepoint, Target: "block:block_io_start"},
	{Prog: "raw", Kind: RawTP, Target: "block:block_io_start"},
}}

func TestChooseFallsBackToTracepoint(t *testing.T) {
	fakeTraceFS(t, "block:block_io_start")
	got, err := choose([]Probe{ioStart}, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got["I/O start"].Prog != "tp" {
		t.Fatalf("chose %v, want the tracepoint", got["I/O start"])
	}
}

func TestChooseSkipsHooksThatFailedToAttach(t *testing.T) {
	fakeTraceFS(t, "block:block_io_start")
	failed := map[Hook]string{ioStart.Hooks[1]: "attach failed"}
	got, err := choose([]Probe{ioStart}, failed, Options{})
	if err != nil || got["I/O start"].Prog != "raw" {
		t.Fatalf("chose %v (%v), want the raw tracepoint", got, err)
	}
}

func TestChooseNamesWhatIsMissing(t *testing.T) {
	fakeTraceFS(t)
	_, err := choose([]Probe{ioStart}, nil, Options{})
	if err == nil {
		t.Fatal("no error with no usable hook")
	}
	msg := err.Error()
	for _, want := range []string{"cannot trace I/O start: ", "kernel has no tracepoint block:block_io_start"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
	if strings.Count(msg, "block_io_start") != 1 {
		t.Errorf("error %q repeats a reason", msg)
	}
	opt := ioStart
	opt.Optional = true
	got, err := choose([]Probe{opt}, nil, Options{})
	if err != nil || len(got) != 0 {
		t.Errorf("optional probe: %v, %v; want skipped", got, err)
	}
}

func TestForcedFamilyGoesFirst(t *testing.T) {
	t.Setenv("BPFUTILS_ATTACH", "tracepoint")
	var kinds []Kind
	for _, h := range ioStart.ordered() {
		kinds = append(kinds, h.Kind)
	}
	if want := []Kind{Tracepoint, RawTP, Kprobe}; !reflect.DeepEqual(kinds, want) {
		t.Errorf("order %v, want %v", kinds, want)
	}
}
