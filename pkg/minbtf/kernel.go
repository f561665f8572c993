package minbtf

import (
	"os"
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
	b, err := Parse(raw)
	if err != nil {
		return nil, err
	}
	kernelCache.btf = b
	return b, nil
}

// KernelMmapped tells whether Kernel's BTF lies in mapped kernel pages (for tests).
func KernelMmapped() bool {
	kernelCache.Lock()
	defer kernelCache.Unlock()
	return kernelCache.mapping != nil
}

// Release lets the kernel's BTF go, its index (half a megabyte) and, where it was read rather than
// mmapped, its copy, for the garbage collector to take once no caller holds it any more. The
// next Kernel indexes it again.
func Release() {
	kernelCache.Lock()
	defer kernelCache.Unlock()
	kernelCache.btf = nil
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
