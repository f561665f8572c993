package tests

// Least privilege: every tool run as nobody with only the capabilities it declares (README's
// "Least privilege" table), on real workloads; each of those capabilities taken away in turn, and the one
// line that names it. And tracefs: a tool that had to mount it unmounts it when it exits.

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
	"time"

	"github.com/bpfutils/bpfutils/tools"
)

// leastPrivilege is what each tool, and each alias, declares it needs as an ordinary user
// (Def.Caps; README's least-privilege table is generated from it): tool -> "CAP_BPF", ...
func leastPrivilege(t *testing.T) map[string][]string {
	t.Helper()
	needs := map[string][]string{}
	for _, tool := range tools.All {
		for _, name := range tool.Names() {
			needs[name] = tool.NeededCaps()
		}
	}
	return needs
}

// nobody is the unprivileged user and group the tools run as.
func nobody(t *testing.T) (uid, gid int, group string) {
	t.Helper()
	need(t, "setpriv")
	if out, _ := exec.Command("setpriv", "--version").Output(); !strings.Contains(string(out), "util-linux") {
		t.Skip("needs util-linux's setpriv")
	}
	u, err := user.Lookup("nobody")
	if err != nil {
		t.Skip("no user nobody")
	}
	for _, name := range []string{"nogroup", "nobody"} {
		if g, err := user.LookupGroup(name); err == nil {
			uid, _ = strconv.Atoi(u.Uid)
			gid, _ = strconv.Atoi(g.Gid)
			return uid, gid, name
		}
	}
	t.Skip("no group nogroup or nobody")
	return
}

// installedFor makes a directory everyone may enter with a copy of the binary and a link named
// tool to it, as `make install` would, and returns the link. The harness's own links live in
// directories only root may enter.
func installedFor(t *testing.T, tool string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "bpfutils-privileges-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	data, err := os.ReadFile(binary(t))
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "bpfutils")
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, tool)
	if err := os.Symlink(bin, link); err != nil {
		t.Fatal(err)
	}
	return link
}

// asNobody is the command line running argv as nobody with exactly caps ("CAP_BPF", ...) and
// no others.
func asNobody(t *testing.T, caps []string, argv ...string) []string {
	t.Helper()
	_, _, group := nobody(t)
	var names []string
	for _, c := range caps {
		names = append(names, "+"+strings.ToLower(strings.TrimPrefix(c, "CAP_")))
	}
	list := strings.Join(names, ",")
	if list == "" {
		list = "-all"
	}
	return append([]string{"setpriv", "--reuid=nobody", "--regid=" + group, "--init-groups",
		"--inh-caps=" + list, "--ambient-caps=" + list, "--"}, argv...)
}

// without returns caps without one.
func without(caps []string, one string) []string {
	return slices.DeleteFunc(slices.Clone(caps), func(c string) bool { return c == one })
}

// startArgv runs argv (a tool behind setpriv, nsenter...) and waits for its first line, as start
// does; it returns nil when the tool exited first, its stderr in *early.
func startArgv(t *testing.T, early *string, argv ...string) *proc {
	t.Helper()
	p := launch(t, exec.Command(argv[0], argv[1:]...))
	select {
	case <-p.lines:
		return p
	case <-p.done:
		if early == nil {
			t.Fatalf("%v exited before printing anything: %v\nstderr: %s", argv, p.err, p.Stderr())
		}
		*early = p.Stderr()
		return nil
	case <-time.After(20 * time.Second):
		t.Fatalf("%v printed nothing in 20s\nstderr: %s", argv, p.Stderr())
	}
	return nil
}

// runArgv runs argv to completion and returns its stdout, stderr and exit code.
func runArgv(t *testing.T, argv ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatalf("%v did not exit in 30s\nstdout:\n%s\nstderr:\n%s", argv, out.String(), errb.String())
	}
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

// hardwareMissing tells the tools that this machine cannot run at all (no cpufreq, no cache
// counters) by what they say, which has nothing to do with privileges.
func hardwareMissing(stderr string) bool {
	return strings.Contains(stderr, "depends on CPU Frequency Scaling") || strings.Contains(stderr, "no hardware cache counters") ||
		strings.Contains(stderr, "filesystem (not in /proc/filesystems") || // nfsdist, zfsslower ...
		strings.Contains(stderr, "kernel has no kprobe support") // ksnoop: kprobes only
}

