package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"

	"github.com/bpfutils/bpfutils/pkg/app"
	"github.com/bpfutils/bpfutils/pkg/tracer"
	"github.com/bpfutils/bpfutils/tools"
)

func TestDispatch(t *testing.T) {
	var out, errb bytes.Buffer
	if code := dispatch([]string{"/usr/bin/bpfutils", "--list"}, &out, &errb); code != 0 {
		t.Fatalf("--list exit %d", code)
	}
	listed := strings.Fields(out.String())
	if len(listed) == 0 || !strings.Contains(out.String(), "execsnoop\n") {
		t.Fatalf("--list printed %q", out.String())
	}

	out.Reset()
	if code := dispatch([]string{"bpfutils"}, &out, &errb); code != 0 || !strings.Contains(out.String(), "  execsnoop ") {
		t.Errorf("no args: exit %d, %q", code, out.String())
	}

	out.Reset()
	errb.Reset()
	code := dispatch([]string{"bpfutils", "nosuchtool"}, &out, &errb)
	if code == 0 || errb.String() != "bpfutils: unknown tool \"nosuchtool\" (see 'bpfutils --list')\n" {
		t.Errorf("unknown tool: exit %d, %q", code, errb.String())
	}

	out.Reset()
	if code := dispatch([]string{"/some/where/execsnoop", "-V"}, &out, &errb); code != 0 || out.String() != "execsnoop 0.1\n" {
		t.Errorf("argv[0] dispatch: exit %d, %q", code, out.String())
	}
	out.Reset()
	if code := dispatch([]string{"bpfutils", "execsnoop", "--version"}, &out, &errb); code != 0 || out.String() != "execsnoop 0.1\n" {
		t.Errorf("first-argument dispatch: exit %d, %q", code, out.String())
	}
}

func TestInstall(t *testing.T) {
	dir := t.TempDir()
	var errb bytes.Buffer
	if code := registry(tools.All).install([]string{"-s", dir}, &errb); code != 0 {
		t.Fatalf("install: %d %s", code, errb.String())
	}
	self, _ := os.Executable()
	for _, n := range registry(tools.All).names() {
		target, err := os.Readlink(filepath.Join(dir, n))
		if err != nil || target != self {
			t.Errorf("%s -> %q (%v), want %s", n, target, err, self)
		}
	}
	if code := registry(tools.All).install([]string{"-s", filepath.Join(dir, "missing")}, &errb); code == 0 {
		t.Error("install into a missing directory succeeded")
	}
}

func TestRegistryNamesUnique(t *testing.T) {
	seen := map[string]bool{}
	for _, n := range registry(tools.All).names() {
		if seen[n] {
			t.Errorf("tool %s is registered twice", n)
		}
		seen[n] = true
	}
}

// TestAliases: an alias is listed, installed and dispatched on like a tool, with its preset
// options ahead of the user's.
func TestAliases(t *testing.T) {
	type config struct{ kill bool }
	var ran []string
	demo := app.Define(app.Def[config]{
		Name: "sigdemo", Usage: "Trace signals",
		Aliases: []app.Alias{{Name: "killdemo", Args: []string{"-k"}, Usage: "Trace kill() signals"}},
		Flags:   func(c *config) []cli.Flag { return []cli.Flag{app.Bool(&c.kill, "kill k", "kill() only")} },
		Run: func(env *app.Env, c *config, _ *tracer.Tracer) error {
			ran = append(ran, fmt.Sprintf("%s kill=%v", env.Out.Tool, c.kill))
			return nil
		},
	})
	r := registry{demo}
	var out, errb bytes.Buffer
	r.dispatch([]string{"bpfutils", "--list"}, &out, &errb)
	if out.String() != "killdemo\nsigdemo\n" {
		t.Errorf("--list: %q", out.String())
	}
	out.Reset()
	r.dispatch([]string{"bpfutils"}, &out, &errb)
	if !strings.Contains(out.String(), "  killdemo         Trace kill() signals\n") {
		t.Errorf("tool list: %q", out.String())
	}
	for _, argv := range [][]string{{"/x/killdemo"}, {"bpfutils", "killdemo"}, {"sigdemo", "-k"}, {"sigdemo"}} {
		if code := r.dispatch(argv, &out, &errb); code != 0 {
			t.Errorf("%q: exit %d: %s", argv, code, errb.String())
		}
	}
	want := "[killdemo kill=true killdemo kill=true sigdemo kill=true sigdemo kill=false]"
	if fmt.Sprint(ran) != want {
		t.Errorf("runs %v, want %s", ran, want)
	}
	dir := t.TempDir()
	if code := r.install([]string{"-s", dir}, &errb); code != 0 {
		t.Fatal(errb.String())
	}
	if _, err := os.Readlink(filepath.Join(dir, "killdemo")); err != nil {
		t.Errorf("alias not installed: %v", err)
	}
}

// TestInstallLeavesOtherFilesAlone: a file of a tool's name that is not this binary stops the
// install before anything changes; links to this binary are kept; a rerun succeeds.
func TestInstallLeavesOtherFilesAlone(t *testing.T) {
	r := registry(tools.All)
	dir := t.TempDir()
	script := filepath.Join(dir, "profile")
	os.WriteFile(script, []byte("#!/bin/sh\necho mine\n"), 0o755)
	var errb bytes.Buffer
	if code := r.install([]string{"-s", dir}, &errb); code == 0 || !strings.Contains(errb.String(), "profile exists and is not") || strings.Count(errb.String(), "\n") != 1 {
		t.Errorf("install over a script: exit %d, %q", code, errb.String())
	}
	if b, _ := os.ReadFile(script); string(b) != "#!/bin/sh\necho mine\n" {
		t.Errorf("the script was changed: %q", b)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("a refused install left %d files", len(entries))
	}
	os.Remove(script)
	for i := 0; i < 2; i++ {
		errb.Reset()
		if code := r.install([]string{"-s", dir}, &errb); code != 0 {
			t.Fatalf("install #%d: %d %s", i+1, code, errb.String())
		}
	}
}

func TestUnknownArgv0(t *testing.T) {
	var out, errb bytes.Buffer
	code := dispatch([]string{"/usr/local/bin/nosuchtool"}, &out, &errb)
	if code != 127 || out.Len() != 0 || errb.String() != "bpfutils: unknown tool \"nosuchtool\" (see 'bpfutils --list')\n" {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out.String(), errb.String())
	}
}

// TestVerifyUnknownObject: --verify of an object the binary does not carry is an error, not
// "0 programs loaded, 0 failed".
func TestVerifyUnknownObject(t *testing.T) {
	var out, errb bytes.Buffer
	code := dispatch([]string{"bpfutils", "--verify", "nosuchobj"}, &out, &errb)
	if code == 0 || errb.String() != "bpfutils: --verify: no BPF object named nosuchobj\n" {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out.String(), errb.String())
	}
}
