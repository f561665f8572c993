// Package bpfobj holds the compiled BPF objects (built by make from bpf/*.bpf.c) inside the binary.
package bpfobj

import (
	"embed"
	"fmt"
)

//go:embed *.bpf.o
var objects embed.FS

// Get returns the object compiled from bpf/<name>.bpf.c.
func Get(name string) ([]byte, error) {
	b, err := objects.ReadFile(name + ".bpf.o")
	if err != nil {
		return nil, fmt.Errorf("no embedded BPF object %q (was the binary built with make?)", name)
	}
	return b, nil
}

// Names lists the embedded objects.
func Names() []string {
	entries, _ := objects.ReadDir(".")
	var names []string
	for _, e := range entries {
		names = append(names, e.Name()[:len(e.Name())-len(".bpf.o")])
	}
	return names
}