// kallsymsHiddenFromNobody: nobody without CAP_SYSLOG sees kernel addresses as zero
// (kernel/kallsyms.c: kallsyms_show_value).
func kallsymsHiddenFromNobody() bool {
	read := func(p string) int {
		b, _ := os.ReadFile(p)
		n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
		return n
	}
	restrict := read("/proc/sys/kernel/kptr_restrict")
	return restrict >= 1 || read("/proc/sys/kernel/perf_event_paranoid") > 1
}

// TestLeastPrivilegeEveryTool: every tool, run as nobody with exactly the capabilities it
// declares, attaches and runs with no complaint; without each of those capabilities, it says in one
// line which one it misses (and, for CAP_BPF, CAP_PERFMON and CAP_DAC_READ_SEARCH, fails).
func TestLeastPrivilegeEveryTool(t *testing.T) {
	needs := leastPrivilege(t)
	out, err := exec.Command(binary(t), "--list").Output()
	if err != nil {
		t.Fatal(err)
	}
	tools := strings.Fields(string(out))
	for _, tool := range tools {
		if needs[tool] == nil {
			t.Errorf("no capabilities declared for %s", tool)
		}
	}
	for tool := range needs {
		if !slices.Contains(tools, tool) {
			t.Errorf("capabilities declared for %s, which --list does not name", tool)
		}
	}
	for _, tool := range tools {
		caps := needs[tool]
		if caps == nil {
			continue
		}
		t.Run(tool, func(t *testing.T) {
			skipOtherAttachPath(t, tool)
			path := installedFor(t, tool)
			argv := append([]string{path}, privilegeArgs(t, tool)...)
			var early string
			p := startArgv(t, &early, asNobody(t, caps, argv...)...)
			if p == nil {
				if hardwareMissing(early) {
					t.Skipf("not on this machine: %s", early)
				}
				t.Fatalf("as nobody with %v: %s", caps, early)
			}
			p.stop()
			for _, line := range strings.Split(strings.TrimSpace(p.Stderr()), "\n") {
				// Other users' processes may hold binaries nobody cannot read: that warning is
				// the documented one for extra capabilities.
				if strings.Contains(line, "CAP_") && !strings.Contains(line, "user symbols unavailable") {
					t.Errorf("with %v: %s", caps, line)
				}
			}
			for _, missing := range caps {
				if missing == "CAP_SYSLOG" && !kallsymsHiddenFromNobody() {
					continue
				}
				t.Run("without "+missing, func(t *testing.T) {
					var early string
					p := startArgv(t, &early, asNobody(t, without(caps, missing), argv...)...)
					stderr := early
					if p != nil {
						p.stop()
						stderr = p.Stderr()
						if missing != "CAP_SYSLOG" {
							t.Errorf("ran without %s\nstderr: %s", missing, stderr)
						}
					}
					if naming := linesWith(stderr, missing); len(naming) != 1 {
						t.Errorf("want one line naming %s, got %q", missing, stderr)
					}
					if p == nil && strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
						t.Errorf("want one line, got %q", stderr)
					}
				})
			}
		})
	}
}

// TestLeastPrivilegeExecsnoop: execsnoop as nobody sees root's execs (through the classic
// syscall tracepoints: CAP_DAC_READ_SEARCH reads their ids in tracefs).
func TestLeastPrivilegeExecsnoop(t *testing.T) {
	skipOtherAttachPath(t, "execsnoop")
	name := workloadName("bpfu-pexec")
	prog := copyExecutable(t, "/bin/true", name)
	p := startArgv(t, nil, asNobody(t, leastPrivilege(t)["execsnoop"], installedFor(t, "execsnoop"))...)
	cmd := exec.Command(prog, "least-privilege")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	p.waitFor(`least-privilege`, 5*time.Second)
	out := p.stop()
	rows := linesWith(out, name)
	if len(rows) != 1 || fields(rows[0])[1] != strconv.Itoa(cmd.Process.Pid) {
		t.Errorf("want one row for %s pid %d\n%s", name, cmd.Process.Pid, out)
	}
}

