package uprobe

import (
	"debug/elf"
	"fmt"
	"path/filepath"
	"strings"
)

// NeededLibrary finds the library that the program or library at path links dynamically and
// whose name starts with prefix ("libreadline.so"), as the dynamic linker would resolve it. It
// reads the ELF's DT_NEEDED entries instead of running ldd, which a minimal system may lack.
func NeededLibrary(path, prefix string) (string, error) {
	f, err := elf.Open(path)
	if err != nil {
		return "", fmt.Errorf("%s: not an ELF file we can read: %w", path, err)
	}
	defer f.Close()
	needed, _ := f.ImportedLibraries()
	for _, name := range needed {
		if !strings.HasPrefix(name, prefix) {
			continue
		}
		for _, dir := range libraryDirs {
			if p := filepath.Join(dir, name); isELF(p) {
				return p, nil
			}
		}
		return "", fmt.Errorf("%s needs %s, which is in none of the library directories", path, name)
	}
	return "", fmt.Errorf("%s does not link %s*", path, prefix)
}

// HasSymbol reports whether the ELF file at path defines function symbol (FuncOffset finds it).
func HasSymbol(path, symbol string) bool {
	f, err := elf.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	_, ok := findFunc(f, symbol)
	return ok
}

// MappedLibrary finds library lib ("libc") among the files process pid has mapped, as a path
// through /proc/PID/root; false when the process maps none (it is linked statically).
func MappedLibrary(pid int, lib string) (string, bool) { return mappedLibrary(pid, lib) }
