package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
	if code := install([]string{"-s", dir}, &errb); code != 0 {
		t.Fatalf("install: %d %s", code, errb.String())
	}
	self, _ := os.Executable()
	for _, n := range names() {
		target, err := os.Readlink(filepath.Join(dir, n))
		if err != nil || target != self {
			t.Errorf("%s -> %q (%v), want %s", n, target, err, self)
		}
	}
	if code := install([]string{"-s", filepath.Join(dir, "missing")}, &errb); code == 0 {
		t.Error("install into a missing directory succeeded")
	}
}

func TestRegistryNamesUnique(t *testing.T) {
	seen := map[string]bool{}
	for _, n := range names() {
		if seen[n] {
			t.Errorf("tool %s is registered twice", n)
		}
		seen[n] = true
	}
}
