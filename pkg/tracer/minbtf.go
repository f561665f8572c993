package tracer

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/bpfutils/bpfutils/pkg/minbtf"
)

// minimalBTF writes, for an object whose programs need the kernel's BTF only for CO-RE, a BTF
// with just the kernel types its relocations look at into a memfd, and returns the memfd and its
// path for NewModuleArgs.BTFObjPath. libbpf then relocates against that instead of reading and
// copying all of /sys/kernel/btf/vmlinux (twice the file's size in malloc'd memory). It returns
// no file, and says why under -v, where the object needs the full BTF anyway or the minimal one
// cannot be made: libbpf then does what it always did. BPFUTILS_MINBTF=0 turns it off.
func minimalBTF(object string, obj []byte, chosen map[string]Hook, opts Options) (*os.File, string) {
	if os.Getenv("BPFUTILS_MINBTF") == "0" {
		return nil, ""
	}
	for _, h := range chosen {
		switch h.Kind {
		case Fentry, Fexit, TPBTF:
			// libbpf loads the kernel's BTF to find the attach target anyway.
			return nil, ""
		}
	}
	f, err := writeMinimalBTF(obj)
	if err != nil {
		if opts.Verbose && !errors.Is(err, errNoRelocations) {
			fmt.Fprintf(opts.stderr(), "%s: using the full kernel BTF: %v\n", object, err)
		}
		return nil, ""
	}
	if opts.Verbose {
		size, _ := f.Seek(0, io.SeekCurrent)
		fmt.Fprintf(opts.stderr(), "%s: CO-RE against a minimal kernel BTF of %d bytes\n", object, size)
	}
	return f, fmt.Sprintf("/proc/self/fd/%d", f.Fd())
}

var errNoRelocations = errors.New("no CO-RE relocations")

// generateMinimalBTF is minbtf.GenerateFor; tests break it to see the fallback work.
var generateMinimalBTF = minbtf.GenerateFor

func writeMinimalBTF(obj []byte) (*os.File, error) {
	o, err := minbtf.ParseObject(obj)
	if err != nil {
		return nil, err
	}
	if len(o.Relocs) == 0 {
		return nil, errNoRelocations
	}
	kernel, err := minbtf.Kernel()
	if err != nil {
		return nil, err
	}
	raw, missing, err := generateMinimalBTF(o, kernel)
	if err != nil {
		return nil, err
	}
	if len(missing) > 0 {
		// libbpf, given the full BTF, would look for these in modules' BTF too.
		module, err := minbtf.ModuleWithName(filepath.Dir(minbtf.KernelBTFPath), missing)
		if err != nil {
			return nil, fmt.Errorf("looking for %v in modules' BTF: %w", missing, err)
		}
		if module != "" {
			return nil, fmt.Errorf("module %s's BTF may have one of %v", module, missing)
		}
	}
	fd, err := unix.MemfdCreate("bpfutils-btf", unix.MFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("memfd: %w", err)
	}
	f := os.NewFile(uintptr(fd), "bpfutils-btf")
	if _, err := f.Write(raw); err != nil {
		f.Close()
		return nil, fmt.Errorf("memfd: %w", err)
	}
	return f, nil
}
