package tests

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
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
	// -u takes a user name too (BCC's Python execsnoop): one that does not exist is refused.
	badInput(t, "execsnoop", `unknown user "no-such-user-bpfu"`, "-u", "no-such-user-bpfu")
	badInput(t, "execsnoop", "invalid UID", "-u", "-1")
	badInput(t, "execsnoop", "invalid PPID", "-P", "abc")
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

// TestExecsnoopJSON: the workload of TestExecsnoop read from --json: one event per exec with its
// pid, the test as parent, uid 0, ret 0 and the arguments as an array of strings.
func TestExecsnoopJSON(t *testing.T) {
	name := workloadName("bpfu-execj")
	prog := copyExecutable(t, "/bin/true", name)
	p := start(t, "execsnoop", "--json", "-t", "-q")
	args := map[int][]string{}
	for i := 0; i < 20; i++ {
		cmd := exec.Command(prog, fmt.Sprintf("arg-%d", i), "two \"words\"\t", "")
		if err := cmd.Run(); err != nil {
			t.Fatal(err)
		}
		args[cmd.Process.Pid] = cmd.Args
	}
	p.waitFor(`"arg-19"`, 5e9)
	lines := jsonLines(t, "execsnoop", p.stop())
	if len(lines) == 0 || lines[0].str("type") != "start" {
		t.Fatalf("first line is not the start line: %v", lines)
	}
	seen := 0
	for _, e := range ofType(lines, "event") {
		if e.str("comm") != name {
			continue
		}
		pid := int(e.num("pid"))
		want, ok := args[pid]
		if !ok {
			t.Errorf("event of a pid the test did not start: %v", e)
			continue
		}
		seen++
		if int(e.num("ppid")) != os.Getpid() || e.num("uid") != 0 || e.num("ret") != 0 || e["args_truncated"] != false {
			t.Errorf("event of pid %d reads %v", pid, e)
		}
		if s, ok := e["time_s"].(float64); !ok || s < 0 {
			t.Errorf("-t: time_s %v", e["time_s"])
		}
		// As passed, whatever -q does to the text: the program, then each argument.
		got, _ := e["args"].([]any)
		if fmt.Sprint(got) != fmt.Sprint(append([]string{prog}, want[1:]...)) || len(got) != len(want) {
			t.Errorf("args %q, want %q", got, append([]string{prog}, want[1:]...))
		}
	}
	if seen != 20 {
		t.Errorf("saw %d of 20 execs in JSON", seen)
	}
}

