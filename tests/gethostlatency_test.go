package tests

import (
	"debug/elf"
	"fmt"
	"io"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// resolver is tests/testdata/resolver.c: it resolves a host name once through each of
// getaddrinfo, gethostbyname and gethostbyname2 whenever told to.
type resolver struct {
	*workload
	bin string
}

func startResolver(t *testing.T, comm, host string) *resolver {
	t.Helper()
	bin := cProgram(t, "resolver")
	w := startWorkload(t, exec.Command(bin, comm, host), comm)
	if l := w.line(); l != fmt.Sprintf("ready %d", w.pid) {
		t.Fatalf("resolver said %q", l)
	}
	return &resolver{workload: w, bin: bin}
}

// resolve makes the three lookups and waits until they returned.
func (r *resolver) resolve() {
	r.t.Helper()
	io.WriteString(r.stdin, "go\n")
	if l := r.line(); l != "done" {
		r.t.Fatalf("resolver said %q", l)
	}
}

// static reports whether the resolver is linked statically (the guests' prebuilt one): it has
// no libc to probe then, and the functions are in its own executable.
func (r *resolver) static() bool {
	f, err := elf.Open(r.bin)
	if err != nil {
		r.t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return false
		}
	}
	return true
}

// TestGethostlatency traces one process (-p), which finds its libc, or in a static executable
// the functions themselves.
func TestGethostlatency(t *testing.T) {
	comm := workloadName("bpfu-gh")
	r := startResolver(t, comm, "localhost")
	p := start(t, "gethostlatency", "-p", strconv.Itoa(r.pid))
	if got := strings.Split(p.Stdout(), "\n")[0]; got != fmt.Sprintf("%-8s %-7s %-16s %-10s %-s", "TIME", "PID", "COMM", "LATms", "HOST") {
		t.Fatalf("header %q", got)
	}
	r.resolve()
	p.waitLines(comm, 3, 20*time.Second)
	out := p.stop()
	want := regexp.MustCompile(fmt.Sprintf(`^\d\d:\d\d:\d\d %-7d %-16s (\d+\.\d{3}) *localhost$`, r.pid, comm))
	lines := linesWith(out, comm)
	if len(lines) != 3 {
		t.Errorf("want 3 lookups (getaddrinfo, gethostbyname, gethostbyname2), got %d\n%s", len(lines), out)
	}
	for _, l := range lines {
		m := want.FindStringSubmatch(l)
		if m == nil {
			t.Errorf("line %q does not match %s", l, want)
			continue
		}
		if ms, _ := strconv.ParseFloat(m[1], 64); ms > 10000 {
			t.Errorf("latency %s ms in %q", m[1], l)
		}
	}
}

// TestGethostlatencyJSON traces every process: through the system's libc, or with -l the
// static resolver's own executable.
func TestGethostlatencyJSON(t *testing.T) {
	comm := workloadName("bpfu-ghj")
	r := startResolver(t, comm, "localhost")
	args := []string{"--json"}
	if r.static() {
		args = append(args, "-l", r.bin)
	}
	p := start(t, "gethostlatency", args...)
	r.resolve()
	p.waitLines(comm, 3, 20*time.Second)
	out := p.stop()
	var seen int
	for _, l := range ofType(jsonLines(t, "gethostlatency", out), "event") {
		if l.str("comm") != comm {
			continue
		}
		seen++
		if int(l.num("pid")) != r.pid || l.str("host") != "localhost" {
			t.Errorf("event %v: want pid %d host localhost", l, r.pid)
		}
		if ms := l.num("latency_ms"); ms <= 0 || ms > 10000 {
			t.Errorf("event %v: latency_ms %v", l, ms)
		}
	}
	if seen != 3 {
		t.Errorf("want 3 lookups of %s, got %d\n%s", comm, seen, out)
	}
}

func TestGethostlatencyBadInput(t *testing.T) {
	badInput(t, "gethostlatency", "Invalid libc: /no/such/libc.so.6", "-l", "/no/such/libc.so.6")
	badInput(t, "gethostlatency", "could not find getaddrinfo in /bin/true", "-l", "/bin/true")
	badInput(t, "gethostlatency", "invalid PID", "-p", "abc")
	badInput(t, "gethostlatency", "flag provided but not defined", "--bogus")
}
