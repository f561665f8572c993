package tests

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

func TestExecsnoop(t *testing.T) {
	name := workloadName("bpfu-exec")
	prog := copyExecutable(t, "/bin/true", name)
	p := start(t, "execsnoop", "-U", "-q")
	if got := strings.Fields(strings.Split(p.Stdout(), "\n")[0]); strings.Join(got, " ") != "UID PCOMM PID PPID RET ARGS" {
		t.Fatalf("header %q", got)
	}
	pids := map[string]bool{}
	for i := 0; i < 20; i++ {
		cmd := exec.Command(prog, fmt.Sprintf("arg-%d", i), "two words")
		if err := cmd.Run(); err != nil {
			t.Fatal(err)
		}
		pids[fmt.Sprint(cmd.Process.Pid)] = true
	}
	p.waitFor(fmt.Sprintf(`"arg-19" "two words"`), 5e9)
	out := p.stop()
	seen := 0
	for _, l := range linesWith(out, name) {
		f := fields(l)
		// UID PCOMM PID PPID RET ARGS...
		if f[0] != "0" || f[1] != name || f[4] != "0" {
			t.Errorf("bad line %q", l)
		}
		if pids[f[2]] {
			seen++
		}
		if !strings.Contains(l, `"two words"`) || !strings.Contains(l, prog) {
			t.Errorf("args missing in %q", l)
		}
	}
	if seen != 20 {
		t.Errorf("saw %d of 20 execs\n%s", seen, out)
	}
}

func TestExecsnoopFailsAndMaxArgs(t *testing.T) {
	p := start(t, "execsnoop", "-x", "--max-args", "3")
	name := workloadName("bpfu-miss")
	prog := copyExecutable(t, "/bin/true", name)
	noexec := prog + "-noexec"
	if err := os.WriteFile(noexec, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	exec.Command(noexec, "x").Run() // execve fails with EACCES
	exec.Command(prog, "1", "2", "3", "4", "5").Run()
	p.waitFor(" ...", 5e9)
	out := p.stop()
	l := linesWith(out, prog+" 1 2")
	if len(l) != 1 || !strings.HasSuffix(l[0], prog+" 1 2 ...") || fields(l[0])[0] != name {
		t.Errorf("want one truncated line for %s, got %q\n%s", name, l, out)
	}
	l = linesWith(out, noexec)
	if len(l) != 1 || fields(l[0])[3] != "-13" {
		t.Errorf("want the failed exec with RET -13, got %q\n%s", l, out)
	}
}

func TestExecsnoopBadInput(t *testing.T) {
	badInput(t, "execsnoop", "invalid UID", "-u", "nobody")
	badInput(t, "execsnoop", "max-args", "--max-args", "0")
	badInput(t, "execsnoop", "flag provided but not defined", "--bogus")
	badInput(t, "execsnoop", "cgroup", "-c", "/nonexistent/cgroup")
}

// TestExecsnoopPerfBuffer covers the transport of kernels without BPF ring buffers.
func TestExecsnoopPerfBuffer(t *testing.T) {
	t.Setenv("BPFUTILS_PERFBUF", "1")
	name := workloadName("bpfu-perf")
	prog := copyExecutable(t, "/bin/true", name)
	p := start(t, "execsnoop")
	var pids []int
	for i := 0; i < 10; i++ {
		cmd := exec.Command(prog, "perfbuf")
		if err := cmd.Run(); err != nil {
			t.Fatal(err)
		}
		pids = append(pids, cmd.Process.Pid)
	}
	p.waitFor(fmt.Sprintf(" %d ", pids[9]), 5e9)
	out := p.stop()
	for _, pid := range pids {
		if len(linesWith(out, fmt.Sprintf("%-16s %-6d", name, pid))) != 1 {
			t.Errorf("exec of pid %d missing\n%s", pid, out)
		}
	}
}