// TestExecsnoopUserName: -u takes a user name as BCC's Python execsnoop does, and traces that
// user's execs only; the UID column (-U) and JSON's uid are the user's.
func TestExecsnoopUserName(t *testing.T) {
	nobody, err := user.Lookup("nobody")
	if err != nil {
		t.Skipf("no user nobody here: %v", err)
	}
	name := workloadName("bpfu-exuid")
	prog := copyExecutable(t, "/bin/true", name)
	// The copy lives in the test's temporary directories, which only root may enter.
	for dir := filepath.Dir(prog); dir != os.TempDir() && dir != "/"; dir = filepath.Dir(dir) {
		if err := os.Chmod(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	uid, _ := strconv.Atoi(nobody.Uid)
	gid, _ := strconv.Atoi(nobody.Gid)
	runAs := func(asNobody bool, arg string) int {
		cmd := exec.Command(prog, arg)
		if asNobody {
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
		}
		if err := cmd.Run(); err != nil {
			t.Fatal(err)
		}
		return cmd.Process.Pid
	}
	for _, json := range []bool{false, true} {
		args := []string{"-U", "-u", "nobody"}
		if json {
			args = append(args, "--json")
		}
		p := start(t, "execsnoop", args...)
		runAs(false, "as-root")
		pids := []int{runAs(true, "as-nobody"), runAs(true, "as-nobody")}
		p.waitFor(fmt.Sprint(pids[1]), 5e9)
		out := p.stop()
		if strings.Contains(out, "as-root") {
			t.Errorf("-u nobody (json %v) showed root's exec\n%s", json, out)
		}
		var got []int
		if json {
			for _, e := range ofType(jsonLines(t, "execsnoop", out), "event") {
				if int(e.num("uid")) != uid {
					t.Errorf("-u nobody: event of uid %v", e["uid"])
				}
				if e.str("comm") == name {
					got = append(got, int(e.num("pid")))
				}
			}
		} else {
			for _, l := range linesWith(out, name) {
				// UID PCOMM PID PPID RET ARGS
				if f := fields(l); f[0] != nobody.Uid || f[1] != name || !strings.HasSuffix(l, " as-nobody") {
					t.Errorf("line %q, want UID %s and %s's args", l, nobody.Uid, name)
				} else {
					pid, _ := strconv.Atoi(f[2])
					got = append(got, pid)
				}
			}
		}
		if !slices.Equal(got, pids) {
			t.Errorf("-u nobody (json %v): execs of pids %v, want %v\n%s", json, got, pids, out)
		}
	}
}

// TestExecsnoopPPID: -P shows the execs of one parent's children only. A shell, the parent,
// runs the workload twice; the same workload run by the test (another parent) is left out.
func TestExecsnoopPPID(t *testing.T) {
	need(t, "sh")
	name := workloadName("bpfu-exppid")
	prog := copyExecutable(t, "/bin/true", name)
	parent := exec.Command("sh", "-c", `read x; "$0" from-parent; "$0" from-parent; exit 0`, prog)
	in, err := parent.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := parent.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { parent.Process.Kill(); parent.Wait() })
	ppid := strconv.Itoa(parent.Process.Pid)
	p := start(t, "execsnoop", "-P", ppid)
	if err := exec.Command(prog, "from-elsewhere").Run(); err != nil {
		t.Fatal(err)
	}
	in.Write([]byte("go\n"))
	if err := parent.Wait(); err != nil {
		t.Fatalf("parent shell: %v", err)
	}
	// Both execs happened: the tool reads what is in its buffer before it exits.
	out := p.stop()
	rows := linesWith(out, name)
	if len(rows) != 2 {
		t.Fatalf("-P %s: want the 2 execs of its children, got\n%s", ppid, out)
	}
	for _, l := range rows {
		// PCOMM PID PPID RET ARGS
		if f := fields(l); f[2] != ppid || !strings.HasSuffix(l, " "+prog+" from-parent") {
			t.Errorf("-P %s: line %q", ppid, l)
		}
	}
	if l := linesWith(out, "from-elsewhere"); len(l) != 0 {
		t.Errorf("-P %s showed the exec of another parent: %q", ppid, l)
	}
}

// workloadPids runs a C workload to completion and returns the pid it printed after each word
// ("child 123", "at 124"), in order.
func workloadPids(t *testing.T, cmd *exec.Cmd) map[string][]int {
	t.Helper()
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%v: %v\n%s", cmd.Args, err, out)
	}
	pids := map[string][]int{}
	for _, l := range strings.Split(string(out), "\n") {
		if f := strings.Fields(l); len(f) == 2 {
			if pid, err := strconv.Atoi(f[1]); err == nil {
				pids[f[0]] = append(pids[f[0]], pid)
			}
		}
	}
	return pids
}

