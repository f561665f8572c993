package tools

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"

	"github.com/bpfutils/bpfutils/pkg/app"
)

// hostileValues are what a careless or hostile user hands an option or a positional argument.
var hostileValues = map[string]string{
	"empty":        "",
	"negative":     "-1",
	"zero":         "0",
	"huge":         "18446744073709551616",
	"non-numeric":  "abc",
	"overlong":     strings.Repeat("9", 100000),
	"non-UTF-8":    "\xff\xfe",
	"control byte": "1\x1b[2J",
}

// accepted documents the values a checked option takes on purpose (the rest must be refused):
// tool, option, kind of value.
var accepted = map[[3]string]string{
	{"execsnoop", "uid", "zero"}:             "uid 0 is root (execsnoop)",
	{"opensnoop", "uid", "zero"}:             "uid 0 is root (opensnoop)",
	{"tcpconnect", "uid", "zero"}:            "uid 0 is root (tcpconnect)",
	{"tcptracer", "uid", "zero"}:             "uid 0 is root (tcptracer)",
	{"hardirqs", "cpu", "zero"}:              "CPU 0 (hardirqs)",
	{"softirqs", "cpu", "zero"}:              "CPU 0 (softirqs)",
	{"softirqslower", "cpu", "zero"}:         "CPU 0 (softirqslower)",
	{"profile", "cpu", "zero"}:               "CPU 0 (profile)",
	{"offcputime", "state", "zero"}:          "state 0: TASK_RUNNING",
	{"biosnoop", "min", "zero"}:              "-m 0: every request",
	{"offcputime", "min-block-time", "zero"}: "-m 0: every block, as libbpf-tools takes it",
	{"wakeuptime", "min-block-time", "zero"}: "-m 0: every wakeup, as libbpf-tools takes it",
	{"syscount", "interval", "zero"}:         "-i 0: one report at the end, libbpf-tools' default",
	{"fsslower", "min", "zero"}:              "-m 0: every operation, as libbpf-tools takes it",
}

// required are options a tool cannot run without (libbpf-tools exits 1 without them): each
// hostile input is tried with them, so that it is the hostile value that is judged.
var required = map[string][]string{
	"fsslower": {"-t", "ext4"},
	"fsdist":   {"-t", "ext4"},
}

// TestHostileInput hands every option that takes a value, and every positional slot, of every
// tool each of hostileValues, and holds the outcome to one line of at most 200 bytes and exit
// 64 (a usage error) before anything is loaded, or to a documented acceptance: free-text
// options (a comm, a name, a path) take any text but the empty one; the values in accepted
// are valid for their option.
func TestHostileInput(t *testing.T) {
	var tried, refused, acceptedN int
	used := map[string]bool{}
	for _, tool := range All {
		try := func(what string, kind string, args []string, acceptable bool, why string) {
			tried++
			_, err := tool.Outputs(append(slices.Clone(required[tool.Name]), args...))
			if err == nil {
				used[why] = true
				if !acceptable {
					t.Errorf("%s %s: %s value %q accepted", tool.Name, what, kind, shorten(args))
				}
				acceptedN++
				return
			}
			refused++
			line := app.ErrorLine(err)
			if len(line) > 200 || strings.ContainsAny(line, "\n\x1b") {
				t.Errorf("%s %s (%s): error line of %d bytes: %q", tool.Name, what, kind, len(line), line)
			}
			var ue app.UsageError
			if !asUsage(err, &ue) && !strings.Contains(line, "pid_max") {
				t.Errorf("%s %s (%s): %q is not a usage error", tool.Name, what, kind, line)
			}
		}
		for _, f := range tool.OwnFlags() {
			if _, isBool := f.(*cli.BoolFlag); isBool {
				continue
			}
			name := f.Names()[0]
			for kind, v := range hostileValues {
				why, ok := accepted[[3]string{tool.Name, name, kind}]
				free := app.FreeText(f) && kind != "empty"
				try("--"+name, kind, []string{"--" + name, v}, ok || free, why)
			}
		}
		for slot := 0; slot < 3; slot++ {
			for kind, v := range hostileValues {
				args := append(strings.Fields(strings.Repeat("1 ", slot)), v)
				try("positional "+string(rune('1'+slot)), kind, args, false, "")
			}
		}
	}
	for key, why := range accepted {
		if !used[why] {
			t.Errorf("documented acceptance %v (%s) was not needed: drop it", key, why)
		}
	}
	t.Logf("%d hostile inputs: %d refused with one line, %d documented acceptances", tried, refused, acceptedN)
}

func shorten(args []string) string {
	s := strings.Join(args, " ")
	if len(s) > 60 {
		return s[:60] + "..."
	}
	return s
}

func asUsage(err error, ue *app.UsageError) bool { return errors.As(err, ue) }
