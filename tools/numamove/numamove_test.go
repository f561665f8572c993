package numamove

import (
	"bytes"
	"fmt"
	"io"
	"regexp"
	"strings"
	"testing"

	"github.com/bpfutils/bpfutils/pkg/render"
)

// TestRowMatchesCFormat holds the header and a row to libbpf-tools' "%-10s %18s %18s" and
// "%-10s %18lld %18lld"; the time is checked for its shape.
func TestRowMatchesCFormat(t *testing.T) {
	var got bytes.Buffer
	out := render.NewSink("numamove", render.FormatText, &got, io.Discard)
	rows := records().To(out)
	rows.Header()
	rows.Write(&totals{Count: 1234, Ms: 56, Ns: 56789012})
	out.Flush()
	lines := strings.Split(got.String(), "\n")
	if want := fmt.Sprintf("%-10s %18s %18s", "TIME", "NUMA_migrations", "NUMA_migrations_ms"); lines[0] != want {
		t.Errorf("header %q, want %q", lines[0], want)
	}
	if !regexp.MustCompile(`^\d\d:\d\d:\d\d   `).MatchString(lines[1]) || lines[1][10:] != fmt.Sprintf(" %18d %18d", 1234, 56) {
		t.Errorf("row %q", lines[1])
	}
}