// TestExecsnoopUntouchedArgs: a forked child that calls execl() with string literals has not
// touched the pages they are on, and the syscall's entry cannot read them (libbpf-tools prints
// no arguments, or no line at all when the filename is one): the arguments still appear,
// read from the new image. The first child execs a copy of true with literal arguments, the
// second "/proc/self/exe", a literal too.
func TestExecsnoopUntouchedArgs(t *testing.T) {
	name := workloadName("bpfu-fe")
	prog := copyExecutable(t, "/bin/true", name)
	bin := cProgram(t, "forkexec")
	want := func(pids map[string][]int) map[int]string {
		if len(pids["child"]) != 2 {
			t.Fatalf("forkexec printed children %v", pids)
		}
		return map[int]string{
			pids["child"][0]: prog + " fe-literal-one fe-literal-two",
			pids["child"][1]: "/proc/self/exe fe-selfexec-literal",
		}
	}
	for _, json := range []bool{false, true} {
		var p *proc
		if json {
			p = start(t, "execsnoop", "--json")
		} else {
			p = start(t, "execsnoop")
		}
		args := want(workloadPids(t, exec.Command(bin, prog)))
		p.waitFor("fe-selfexec-literal", 5e9)
		out := p.stop()
		got := map[int]string{}
		if json {
			for _, e := range ofType(jsonLines(t, "execsnoop", out), "event") {
				if _, ok := args[int(e.num("pid"))]; !ok {
					continue
				}
				if e.num("ret") != 0 || e["args_truncated"] != false {
					t.Errorf("event %v", e)
				}
				var a []string
				list, _ := e["args"].([]any)
				for _, s := range list {
					a = append(a, fmt.Sprint(s))
				}
				got[int(e.num("pid"))] = strings.Join(a, " ")
			}
		} else {
			for pid := range args {
				// PCOMM PID PPID RET ARGS
				for _, l := range linesWith(out, fmt.Sprintf(" %-6d ", pid)) {
					if f := fields(l); len(f) > 4 && f[1] == strconv.Itoa(pid) && f[3] == "0" {
						got[pid] = strings.Join(f[4:], " ")
					}
				}
			}
		}
		for pid, a := range args {
			if got[pid] != a {
				t.Errorf("json %v: exec of pid %d shows args %q, want %q\n%s", json, pid, got[pid], a, out)
			}
		}
	}
}

// TestExecsnoopExecveat: execveat() and fexecve() (execveat(fd, "", AT_EMPTY_PATH)), which
// libbpf-tools does not see, are reported with their arguments and return value: the path as
// passed, or /dev/fd/N, the kernel's name for fexecve's file; with -x, a failed execveat too.
func TestExecsnoopExecveat(t *testing.T) {
	name := workloadName("bpfu-at")
	prog := copyExecutable(t, "/bin/true", name)
	bin := cProgram(t, "execat")
	token := workloadName("tok")
	for _, json := range []bool{false, true} {
		args := []string{"-x"}
		if json {
			args = append(args, "--json")
		}
		p := start(t, "execsnoop", args...)
		pids := workloadPids(t, exec.Command(bin, filepath.Dir(prog), name, token))
		p.waitFor("missing-"+token, 5e9)
		out := p.stop()
		type seen struct {
			comm, args string
			ret        int
		}
		got := map[int]seen{}
		if json {
			for _, e := range ofType(jsonLines(t, "execsnoop", out), "event") {
				var a []string
				list, _ := e["args"].([]any)
				for _, s := range list {
					a = append(a, fmt.Sprint(s))
				}
				got[int(e.num("pid"))] = seen{e.str("comm"), strings.Join(a, " "), int(e.num("ret"))}
			}
		} else {
			for _, l := range linesWith(out, token) {
				// PCOMM PID PPID RET ARGS
				if f := fields(l); len(f) > 4 {
					pid, _ := strconv.Atoi(f[1])
					ret, _ := strconv.Atoi(f[3])
					got[pid] = seen{f[0], strings.Join(f[4:], " "), ret}
				}
			}
		}
		check := func(what string, comm func(string) bool, args string, ret int) {
			t.Helper()
			if len(pids[what]) != 1 {
				t.Fatalf("execat printed %v", pids)
			}
			e, ok := got[pids[what][0]]
			if !ok || !comm(e.comm) || e.args != args || e.ret != ret {
				t.Errorf("json %v: %s (pid %d) reads %+v (seen %v), want args %q, ret %d\n%s", json, what, pids[what][0], e, ok, args, ret, out)
			}
		}
		isName := func(c string) bool { return c == name }
		check("at", isName, name+" at-"+token, 0)
		// The comm of fexecve's image is its file's name since Linux 6.14, the fd's number before.
		check("fexecve", func(c string) bool {
			_, err := strconv.Atoi(c)
			return c == name || err == nil
		}, "/dev/fd/4 fexecve-"+token, 0)
		check("missing", func(c string) bool { return c == "execat" }, "missing-"+name+" missing-"+token, -2)
	}
}
