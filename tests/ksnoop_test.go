package tests

import (
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// TestKsnoopInfo: the prototypes info prints are the functions' BTF, as libbpf-tools' ksnoop
// prints them. It needs no kprobes: it runs everywhere.
func TestKsnoopInfo(t *testing.T) {
	out, stderr, code := runTool(t, "ksnoop", "info", "vfs_read", "ksys_read")
	want := "ssize_t vfs_read(struct file *file, char *buf, size_t count, loff_t *pos);\n" +
		"ssize_t ksys_read(unsigned int fd, char *buf, size_t count);\n"
	if code != 0 || out != want {
		t.Errorf("exit %d, stdout\n%s\nwant\n%s\nstderr: %s", code, out, want, stderr)
	}
	// Abbreviated command words, as ksnoop takes them.
	if out, _, _ := runTool(t, "ksnoop", "i", "vfs_read(count > 1, return)"); !strings.HasPrefix(out, "ssize_t vfs_read(") {
		t.Errorf("ksnoop i: %q", out)
	}
	out, _, code = runTool(t, "ksnoop", "--json", "info", "vfs_read")
	lines := ofType(jsonLines(t, "ksnoop", out), "table")
	if code != 0 || len(lines) != 1 || lines[0].str("function") != "vfs_read" ||
		lines[0].str("prototype") != strings.SplitN(want, "\n", 2)[0] {
		t.Errorf("exit %d, JSON %v", code, lines)
	}
}

// ksnoopReader is tests/testdata/ksnoop.c: reads of 4097 bytes of /dev/zero on request.
type ksnoopReader struct{ *workload }

func startKsnoopReader(t *testing.T) *ksnoopReader {
	t.Helper()
	comm := workloadName("bpfu-ksn")
	w := startWorkload(t, exec.Command(cProgram(t, "ksnoop"), comm), comm)
	if l := w.line(); l != fmt.Sprintf("ready %d", w.pid) {
		t.Fatalf("ksnoop workload said %q", l)
	}
	return &ksnoopReader{w}
}

func (r *ksnoopReader) read(n int) {
	r.t.Helper()
	fmt.Fprintf(r.stdin, "read %d\n", n)
	if l := r.line(); l != "done" {
		r.t.Fatalf("ksnoop workload said %q", l)
	}
}

// startKsnoop starts ksnoop args where kprobes exist; elsewhere (the host) it checks the one
// line that says so and returns nil.
func startKsnoop(t *testing.T, args ...string) *proc {
	t.Helper()
	return startWhereHooked(t, "ksnoop", args, "cannot trace returns of vfs_read: kernel has no kprobe support (CONFIG_KPROBES)")
}

// TestKsnoop traces vfs_read in the workload (-p) with a predicate on its count and its return
// value shown: each of the workload's three reads of 4097 bytes is one record, on return, with
// both values, and its other reads (of its commands on stdin) are left out.
func TestKsnoop(t *testing.T) {
	r := startKsnoopReader(t)
	p := startKsnoop(t, "-p", strconv.Itoa(r.pid), "vfs_read(count == 4097, return)")
	if p == nil {
		return
	}
	r.read(3)
	out := p.stop()
	if !strings.HasPrefix(out, "            TIME  CPU      PID FUNCTION/ARGS\n") {
		t.Errorf("header:\n%s", out)
	}
	// "%16lld %4d %8u %s(\n", then "%34s %s = \n" and the dump indented by 36, values joined by
	// ",\n", closed by "\n%31s);\n\n".
	want := fmt.Sprintf("%8d vfs_read(\n%34s count = \n%36s(size_t)4097,\n%34s return = \n%36s(ssize_t)4097\n%31s);\n\n",
		r.pid, "", "", "", "", "")
	records := strings.Split(strings.TrimPrefix(out, "            TIME  CPU      PID FUNCTION/ARGS\n"), ");\n\n")
	n := 0
	for _, rec := range records {
		if strings.TrimSpace(rec) == "" {
			continue
		}
		n++
		f := fields(rec)
		if len(f) < 3 || len(rec) < 22 || rec[22:]+");\n\n" != want {
			t.Errorf("record\n%s\nwant after TIME and CPU\n%s", rec, want)
		}
	}
	if n != 3 {
		t.Errorf("%d records, want 3\n%s", n, out)
	}
}

// TestKsnoopJSON: the same records as JSON, without the return value (no stash: one record per
// entry), each with the count as libbpf dumps it.
func TestKsnoopJSON(t *testing.T) {
	r := startKsnoopReader(t)
	p := startKsnoop(t, "--json", "-p", strconv.Itoa(r.pid), "vfs_read(count == 4097, buf)")
	if p == nil {
		return
	}
	r.read(2)
	out := p.stop()
	events := ofType(jsonLines(t, "ksnoop", out), "event")
	if len(events) != 2 {
		t.Fatalf("%d events, want 2\n%s", len(events), out)
	}
	for _, e := range events {
		values, _ := e["values"].([]any)
		if e.str("function") != "vfs_read" || e.num("pid") != float64(r.pid) || e.str("at") != "entry" || len(values) != 2 {
			t.Errorf("event %v", e)
			continue
		}
		count, _ := values[0].(map[string]any)
		buf, _ := values[1].(map[string]any)
		if count["name"] != "count" || count["text"] != "(size_t)4097" {
			t.Errorf("count %v", count)
		}
		if ptr, _ := buf["pointer"].(float64); buf["name"] != "buf" || ptr == 0 {
			t.Errorf("buf %v", buf)
		}
	}
}

func TestKsnoopBadInput(t *testing.T) {
	badInput(t, "ksnoop", "Cannot find function 'no_such_function_xyz' in BTF", "no_such_function_xyz")
	badInput(t, "ksnoop", "Could not find 'nope' in arguments/return value for 'vfs_read'", "info", "vfs_read(nope)")
	badInput(t, "ksnoop", "No member 'nope' found in file", "vfs_read(file->nope)")
	badInput(t, "ksnoop", "Invalid specification; expected predicate, not '>x'", "vfs_read(count > x)")
	badInput(t, "ksnoop", "Invalid predicate specification '=>1'", "trace", "vfs_read(count => 1)")
	badInput(t, "ksnoop", "Invalid function specification", "vfs_read(count")
	badInput(t, "ksnoop", "no FUNC", "trace")
	badInput(t, "ksnoop", "invalid PID", "-p", "abc", "vfs_read")
}
