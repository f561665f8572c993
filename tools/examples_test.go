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
			words := shellWords(cmd)
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

// shellWords splits an example as a shell would, for the quoting examples use: words apart at
// spaces, except inside '...' or "..." (the quotes removed).
func shellWords(line string) []string {
	var words []string
	var word strings.Builder
	var quote rune
	inWord := false
	for _, r := range line {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			word.WriteRune(r)
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ' ' || r == '\t':
			if inWord {
				words = append(words, word.String())
				word.Reset()
				inWord = false
			}
		default:
			word.WriteRune(r)
			inWord = true
		}
	}
	if inWord {
		words = append(words, word.String())
	}
	return words
}
