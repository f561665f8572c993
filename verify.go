package main

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/bpfutils/bpfutils/pkg/app"
	"github.com/bpfutils/bpfutils/pkg/bpfobj"
	"github.com/bpfutils/bpfutils/pkg/tracer"
	"github.com/bpfutils/bpfutils/tools"
)

// verify loads every BPF program of every embedded object, one at a time, on the running kernel
// and prints one line per program and hook:
//
//	ok<TAB>object/program<TAB>hook
//	skip<TAB>object/program<TAB>hook<TAB>reason
//	FAIL<TAB>object/program<TAB>hook<TAB>error, followed by libbpf's log lines, each as "<TAB>| line"
//
// Every spec a tool's options can produce is loaded (Tool.Variants: the default, each switch
// alone, the tool's declared variants), so the hooks, targets and rodata are those the tool
// really uses; programs that no variant reached are loaded by their ELF section. The exit code is
// 1 when any program failed, or when an object named on the command line does not exist.
func verify(args []string, stdout, stderr io.Writer) int {
	only := map[string]bool{}
	for _, a := range args {
		only[a] = true
	}
	objects := bpfobj.Names()
	sort.Strings(objects)
	for name := range only {
		if !slices.Contains(objects, name) {
			fmt.Fprintf(stderr, "%s: --verify: no BPF object named %s\n", multicallName, name)
			return app.ExitFailure
		}
	}
	defer func() {
		if err := tracer.Unmount(); err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", multicallName, err)
		}
	}()
	if err := tracer.Preflight(); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", multicallName, err)
		return app.ExitFailure
	}
	specs := toolSpecs()
	specs = append(specs, tracer.InternalSpecs()...)

	var results []tracer.Result
	done := map[string]map[string]bool{}
	// One line per program and hook, whichever variants loaded it: a failure in any variant.
	seen := map[string]int{}
	for _, s := range specs {
		if len(only) > 0 && !only[s.Object] {
			continue
		}
		if done[s.Object] == nil {
			done[s.Object] = map[string]bool{}
		}
		for _, r := range tracer.Verify(s) {
			done[s.Object][r.Prog] = true
			key := r.Object + "/" + r.Prog + "/" + r.Via
			i, ok := seen[key]
			switch {
			case !ok:
				seen[key] = len(results)
				results = append(results, r)
			case r.Err != nil && results[i].Err == nil:
				results[i] = r
			}
		}
	}
	for _, o := range objects {
		if len(only) == 0 || only[o] {
			results = append(results, tracer.VerifySections(o, done[o])...)
		}
	}

	var ok, failed, skipped int
	for _, r := range results {
		name := r.Object + "/" + r.Prog
		switch {
		case r.Err != nil:
			failed++
			fmt.Fprintf(stdout, "FAIL\t%s\t%s\t%v\n", name, r.Via, r.Err)
			for _, l := range strings.Split(strings.TrimRight(r.Log, "\n"), "\n") {
				fmt.Fprintf(stdout, "\t| %s\n", l)
			}
		case r.Skip != "":
			skipped++
			fmt.Fprintf(stdout, "skip\t%s\t%s\t%s\n", name, r.Via, r.Skip)
		default:
			ok++
			fmt.Fprintf(stdout, "ok\t%s\t%s\n", name, r.Via)
		}
	}
	var uts unix.Utsname
	unix.Uname(&uts)
	fmt.Fprintf(stdout, "kernel %s: %d programs loaded, %d failed, %d skipped\n",
		unix.ByteSliceToString(uts.Release[:]), ok, failed, skipped)
	if failed > 0 {
		return app.ExitFailure
	}
	return 0
}

// toolSpecs returns the distinct specs of every tool's variants.
func toolSpecs() []tracer.Spec {
	var specs []tracer.Spec
	seen := map[string]bool{}
	for _, t := range tools.All {
		for _, args := range t.Variants() {
			s, err := t.Spec(args)
			if err != nil {
				continue // options this machine cannot take (a disk, a cgroup)
			}
			key := fmt.Sprintf("%#v", s)
			if !seen[key] {
				seen[key] = true
				specs = append(specs, s)
			}
		}
	}
	return specs
}
