package tests

import (
	"testing"

	"github.com/urfave/cli/v2"

	"github.com/bpfutils/bpfutils/tools"
)

// TestEmptyValuesRefused: through the binary, an empty value for any option of any tool (an
// unset shell variable: `opensnoop -p "$PID"`) is one line naming the option, exit 64, and
// nothing loaded, never a tool that silently traces everything. tools/robustness_test.go tries
// the whole set of hostile values in-process.
func TestEmptyValuesRefused(t *testing.T) {
	for _, tool := range tools.All {
		for _, f := range tool.OwnFlags() {
			if _, isBool := f.(*cli.BoolFlag); isBool {
				continue
			}
			name := f.Names()[0]
			opt := "--" + name
			if len(name) == 1 {
				opt = "-" + name
			}
			t.Run(tool.Name+"/"+name, func(t *testing.T) {
				badInput(t, tool.Name, "option "+opt+" needs a value", opt, "")
			})
		}
	}
}
