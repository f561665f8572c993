package main

import (
	"debug/elf"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// What the binary carries, from the linker's symbol sizes of an unstripped build of it (the
// shipped binary has no symbols): code and read-only data per Go package group and per C
// library, and the embedded BPF objects. Function tables (.gopclntab) and unwind tables
// (.eh_frame) grow with the code and are listed as themselves.

type sizeGroup struct {
	Name  string `json:"name"`
	Bytes int64  `json:"bytes"`
}

// cLibraries tells a C symbol's library by its name; the rest is the C library itself.
var cLibraries = []struct {
	name string
	re   *regexp.Regexp
}{
	{"C: libbpf", regexp.MustCompile(`^(bpf|btf|libbpf|usdt|hashmap|strset|ringbuf|perf_buffer|linker|gen_loader|elf_sec|elf_sym|kallsyms|probe_|sys_bpf|skel|bpf_)`)},
	{"C: libelf", regexp.MustCompile(`^(elf|gelf|__libelf|__elf)`)},
	{"C: zstd", regexp.MustCompile(`^(ZSTD|HUF|FSE|ZDICT|COVER|POOL)`)},
	{"C: zlib", regexp.MustCompile(`^(deflate|inflate|crc32|adler32|_tr_|zlib|compress|uncompress|gz)`)},
	{"cgo glue", regexp.MustCompile(`^(_cgo|x_cgo|crosscall|_rt0)`)},
}

// gccSuffix marks C symbols that carry a dot: functions GCC split or specialized.
var gccSuffix = regexp.MustCompile(`\.(cold|part|constprop|isra|lto_priv|localalias)(\.|$)`)

// goPackage is a Go symbol's package path, "" for a C symbol.
func goPackage(sym string) string {
	if strings.HasPrefix(sym, "go:") || strings.HasPrefix(sym, "type:") {
		return "runtime"
	}
	if gccSuffix.MatchString(sym) {
		return ""
	}
	head := sym
	if i := strings.IndexAny(head, "(["); i >= 0 {
		head = head[:i]
	}
	slash := strings.LastIndex(head, "/")
	dot := strings.Index(head[slash+1:], ".")
	if dot <= 0 {
		return ""
	}
	return head[:slash+1+dot]
}

// goGroup names a Go package's group: our packages one by one and our tools together, the
// runtime, third-party modules by module, the rest of the standard library together.
func goGroup(pkg string) string {
	const ours = "github.com/bpfutils/bpfutils/"
	switch {
	case pkg == "runtime" || strings.HasPrefix(pkg, "runtime/") || strings.HasPrefix(pkg, "internal/runtime"):
		return "Go: runtime and type data"
	case strings.HasPrefix(pkg, ours+"tools/"):
		return "Go: the tools"
	case strings.HasPrefix(pkg, ours+"pkg/"):
		return "Go: " + strings.TrimPrefix(pkg, ours)
	case strings.HasPrefix(pkg, ours) || pkg == "main":
		return "Go: main"
	case strings.Contains(strings.SplitN(pkg, "/", 2)[0], "."):
		parts := strings.SplitN(pkg, "/", 4)
		return "Go module: " + strings.Join(parts[:min(3, len(parts))], "/")
	}
	return "Go: standard library"
}

// binaryContents groups the symbols of the unstripped build at path; objDir holds the
// embedded BPF objects.
func binaryContents(path, objDir string) ([]sizeGroup, error) {
	f, err := elf.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	syms, err := f.Symbols()
	if err != nil {
		return nil, fmt.Errorf("%s: %v (build it without -s -w)", path, err)
	}
	groups := map[string]int64{}
	for _, s := range syms {
		if s.Size == 0 || int(s.Section) >= len(f.Sections) || s.Section == elf.SHN_UNDEF {
			continue
		}
		sec := f.Sections[s.Section]
		if sec.Type == elf.SHT_NOBITS || sec.Flags&elf.SHF_ALLOC == 0 {
			continue
		}
		var name string
		if pkg := goPackage(s.Name); pkg != "" {
			name = goGroup(pkg)
		} else {
			name = "C: glibc (static) and the rest"
			for _, l := range cLibraries {
				if l.re.MatchString(s.Name) {
					name = l.name
					break
				}
			}
		}
		groups[name] += int64(s.Size)
	}
	for _, sec := range []string{".gopclntab", ".eh_frame"} {
		if s := f.Section(sec); s != nil {
			groups["tables: "+sec] = int64(s.Size)
		}
	}
	if objs, _ := filepath.Glob(filepath.Join(objDir, "*.bpf.o.zst")); len(objs) > 0 {
		var total int64
		for _, o := range objs {
			if st, err := os.Stat(o); err == nil {
				total += st.Size()
			}
		}
		groups[fmt.Sprintf("BPF objects (%d, zstd)", len(objs))] = total
	}
	out := make([]sizeGroup, 0, len(groups))
	for n, b := range groups {
		out = append(out, sizeGroup{n, b})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Bytes > out[j].Bytes })
	return out, nil
}

func contentsMarkdown(b *strings.Builder, groups []sizeGroup) {
	if len(groups) == 0 {
		return
	}
	b.WriteString("\n## What the binary carries (KiB; symbol sizes of an unstripped build)\n\n| part | KiB |\n|---|---:|\n")
	for _, g := range groups {
		if g.Bytes >= 8<<10 {
			fmt.Fprintf(b, "| %s | %d |\n", g.Name, g.Bytes>>10)
		}
	}
}
