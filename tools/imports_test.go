package tools

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestToolsDoNotImportLibbpfgo: libbpf's types stay inside pkg/; a tool works through
// pkg/tracer, pkg/bpfmap and the rest.
func TestToolsDoNotImportLibbpfgo(t *testing.T) {
	files, _ := filepath.Glob("*/*.go")
	if len(files) == 0 {
		t.Fatal("no tool sources found")
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		parsed, err := parser.ParseFile(token.NewFileSet(), f, src, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range parsed.Imports {
			if path, _ := strconv.Unquote(imp.Path.Value); strings.HasPrefix(path, "github.com/aquasecurity/libbpfgo") {
				t.Errorf("%s imports %s: go through pkg/", f, path)
			}
		}
	}
}
