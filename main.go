// Command bpfutils carries Go ports of bcc's libbpf-tools in one binary. Like busybox it runs
// the tool named by argv[0] (symlink the tool names to it) or by its first argument.
package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/bpfutils/bpfutils/pkg/app"
	"github.com/bpfutils/bpfutils/tools"
)

const multicallName = "bpfutils"

func main() {
	os.Exit(dispatch(os.Args, os.Stdout, os.Stderr))
}

// registry is the tools the binary carries.
type registry []app.Tool

// lookup finds a tool by its name or one of its aliases'.
func (r registry) lookup(name string) (app.Tool, bool) {
	for _, t := range r {
		if slices.Contains(t.Names(), name) {
			return t, true
		}
	}
	return app.Tool{}, false
}

func dispatch(argv []string, stdout, stderr io.Writer) int {
	return registry(tools.All).dispatch(argv, stdout, stderr)
}

func (r registry) dispatch(argv []string, stdout, stderr io.Writer) int {
	name := filepath.Base(argv[0])
	if t, ok := r.lookup(name); ok {
		return app.RunAs(t, name, argv[1:], stdout, stderr)
	}
	// Called by a name that is neither a tool nor the binary's own (a link to a tool this
	// build does not have): one line and 127, as busybox answers for an applet it lacks.
	if !strings.HasPrefix(name, multicallName) {
		fmt.Fprintf(stderr, "%s: unknown tool %q (see '%s --list')\n", multicallName, name, multicallName)
		return 127
	}
	args := argv[1:]
	if len(args) == 0 {
		r.usage(stdout)
		return 0
	}
	switch args[0] {
	case "--list", "-l":
		for _, n := range r.names() {
			fmt.Fprintln(stdout, n)
		}
		return 0
	case "--install":
		return r.install(args[1:], stderr)
	case "--verify":
		return verify(args[1:], stdout, stderr)
	case "-h", "--help":
		r.usage(stdout)
		return 0
	case "-V", "--version":
		fmt.Fprintf(stdout, "%s %s\n", multicallName, app.Version)
		return 0
	}
	t, ok := r.lookup(args[0])
	if !ok {
		fmt.Fprintf(stderr, "%s: unknown tool %q (see '%s --list')\n", multicallName, args[0], multicallName)
		return 127
	}
	return app.RunAs(t, args[0], args[1:], stdout, stderr)
}

// names lists every tool and alias name.
func (r registry) names() []string {
	var n []string
	for _, t := range r {
		n = append(n, t.Names()...)
	}
	sort.Strings(n)
	return n
}

// usageOf is the tool list's line for a name: the tool's own, or its alias's.
func (r registry) usageOf(name string) string {
	t, _ := r.lookup(name)
	for _, a := range t.Aliases {
		if a.Name == name {
			return a.Usage
		}
	}
	return t.Usage
}

func (r registry) usage(w io.Writer) {
	fmt.Fprintf(w, "%s %s: BPF tracing tools in one binary (ports of bcc's libbpf-tools)\n\n", multicallName, app.Version)
	fmt.Fprintf(w, "Usage: %s TOOL [ARGS...]\n   or: TOOL [ARGS...]   (with TOOL a link to %s)\n", multicallName, multicallName)
	fmt.Fprintf(w, "       %s --list | --install [-s] DIR | --verify [OBJECT...]\n", multicallName)
	fmt.Fprintf(w, "       (--verify: load every BPF program once to check that this kernel accepts it)\n\nTools:\n")
	for _, n := range r.names() {
		fmt.Fprintf(w, "  %-16s %s\n", n, r.usageOf(n))
	}
}

// install links every tool name in dir to this executable: symbolic links with -s, hard links
// otherwise (busybox --install).
func (r registry) install(args []string, stderr io.Writer) int {
	symbolic := false
	if len(args) > 0 && args[0] == "-s" {
		symbolic, args = true, args[1:]
	}
	if len(args) != 1 {
		fmt.Fprintf(stderr, "%s: usage: %s --install [-s] DIR\n", multicallName, multicallName)
		return app.ExitUsage
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "%s: --install: "+format+"\n", append([]any{multicallName}, a...)...)
		return app.ExitFailure
	}
	dir := args[0]
	self, err := os.Executable()
	if err != nil {
		return fail("%v", err)
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return fail("%s is not a directory", dir)
	}
	// Everything is checked before anything changes: a file of the same name that is not this
	// binary (a script called profile) is the user's, and is left alone.
	var todo []string
	for _, n := range r.names() {
		dst := filepath.Join(dir, n)
		switch ours, exists := isSelf(dst, self); {
		case ours:
			continue
		case exists:
			return fail("%s exists and is not %s: remove it first, or install elsewhere", dst, self)
		}
		todo = append(todo, dst)
	}
	for i, dst := range todo {
		if symbolic {
			err = os.Symlink(self, dst)
		} else {
			err = os.Link(self, dst)
		}
		if err != nil {
			// Undo this run's links: an install is all or nothing.
			for _, done := range todo[:i] {
				os.Remove(done)
			}
			return fail("%s", strings.TrimPrefix(strings.TrimPrefix(err.Error(), "symlink "), "link "))
		}
	}
	return 0
}

// isSelf tells whether path is this binary already (a link to it, or the same file), and
// whether anything exists there at all.
func isSelf(path, self string) (ours, exists bool) {
	st, err := os.Lstat(path)
	if err != nil {
		return false, false
	}
	if target, err := filepath.EvalSymlinks(path); err == nil {
		if selfReal, err := filepath.EvalSymlinks(self); err == nil && target == selfReal {
			return true, true
		}
	}
	selfSt, err := os.Stat(self)
	if err == nil && st.Mode().IsRegular() && os.SameFile(st, selfSt) {
		return true, true
	}
	return false, true
}
