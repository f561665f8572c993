package tools

import (
	"errors"
	"strings"
	"testing"

	"github.com/bpfutils/bpfutils/pkg/app"
)

// TestExamplesParse: every example a tool's help shows (BCC's own example invocations) is a
// command line the tool accepts. Examples that name things this machine may not have (a disk
// such as sdc, a user) may fail on those, never on the options.
func TestExamplesParse(t *testing.T) {
	for _, tool := range All {
		for _, line := range strings.Split(tool.Examples, "\n") {
			cmd, _, _ := strings.Cut(line, "#")
			words := strings.Fields(cmd)
			if len(words) == 0 {
				continue
			}
			if words[0] != tool.Name {
				t.Errorf("%s: example %q runs another tool", tool.Name, strings.TrimSpace(line))
				continue
			}
			_, err := tool.Outputs(words[1:])
			var ue app.UsageError
			if err != nil && errors.As(err, &ue) && !strings.Contains(err.Error(), "disk") && !strings.Contains(err.Error(), "unknown user") {
				t.Errorf("%s: example %q refused: %v", tool.Name, strings.TrimSpace(cmd), err)
			}
		}
	}
}
