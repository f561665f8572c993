package tests

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// interactiveBash is a bash reading commands through readline from a pseudo-terminal the test
// types into; it is ended when the test ends.
type interactiveBash struct {
	pid    int
	master *os.File
}

func startInteractiveBash(t *testing.T) *interactiveBash {
	t.Helper()
	need(t, "bash")
	bash, _ := exec.LookPath("bash")
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals: %v", err)
	}
	t.Cleanup(func() { master.Close() })
	if err := unix.IoctlSetPointerInt(int(master.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatalf("unlock pty: %v", err)
	}
	n, err := unix.IoctlGetInt(int(master.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatalf("pty number: %v", err)
	}
	slave, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("open pty: %v", err)
	}
	defer slave.Close()
	// The comm must stay "bash": the tool, as libbpf-tools', only reports bash's lines.
	cmd := exec.Command(bash, "--norc", "--noprofile", "-i")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	cmd.Env = []string{"TERM=dumb", "PATH=/usr/bin:/bin", "HOME=/", "HISTFILE=/dev/null", "PS1=$ "}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go io.Copy(io.Discard, master) // the prompt and echo must not fill the terminal's buffer
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	return &interactiveBash{pid: cmd.Process.Pid, master: master}
}

// typeLine types line and Enter at the prompt.
func (b *interactiveBash) typeLine(t *testing.T, line string) {
	t.Helper()
	if _, err := b.master.WriteString(line + "\r"); err != nil {
		t.Fatalf("type %q: %v", line, err)
	}
}

func TestBashreadline(t *testing.T) {
	need(t, "bash")
	p := start(t, "bashreadline")
	if got := strings.Split(p.Stdout(), "\n")[0]; got != fmt.Sprintf("%-9s %-7s %s", "TIME", "PID", "COMMAND") {
		t.Fatalf("header %q", got)
	}
	b := startInteractiveBash(t)
	command := fmt.Sprintf("echo %s-$((6*7))", workloadName("bpfu-rl"))
	b.typeLine(t, command)
	p.waitFor(command, 20*time.Second)
	out := p.stop()
	want := regexp.MustCompile(fmt.Sprintf(`^\d\d:\d\d:\d\d  %-7d %s$`, b.pid, regexp.QuoteMeta(command)))
	if l := linesWith(out, command); len(l) != 1 || !want.MatchString(l[0]) {
		t.Errorf("want one line %q, got %q\n%s", want, l, out)
	}
}

// TestBashreadlineJSON: the same with the shell named by -s, read from --json.
func TestBashreadlineJSON(t *testing.T) {
	need(t, "bash")
	bash, _ := exec.LookPath("bash")
	p := start(t, "bashreadline", "--json", "-s", bash)
	b := startInteractiveBash(t)
	command := fmt.Sprintf("true %s 'two  words'", workloadName("bpfu-rlj"))
	b.typeLine(t, command)
	p.waitFor(workloadName("bpfu-rlj"), 20*time.Second)
	out := p.stop()
	var seen int
	for _, l := range ofType(jsonLines(t, "bashreadline", out), "event") {
		if l.str("command") == command {
			seen++
			if int(l.num("pid")) != b.pid {
				t.Errorf("pid %v, want the shell's %d", l.num("pid"), b.pid)
			}
		}
	}
	if seen != 1 {
		t.Errorf("want one event with command %q, got %d\n%s", command, seen, out)
	}
}

func TestBashreadlineBadInput(t *testing.T) {
	badInput(t, "bashreadline", "/no/such/libreadline.so", "-s", "/no/such/libreadline.so")
	badInput(t, "bashreadline", "could not find readline in /bin/true", "-s", "/bin/true")
	badInput(t, "bashreadline", "flag provided but not defined", "--bogus")
}
