package main

import "testing"

func TestGoPackage(t *testing.T) {
	for sym, want := range map[string]string{
		"runtime.mallocgc": "runtime",
		"type:*foo":        "runtime",
		"github.com/bpfutils/bpfutils/pkg/render.(*Sink).Emit": "github.com/bpfutils/bpfutils/pkg/render",
		"github.com/urfave/cli/v2.(*App).Run":                  "github.com/urfave/cli/v2",
		"debug/elf.(*File).Symbols":                            "debug/elf",
		"slices.Sort[go.shape.int]":                            "slices",
		"bpf_object__open":                                     "",
		"__strcmp_sse2":                                        "",
		"btf__dedup.cold":                                      "",
		"elf_getdata.part.0":                                   "",
	} {
		if got := goPackage(sym); got != want {
			t.Errorf("goPackage(%q) = %q, want %q", sym, got, want)
		}
	}
	if g := goGroup("github.com/ianlancetaylor/demangle"); g != "Go module: github.com/ianlancetaylor/demangle" {
		t.Errorf("goGroup = %q", g)
	}
}