// TestLeastPrivilegeBiosnoop: biosnoop as nobody (raw_tp block tracepoints, found in the kernel's
// BTF as tracefs is closed to nobody) sees root's direct writes.
func TestLeastPrivilegeBiosnoop(t *testing.T) {
	skipOtherAttachPath(t, "biosnoop")
	disk := scratchDisk(t)
	name := workloadName("bpfu-pbio")
	p := startArgv(t, nil, asNobody(t, leastPrivilege(t)["biosnoop"], installedFor(t, "biosnoop"), "-d", disk)...)
	pid := directWrite(t, copyExecutable(t, "/bin/dd", name), "4k", biosnoopWrites)
	p.waitLines(name, biosnoopAtLeast, 10*time.Second)
	out := p.stop()
	writes := 0
	for _, l := range linesWith(out, name) {
		f := fields(l)
		if len(f) == 8 && f[2] == strconv.Itoa(pid) && biosnoopOp(f[4]) == "W" && f[6] == "4096" {
			writes++
		}
	}
	if writes < biosnoopAtLeast {
		t.Errorf("saw %d of %d writes of pid %d\n%s", writes, biosnoopWrites, pid, out)
	}
}

// TestLeastPrivilegeOffcputime: offcputime as nobody with CAP_SYSLOG and CAP_DAC_READ_SEARCH names
// both the kernel and the user frames of root's sleeping workload, whose binary lies in a
// directory only root may enter.
func TestLeastPrivilegeOffcputime(t *testing.T) {
	skipOtherAttachPath(t, "offcputime")
	l := startStackLoad(t, workloadName("psleep"), "sleep", "20", "20")
	caps := append(leastPrivilege(t)["offcputime"], "CAP_DAC_READ_SEARCH")
	p := startArgv(t, nil, asNobody(t, caps, installedFor(t, "offcputime"), "-d", "-p", strconv.Itoa(l.pid))...)
	l.work()
	out := p.stop()
	var slept uint64
	for _, e := range parseStacks(t, out) {
		if hasInOrder(e.user, "sleep_here", "main") && hasInOrder(e.kernel, "schedule", "do_nanosleep") {
			slept += e.value
		}
	}
	if slept < 19*20000 {
		t.Errorf("want at least 19 x 20 ms off-CPU in schedule <- do_nanosleep ... sleep_here <- main\n%s\nstderr: %s", out, p.Stderr())
	}
	if p.Stderr() != "" {
		t.Errorf("stderr: %s", p.Stderr())
	}
}

// TestLeastPrivilegeUserSymbols: profile as nobody without CAP_DAC_READ_SEARCH cannot read the
// workload's binary, in a directory only root may enter: one line names the file and the
// capability. With it, the frames have their names.
func TestLeastPrivilegeUserSymbols(t *testing.T) {
	skipOtherAttachPath(t, "profile")
	l := startStackLoad(t, workloadName("pusym"), "spin", spinLimit)
	bin := l.cmd.Path
	if !closedToOthers(bin) {
		t.Skipf("nobody may read the workload %s", bin)
	}
	path := installedFor(t, "profile")
	caps := leastPrivilege(t)["profile"]
	l.begin()
	without, stderr, code := runArgv(t, asNobody(t, caps, path, "-U", "-F", "99", "-p", strconv.Itoa(l.pid), "1")...)
	with, stderr2, code2 := runArgv(t, asNobody(t, append(caps, "CAP_DAC_READ_SEARCH"), path, "-U", "-F", "99", "-p", strconv.Itoa(l.pid), "1")...)
	l.finish()
	if code != 0 || code2 != 0 {
		t.Fatalf("exit %d, %d: %s %s", code, code2, stderr, stderr2)
	}
	if want := fmt.Sprintf("user symbols unavailable: permission denied on %s (needs CAP_DAC_READ_SEARCH)\n", bin); stderr != want {
		t.Errorf("without CAP_DAC_READ_SEARCH, stderr %q, want %q", stderr, want)
	}
	if strings.Contains(without, "burn_here") || !strings.Contains(without, "[unknown]") {
		t.Errorf("without CAP_DAC_READ_SEARCH the workload's frames have names\n%s", without)
	}
	if stderr2 != "" || !strings.Contains(with, "burn_here") {
		t.Errorf("with CAP_DAC_READ_SEARCH, no burn_here or a warning: %s\n%s", stderr2, with)
	}
}

// closedToOthers tells whether a directory on the way to path is closed to other users.
func closedToOthers(path string) bool {
	for dir := filepath.Dir(path); ; dir = filepath.Dir(dir) {
		if st, err := os.Stat(dir); err == nil && st.Mode().Perm()&0o001 == 0 {
			return true
		}
		if dir == "/" {
			return false
		}
	}
}

