package minbtf

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync"

	"golang.org/x/sys/unix"
)

// KernelBTFPath is the running kernel's BTF.
const KernelBTFPath = "/sys/kernel/btf/vmlinux"

var kernelCache struct {
	sync.Mutex
	btf *BTF
	// mapping is the mmapped file, kept once made (it costs address space, not memory): a BTF
	// handed out before Release may still be in use.
	mapping []byte
}

// Kernel returns the running kernel's BTF. Where the kernel lets /sys/kernel/btf/vmlinux be
// mmapped, its pages are kernel memory that does not count in our RSS; elsewhere the file is read
// into memory. Release lets it go.
func Kernel() (*BTF, error) {
	kernelCache.Lock()
	defer kernelCache.Unlock()
	if kernelCache.btf != nil {
		return kernelCache.btf, nil
	}
	raw := kernelCache.mapping
	if raw == nil {
		var mmapped bool
		var err error
		if raw, mmapped, err = readKernelBTF(); err != nil {
			return nil, err
		}
		if mmapped {
			kernelCache.mapping = raw
		}
	}
	if len(raw) == 0 {
		return nil, errors.New("the file is empty")
	}
	b, err := Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%w (a file of %d bytes)", err, len(raw))
	}
	kernelCache.btf = b
	return b, nil
}

// CheckKernel tells what is wrong with the contents of the running kernel's BTF file: empty, not
// BTF, or cut short. It returns nil when the file parses, and when it cannot be read at all (no
// such file, no permission): that is not a matter of its contents.
func CheckKernel() error {
	_, err := Kernel()
	var pathErr *fs.PathError
	if err == nil || errors.As(err, &pathErr) {
		return nil
	}
	return err
}

// KernelMmapped tells whether Kernel's BTF lies in mapped kernel pages (for tests).
func KernelMmapped() bool {
	kernelCache.Lock()
	defer kernelCache.Unlock()
	return kernelCache.mapping != nil
}

// Release lets the kernel's BTF go: its index and, where it was read rather than mmapped, its
// copy of several megabytes, which is handed back to the system at once rather than whenever
// the runtime gets to it. A BTF handed out before stays usable.
func Release() {
	kernelCache.Lock()
	defer kernelCache.Unlock()
	copied := kernelCache.btf != nil && kernelCache.mapping == nil
	kernelCache.btf = nil
	if copied {
		debug.FreeOSMemory()
	}
}

func readKernelBTF() (raw []byte, mmapped bool, err error) {
	f, err := os.Open(KernelBTFPath)
	if err != nil {
		return nil, false, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, false, err
	}
	if st.Size() > 0 {
		raw, err := unix.Mmap(int(f.Fd()), 0, int(st.Size()), unix.PROT_READ, unix.MAP_PRIVATE)
		if err == nil {
			return raw, true, nil
		}
	}
	raw, err = os.ReadFile(KernelBTFPath)
	return raw, false, err
}

// ModuleWithName returns a loaded module whose BTF, in dir (/sys/kernel/btf), holds one of the
// names as a string (perhaps a member's name: a type of that name is possible, not certain), or
// "" when none does.
func ModuleWithName(dir string, names []string) (string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", err
	}
	var buf []byte
	for _, e := range entries {
		if e.Name() == "vmlinux" {
			continue
		}
		if buf, err = readInto(buf, filepath.Join(dir, e.Name())); err != nil {
			return "", err
		}
		for _, name := range names {
			if bytes.Contains(buf, []byte("\x00"+name+"\x00")) {
				return e.Name(), nil
			}
		}
	}
	return "", nil
}

// readInto reads a file into buf, reusing its memory: module BTF files come one after another.
func readInto(buf []byte, path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return buf, err
	}
	defer f.Close()
	buf = buf[:0]
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := f.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}
