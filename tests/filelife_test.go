package tests

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// lifeDir is a directory for the "life" workload (fsslower_test.go), as the kernel names it.
func lifeDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp(scratchDir(t), "bpfu-life-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if dir, err = filepath.EvalSymlinks(dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

// runFilelife traces the "life" workload with args; meanwhile this test process itself
// creates and deletes BASE-other. It returns the output and the workload.
func runFilelife(t *testing.T, args ...string) (string, *fsWork) {
	w := startFsWork(t, "life", lifeDir(t))
	args = append(args, "-p", strconv.Itoa(w.pid))
	p := start(t, "filelife", args...)
	other := filepath.Join(w.dir, w.comm+"-other")
	if err := os.WriteFile(other, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	w.run()
	os.Remove(other)
	p.waitFor(w.comm+"-b", 10*time.Second)
	time.Sleep(300 * time.Millisecond)
	return p.stop(), w
}

// checkLives checks the files reported, by name: -a about 0.4 s old and -b about 0.2 s, both
// deleted by the workload; nothing else of the workload's or of this test's.
func checkFileLives(t *testing.T, out string, w *fsWork, got map[string]float64, pids, comms map[string]string) {
	t.Helper()
	want := map[string]float64{"a": 0.4, "b": 0.2}
	for name, age := range got {
		suffix, ok := strings.CutPrefix(name, w.comm+"-")
		if !ok {
			continue
		}
		min, wanted := want[suffix]
		if !wanted {
			t.Errorf("%s reported, it is not a file created and deleted while tracing\n%s", name, out)
			continue
		}
		if age < min || age > min+5 {
			t.Errorf("%s: age %.3f s, want %.1f s or a little more\n%s", name, age, min, out)
		}
		if pids[name] != strconv.Itoa(w.pid) || comms[name] != w.comm {
			t.Errorf("%s deleted by %s %s, want %s %d", name, comms[name], pids[name], w.comm, w.pid)
		}
		delete(want, suffix)
	}
	if len(want) > 0 {
		t.Errorf("not reported: %v\n%s", want, out)
	}
}

func TestFilelife(t *testing.T) {
	out, w := runFilelife(t)
	lines := strings.Split(out, "\n")
	if lines[0] != "Tracing the lifespan of short-lived files ... Hit Ctrl-C to end." || lines[1] != "TIME     PID    COMM             AGE(s)  FILE" {
		t.Errorf("banner and header:\n%s", strings.Join(lines[:2], "\n"))
	}
	got, pids, comms := map[string]float64{}, map[string]string{}, map[string]string{}
	for _, l := range lines[2:] {
		f := fields(l)
		if len(f) != 5 {
			continue
		}
		age, err := strconv.ParseFloat(f[3], 64)
		if err != nil {
			t.Errorf("AGE(s) in %q", l)
		}
		got[f[4]], pids[f[4]], comms[f[4]] = age, f[1], f[2]
	}
	checkFileLives(t, out, w, got, pids, comms)
}

// TestFilelifeFullPath: -F names the files by their full paths.
func TestFilelifeFullPath(t *testing.T) {
	out, w := runFilelife(t, "-F")
	for _, name := range []string{"a", "b"} {
		if len(linesWith(out, " "+filepath.Join(w.dir, w.comm+"-"+name))) != 1 {
			t.Errorf("no line ending in %s\n%s", filepath.Join(w.dir, w.comm+"-"+name), out)
		}
	}
}

func TestFilelifeJSON(t *testing.T) {
	out, w := runFilelife(t, "--json")
	got, pids, comms := map[string]float64{}, map[string]string{}, map[string]string{}
	for _, e := range ofType(jsonLines(t, "filelife", out), "event") {
		name := e.str("file")
		got[name], pids[name], comms[name] = e.num("age_ns")/1e9, strconv.Itoa(int(e.num("pid"))), e.str("comm")
	}
	checkFileLives(t, out, w, got, pids, comms)
}

func TestFilelifeBadInput(t *testing.T) {
	badInput(t, "filelife", "invalid PID", "-p", "x")
	badInput(t, "filelife", "unrecognized positional argument", "1")
}