// TestLeastPrivilegeOpensnoopCallers: opensnoop -c as nobody names the callers in root's binary.
func TestLeastPrivilegeOpensnoopCallers(t *testing.T) {
	skipOtherAttachPath(t, "opensnoop")
	path := uniquePath(t, "pcallers")
	createFile(t, path)
	l := startStackLoad(t, workloadName("pocall"), "open", "3", path)
	p := startArgv(t, nil, asNobody(t, leastPrivilege(t)["opensnoop"], installedFor(t, "opensnoop"), "-c", "-n", l.comm)...)
	l.work()
	p.waitFor(path, 5*time.Second)
	out := p.stop()
	lines := strings.Split(out, "\n")
	rows := 0
	for i, line := range lines {
		if strings.HasSuffix(line, " "+path) {
			rows++
			if i+2 >= len(lines) || strings.TrimSpace(lines[i+1]) != "open_loop" || strings.TrimSpace(lines[i+2]) != "main" {
				t.Errorf("row %q: want open_loop and main under it\n%s", line, out)
			}
		}
	}
	if rows != 3 || p.Stderr() != "" {
		t.Errorf("want 3 rows for %s, got %d; stderr %q\n%s", path, rows, p.Stderr(), out)
	}
}

// mountNamespace starts a process in a private mount namespace where tracefs, debugfs and bpffs
// are not mounted, and returns its pid: tools run there through nsenter, and what is mounted
// there after they exit is read from /proc/PID/mountinfo.
func mountNamespace(t *testing.T) int {
	t.Helper()
	ns := mountNamespaceWithout(t, "/sys/kernel/debug", "/sys/kernel/tracing", "/sys/fs/bpf")
	if left := mountedTypes(t, ns, "tracefs", "debugfs", "bpf"); len(left) > 0 {
		t.Skipf("cannot unmount %v in a private mount namespace", left)
	}
	return ns
}

// mountNamespaceWithout is mountNamespace with only the mounts at dirs (and under them) taken away.
func mountNamespaceWithout(t *testing.T, dirs ...string) int {
	t.Helper()
	need(t, "unshare", "nsenter", "umount")
	script := ""
	for _, d := range dirs {
		script += "umount -R " + d + "; "
	}
	cmd := exec.Command("unshare", "--mount", "--propagation", "private", "--", "sh", "-c", script+"echo ready; exec cat")
	w := startWorkload(t, cmd, "")
	if s := w.line(); s != "ready" {
		t.Fatalf("namespace said %q", s)
	}
	return w.pid
}

// mountedTypes lists the mounts of pid's namespace that have one of the file system types.
func mountedTypes(t *testing.T, pid int, types ...string) []string {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/mountinfo", pid))
	if err != nil {
		t.Fatal(err)
	}
	var found []string
	for _, l := range strings.Split(string(data), "\n") {
		pre, post, ok := strings.Cut(l, " - ")
		if ok && slices.Contains(types, strings.Fields(post)[0]) {
			found = append(found, strings.Fields(post)[0]+" on "+strings.Fields(pre)[4])
		}
	}
	return found
}

// TestTracefsLeftAsFound: where no tracefs is mounted, a tool run as root mounts one, as its
// classic tracepoints need, and unmounts it when it exits: on SIGTERM, on Ctrl-C, at the end of
// its count. bpffs, which nothing needs, is not mounted at all.
func TestTracefsLeftAsFound(t *testing.T) {
	skipOtherAttachPath(t, "execsnoop")
	ns := mountNamespace(t)
	enter := []string{"nsenter", "-t", strconv.Itoa(ns), "-m", "--"}
	name := workloadName("bpfu-nsexec")
	prog := copyExecutable(t, "/bin/true", name)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		p := startArgv(t, nil, append(enter, toolPath(t, "execsnoop"))...)
		if mounted := mountedTypes(t, ns, "tracefs"); len(mounted) != 1 {
			t.Errorf("while execsnoop runs: %v, want one tracefs", mounted)
		}
		cmd := exec.Command(prog, sig.String())
		if err := cmd.Run(); err != nil {
			t.Fatal(err)
		}
		p.waitFor(sig.String(), 5*time.Second)
		p.cmd.Process.Signal(sig)
		p.wait(10 * time.Second)
		if left := mountedTypes(t, ns, "tracefs", "debugfs", "bpf"); len(left) > 0 {
			t.Errorf("after execsnoop ended by %v: %v left mounted", sig, left)
		}
	}
	out, stderr, code := runArgv(t, append(enter, toolPath(t, "runqlat"), "1", "1")...)
	if code != 0 || !strings.Contains(out, "usecs") {
		t.Errorf("runqlat 1 1: exit %d\n%s\nstderr: %s", code, out, stderr)
	}
	if left := mountedTypes(t, ns, "tracefs", "debugfs", "bpf"); len(left) > 0 {
		t.Errorf("after runqlat 1 1: %v left mounted", left)
	}
}

