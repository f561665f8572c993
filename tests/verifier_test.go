package tests

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/bpfutils/bpfutils/pkg/bpfobj"
)

// TestVerifier loads every BPF program of every embedded object, one at a time, on the running
// kernel (`bpfutils --verify`): one subtest per program and hook, failing with the verifier's log.
// Hooks the kernel lacks skip with the reason; the host kernel refuses fentry, the vmtest guests
// must not.
func TestVerifier(t *testing.T) {
	if f := os.Getenv("BPFUTILS_ATTACH"); f != "" {
		t.Skipf("program loading does not depend on BPFUTILS_ATTACH=%s: checked in the unforced run", f)
	}
	cmd := exec.Command(binary(t), "--verify")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()

	type result struct{ status, name, via, detail, log string }
	var results []*result
	for _, l := range strings.Split(stdout.String(), "\n") {
		if rest, ok := strings.CutPrefix(l, "\t| "); ok && len(results) > 0 {
			results[len(results)-1].log += rest + "\n"
			continue
		}
		f := strings.SplitN(l, "\t", 4)
		if len(f) < 3 {
			continue
		}
		r := &result{status: f[0], name: f[1], via: f[2]}
		if len(f) == 4 {
			r.detail = f[3]
		}
		results = append(results, r)
	}
	failed := false
	covered := map[string]bool{}
	loaded := 0
	for _, r := range results {
		covered[strings.Split(r.name, "/")[0]] = true
		ok := t.Run(r.name+"/"+strings.ReplaceAll(r.via, " ", "_"), func(t *testing.T) {
			switch r.status {
			case "ok":
				loaded++
			case "skip":
				if os.Getenv("BPFUTILS_VM") != "" && strings.Contains(r.detail, "does not allow fentry") {
					t.Fatalf("%s via %s: %s, on a vmtest kernel that supports fentry", r.name, r.via, r.detail)
				}
				t.Skipf("%s via %s: %s", r.name, r.via, r.detail)
			default:
				t.Fatalf("%s via %s does not load: %s\n%s", r.name, r.via, r.detail, r.log)
			}
		})
		failed = failed || !ok
	}
	if err != nil && !failed {
		t.Fatalf("bpfutils --verify: %v, but no program failed\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	for _, o := range bpfobj.Names() {
		if !covered[o] {
			t.Errorf("object %s: no program checked\n%s", o, stdout.String())
		}
	}
	if loaded == 0 {
		t.Errorf("no program loaded\n%s", stdout.String())
	}
	if l := linesWith(stdout.String(), "programs loaded"); len(l) == 1 {
		t.Log(l[0])
	}
}
