// Package uprobe finds where user-space probes go: a library by its short name as a process maps
// it (or as the dynamic linker would find it), and a function's file offset inside an ELF file.
// The tracer attaches at those offsets (tracer.AttachUprobe) and at USDT notes (AttachUSDT).
package uprobe

import (
	"bufio"
	"debug/elf"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// libraryDirs are where the dynamic linker looks on Debian and most distributions, in its order.
var libraryDirs = []string{
	"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu",
	"/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu",
	"/lib64", "/usr/lib64", "/lib", "/usr/lib",
}

// FindBinary resolves what a user names as a probe's target: a path (anything with a slash), a
// library's short name ("c", "libc", "libc.so.6") as process pid maps it (pid <= 0: as the
// dynamic linker would find it), or a program on $PATH.
func FindBinary(pid int, name string) (string, error) {
	if strings.Contains(name, "/") {
		if _, err := os.Stat(name); err != nil {
			return "", fmt.Errorf("%s: %w", name, errors.Unwrap(err))
		}
		return name, nil
	}
	lib := name
	if !strings.HasPrefix(lib, "lib") {
		lib = "lib" + lib
	}
	if pid > 0 {
		if p, ok := mappedLibrary(pid, lib); ok {
			return p, nil
		}
	}
	for _, dir := range libraryDirs {
		// Versioned names first: the bare .so is often a linker script.
		for _, candidate := range []string{lib, lib + ".so.6", lib + ".so.1", lib + ".so.0", lib + ".so"} {
			if p := filepath.Join(dir, candidate); isELF(p) {
				return p, nil
			}
		}
	}
	if p, err := lookPath(name); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("cannot find %q (a library or program)", name)
}

// mappedLibrary finds lib among the files pid has mapped: /proc/PID/root keeps a process in
// another mount namespace reachable.
func mappedLibrary(pid int, lib string) (string, bool) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/maps", pid))
	if err != nil {
		return "", false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 6 || !strings.HasPrefix(fields[5], "/") {
			continue
		}
		base := filepath.Base(fields[5])
		if base == lib || strings.HasPrefix(base, lib+".") || strings.HasPrefix(base, lib+"-") {
			return fmt.Sprintf("/proc/%d/root%s", pid, fields[5]), true
		}
	}
	return "", false
}

func isELF(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	magic := make([]byte, 4)
	_, err = f.ReadAt(magic, 0)
	return err == nil && string(magic) == elf.ELFMAG
}

func lookPath(name string) (string, error) {
	for _, dir := range filepath.SplitList(os.Getenv("PATH")) {
		p := filepath.Join(dir, name)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", os.ErrNotExist
}

// FuncOffset is the file offset of function symbol in the ELF file at path: what a uprobe
// attaches at. The static symbol table is searched first, then the dynamic one; a versioned
// dynamic name ("malloc@@GLIBC_2.2.5") matches its plain name.
func FuncOffset(path, symbol string) (uint64, error) {
	f, err := elf.Open(path)
	if err != nil {
		return 0, fmt.Errorf("%s: not an ELF file we can read: %w", path, err)
	}
	defer f.Close()
	addr, ok := findFunc(f, symbol)
	if !ok {
		return 0, fmt.Errorf("%s has no function %s", path, symbol)
	}
	return VaddrToOffset(f, addr)
}

func findFunc(f *elf.File, symbol string) (uint64, bool) {
	for _, read := range []func() ([]elf.Symbol, error){f.Symbols, f.DynamicSymbols} {
		syms, err := read()
		if err != nil {
			continue
		}
		for _, s := range syms {
			if elf.ST_TYPE(s.Info) != elf.STT_FUNC && elf.ST_TYPE(s.Info) != elf.STT_GNU_IFUNC {
				continue
			}
			if s.Value == 0 || s.Section == elf.SHN_UNDEF {
				continue
			}
			name, _, _ := strings.Cut(s.Name, "@")
			if name == symbol {
				return s.Value, true
			}
		}
	}
	return 0, false
}

// VaddrToOffset maps a virtual address of f to its offset in the file through the loadable
// segment holding it.
func VaddrToOffset(f *elf.File, addr uint64) (uint64, error) {
	for _, p := range f.Progs {
		if p.Type == elf.PT_LOAD && p.Flags&elf.PF_X != 0 && addr >= p.Vaddr && addr < p.Vaddr+p.Memsz {
			return addr - p.Vaddr + p.Off, nil
		}
	}
	return 0, fmt.Errorf("address %#x is in no executable segment", addr)
}
