package memleak

import (
	"fmt"

	"github.com/bpfutils/bpfutils/pkg/app"
	"github.com/bpfutils/bpfutils/pkg/tracer"
	"github.com/bpfutils/bpfutils/pkg/uprobe"
)

// allocators are the functions user mode probes: the program at entry, the one at return
// ("" for none), and whether libbpf-tools gives up without it (with -S only the malloc
// family: other allocators need not have mmap of their own).
var allocators = []struct {
	fn, enter, exit string
	required        bool
	unprefixedOnly  bool // required only without -S
}{
	{"malloc", "size1_enter", "alloc_exit", true, false},
	{"calloc", "calloc_enter", "alloc_exit", true, false},
	{"realloc", "realloc_enter", "alloc_exit", true, false},
	{"mmap", "mmap_enter", "alloc_exit", true, true},
	{"mremap", "mremap_enter", "alloc_exit", true, true},
	{"posix_memalign", "pmemalign_enter", "pmemalign_exit", true, false},
	{"memalign", "size2_enter", "alloc_exit", true, false},
	{"free", "free_enter", "", true, false},
	{"munmap", "free_enter", "", true, true},
	// Deprecated (bionic has neither) or C11: taken where they are.
	{"valloc", "size1_enter", "alloc_exit", false, false},
	{"pvalloc", "size1_enter", "alloc_exit", false, false},
	{"aligned_alloc", "size2_enter", "alloc_exit", false, false},
}

// uprobePrograms lists the programs user mode attaches itself.
func uprobePrograms() []string {
	var progs []string
	seen := map[string]bool{}
	for _, a := range allocators {
		for _, p := range []string{a.enter, a.exit} {
			if p != "" && !seen[p] {
				seen[p] = true
				progs = append(progs, p)
			}
		}
	}
	return progs
}

// allocatorObject is the file whose allocator pid uses: -O's object as the process maps it
// (or the dynamic linker would find it), else the program itself when it defines malloc
// (statically linked, or its own allocator), else its libc. own tells the program itself.
func allocatorObject(pid int, object, prefix string) (path string, own bool, err error) {
	if object != "" {
		path, err = uprobe.FindBinary(pid, object)
		return path, false, err
	}
	exe := fmt.Sprintf("/proc/%d/exe", pid)
	if _, err := uprobe.FuncOffset(exe, prefix+"malloc"); err == nil {
		return exe, true, nil
	}
	path, err = uprobe.FindBinary(pid, "c")
	return path, false, err
}

// attachAllocator puts the uprobes on pid's allocator functions. A statically linked program
// holds only the allocators it uses: there, only malloc and free must be found.
func attachAllocator(env *app.Env, t *tracer.Tracer, pid int, object, prefix string) error {
	path, own, err := allocatorObject(pid, object, prefix)
	if err != nil {
		return fmt.Errorf("cannot find the allocator of pid %d: %w", pid, err)
	}
	for _, a := range allocators {
		fn := prefix + a.fn
		required := a.required && !(a.unprefixedOnly && prefix != "")
		if own && fn != prefix+"malloc" && fn != prefix+"free" {
			required = false
		}
		offset, err := uprobe.FuncOffset(path, fn)
		if err != nil {
			if required {
				return fmt.Errorf("no allocator to trace: %w", err)
			}
			if env.Verbose {
				env.Warnf("not tracing %s: %v", fn, err)
			}
			continue
		}
		if err := t.AttachUprobe(a.enter, pid, path, offset, false); err != nil {
			return err
		}
		if a.exit != "" {
			if err := t.AttachUprobe(a.exit, pid, path, offset, true); err != nil {
				return err
			}
		}
	}
	return nil
}