// TestTracefsMissingUnprivileged: where no tracefs is mounted and the user may not mount one, a
// tool that needs it says so in one line; tools on raw_tp run without it (and without bpffs).
func TestTracefsMissingUnprivileged(t *testing.T) {
	skipOtherAttachPath(t, "execsnoop")
	ns := mountNamespace(t)
	enter := []string{"nsenter", "-t", strconv.Itoa(ns), "-m", "--"}
	needs := leastPrivilege(t)
	_, stderr, code := runArgv(t, append(enter, asNobody(t, needs["execsnoop"], installedFor(t, "execsnoop"))...)...)
	want := "execsnoop: cannot trace execve entry: tracepoint syscalls:sys_enter_execve: " +
		"no tracefs is mounted (/sys/kernel/tracing) and mounting one needs CAP_SYS_ADMIN\n"
	if code == 0 || stderr != want {
		t.Errorf("exit %d, stderr\n%q, want\n%q", code, stderr, want)
	}
	out, stderr, code := runArgv(t, append(enter, asNobody(t, needs["runqlat"], installedFor(t, "runqlat"), "1", "1")...)...)
	if code != 0 || stderr != "" || !strings.Contains(out, "usecs") {
		t.Errorf("runqlat 1 1 without tracefs: exit %d\n%s\nstderr: %s", code, out, stderr)
	}
	if left := mountedTypes(t, ns, "tracefs", "debugfs", "bpf"); len(left) > 0 {
		t.Errorf("%v mounted", left)
	}
}

// TestTracefsOnlyUnderDebugfs: where tracefs is mounted only in debugfs (mode 0700), a tool takes
// it there and mounts nothing; nobody without CAP_DAC_READ_SEARCH is told that this is what it
// misses, not that mounting needs CAP_SYS_ADMIN.
func TestTracefsOnlyUnderDebugfs(t *testing.T) {
	skipOtherAttachPath(t, "execsnoop")
	ns := mountNamespaceWithout(t, "/sys/kernel/tracing")
	if m := mountedTypes(t, ns, "tracefs"); len(m) != 1 || m[0] != "tracefs on /sys/kernel/debug/tracing" {
		t.Skipf("want tracefs mounted in debugfs only, have %v", m)
	}
	enter := []string{"nsenter", "-t", strconv.Itoa(ns), "-m", "--"}
	caps := leastPrivilege(t)["execsnoop"]
	path := installedFor(t, "execsnoop")
	name := workloadName("bpfu-dbgexec")
	prog := copyExecutable(t, "/bin/true", name)
	for _, argv := range [][]string{{toolPath(t, "execsnoop")}, asNobody(t, caps, path)} {
		p := startArgv(t, nil, append(enter, argv...)...)
		cmd := exec.Command(prog, "under-debugfs")
		if err := cmd.Run(); err != nil {
			t.Fatal(err)
		}
		p.waitFor("under-debugfs", 5*time.Second)
		p.stop()
		if m := mountedTypes(t, ns, "tracefs"); len(m) != 1 {
			t.Errorf("%v: %v mounted, want the one in debugfs only", argv, m)
		}
	}
	_, stderr, code := runArgv(t, append(enter, asNobody(t, without(caps, "CAP_DAC_READ_SEARCH"), path)...)...)
	want := "execsnoop: cannot trace execve entry: tracepoint syscalls:sys_enter_execve: no tracefs at /sys/kernel/tracing, " +
		"and permission denied on /sys/kernel/debug (needs CAP_DAC_READ_SEARCH)\n"
	if code == 0 || stderr != want {
		t.Errorf("exit %d, stderr\n%q, want\n%q", code, stderr, want)
	}
}
