package main

import (
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/bpfutils/bpfutils/pkg/app"
	"github.com/bpfutils/bpfutils/pkg/blockdev"
	"github.com/bpfutils/bpfutils/tools"
)

var update = flag.Bool("update", false, "rewrite the generated sections of README.md and docs/json.md")

// genEnd closes each generated section, which opens with "<!-- generated: NAME -->".
const genEnd = "<!-- end generated -->"

// TestGeneratedDocs holds README.md's tool table and docs/json.md's per-tool sections to the
// registry and the tools' output declarations (`make docs` rewrites them).
func TestGeneratedDocs(t *testing.T) {
	r := registry(tools.All)
	checkGenerated(t, "README.md", "tools", r.toolTable())
	checkGenerated(t, "README.md", "privileges", r.privilegeTable())
	checkGenerated(t, "docs/json.md", "tools", r.jsonSections(t))
}

func checkGenerated(t *testing.T, path, name, body string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	genBegin := "<!-- generated: " + name + " -->\n"
	i := strings.Index(text, genBegin)
	j := -1
	if i >= 0 {
		j = strings.Index(text[i:], genEnd)
	}
	if i < 0 || j < 0 {
		t.Fatalf("%s has no %q ... %q section", path, strings.TrimSpace(genBegin), genEnd)
	}
	j += i
	updated := text[:i+len(genBegin)] + body + text[j:]
	if updated == text {
		return
	}
	if *update {
		if err := os.WriteFile(path, []byte(updated), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("%s is stale: run make docs", path)
}

// toolTable is README's table: every tool and alias, with the line `bpfutils` lists it with.
func (r registry) toolTable() string {
	var b strings.Builder
	b.WriteString("| tool | what it does |\n|---|---|\n")
	for _, n := range r.names() {
		t, _ := r.lookup(n)
		usage := r.usageOf(n)
		if n != t.Name {
			for _, a := range t.Aliases {
				if a.Name == n {
					usage += fmt.Sprintf(" (`%s %s`)", t.Name, strings.Join(a.Args, " "))
				}
			}
		}
		fmt.Fprintf(&b, "| %s | %s |\n", n, usage)
	}
	return b.String()
}

// privilegeTable is README's least-privilege table: what each tool needs as an ordinary user.
func (r registry) privilegeTable() string {
	var b strings.Builder
	b.WriteString("| tool | needs | and, for |\n|---|---|---|\n")
	for _, n := range r.names() {
		t, _ := r.lookup(n)
		fmt.Fprintf(&b, "| %s | %s | %s |\n", n, strings.Join(t.NeededCaps(), " "), t.CapsNote)
	}
	return b.String()
}

type docField struct {
	kind, key, typ, note string
}

// jsonSections describes each tool's JSON lines: the members of each kind of line, with the
// option that adds a member absent by default.
func (r registry) jsonSections(t *testing.T) string {
	var b strings.Builder
	byName := append([]app.Tool{}, r...)
	sort.Slice(byName, func(i, j int) bool { return byName[i].Name < byName[j].Name })
	for _, tool := range byName {
		var fields []docField
		index := map[string]int{}
		for vi, args := range tool.Variants() {
			outs, err := tool.Outputs(args)
			if err != nil {
				continue
			}
			for _, o := range outs {
				shape := o.Describe()
				for _, f := range shape.Fields {
					id := shape.Kind + "\x00" + f.Key
					if _, ok := index[id]; ok {
						continue
					}
					note := f.Note
					if vi > 0 {
						note = strings.TrimSpace("with `" + strings.Join(args, " ") + "`. " + note)
					}
					index[id] = len(fields)
					fields = append(fields, docField{shape.Kind, f.Key, f.Type, note})
				}
			}
		}
		fmt.Fprintf(&b, "\n### %s\n\n", tool.Name)
		if len(tool.Aliases) > 0 {
			var as []string
			for _, a := range tool.Aliases {
				as = append(as, fmt.Sprintf("%s (`%s %s`)", a.Name, tool.Name, strings.Join(a.Args, " ")))
			}
			fmt.Fprintf(&b, "Aliases: %s.\n\n", strings.Join(as, ", "))
		}
		if len(fields) == 0 {
			t.Errorf("%s declares no output (Def.Outputs)", tool.Name)
			continue
		}
		b.WriteString("| line | key | type | |\n|---|---|---|---|\n")
		for _, f := range fields {
			fmt.Fprintf(&b, "| %s | `%s` | %s | %s |\n", f.kind, f.key, f.typ, f.note)
		}
	}
	return b.String()
}

// TestVerifyVariants lists, per tool, the option sets whose specs --verify loads (the ones that
// give a spec no earlier set gave), against testdata/variants.golden (`make docs` rewrites it):
// a new switch that changes the BPF side shows up here.
func TestVerifyVariants(t *testing.T) {
	var b strings.Builder
	for _, tool := range tools.All {
		seen := map[string]bool{}
		var distinct []string
		for _, args := range tool.Variants() {
			s, err := tool.Spec(args)
			if err != nil {
				continue
			}
			key := fmt.Sprintf("%#v", s)
			if !seen[key] {
				seen[key] = true
				distinct = append(distinct, app.DescribeArgs(args))
			}
		}
		fmt.Fprintf(&b, "%s: %s\n", tool.Name, strings.Join(distinct, " | "))
	}
	const path = "testdata/variants.golden"
	got := b.String()
	// The disk-filter variants name a disk of this machine.
	if disks, err := blockdev.Load(); err == nil && disks.First() != "" {
		got = strings.ReplaceAll(got, " "+disks.First()+" ", " DISK ")
		got = strings.ReplaceAll(got, " "+disks.First()+"\n", " DISK\n")
	}
	want, _ := os.ReadFile(path)
	if got == string(want) {
		return
	}
	if *update {
		os.MkdirAll("testdata", 0o755)
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("variants differ from %s (make docs rewrites it):\n%s", path, got)
}
