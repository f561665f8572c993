// Package app turns a tool description into a command line program that behaves like its
// libbpf-tools namesake: flags anywhere on the line, -h, -V, -v, one-line errors, clean exit on
// Ctrl-C and SIGTERM.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"
	"unicode/utf8"

	"github.com/bpfutils/bpfutils/pkg/render"
	"github.com/urfave/cli/v2"
)

// Version is what -V prints after the tool name.
var Version = "0.1"

// Exit codes: usage errors like argp's EX_USAGE, runtime errors 1.
const (
	ExitUsage   = 64
	ExitFailure = 1
)

// UsageError marks an error in what the user typed.
type UsageError struct{ Err error }

func (e UsageError) Error() string { return e.Err.Error() }
func (e UsageError) Unwrap() error { return e.Err }

// Usagef builds a UsageError.
func Usagef(format string, args ...any) error {
	return UsageError{fmt.Errorf(format, args...)}
}

// smallTracer sizes the Go runtime for a tracer: one goroutine reads events, so a second P only
// adds hand-offs between threads (execsnoop's storm: 4.7 -> 3.5 us of CPU per event with one
// P); and the heap is collected at 25% growth instead of 100%, which under an opensnoop storm of
// 200,000 events kept peak RSS 2.8 MB lower for 0.1 us more CPU per event. GOGC and GOMAXPROCS
// in the environment still win.
func smallTracer() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(25)
	}
	if os.Getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(1)
	}
}

// dedent drops the blank lines around text and the indentation its lines share: the help
// template indents the examples itself.
func dedent(text string) string {
	lines := strings.Split(strings.Trim(text, "\n"), "\n")
	leading := func(l string) int { return len(l) - len(strings.TrimLeft(l, " ")) }
	indent := -1
	for _, l := range lines {
		if n := leading(l); strings.TrimSpace(l) != "" && (indent < 0 || n < indent) {
			indent = n
		}
	}
	for i, l := range lines {
		lines[i] = strings.TrimRight(l[min(max(indent, 0), leading(l)):], " ")
	}
	return strings.Join(lines, "\n")
}

// Run runs the tool with args (without the program name) and returns the exit code. The
// process's signals end the run (Ctrl-C, SIGTERM).
func Run(t Tool, args []string, stdout, stderr io.Writer) int {
	return RunAs(t, t.Name, args, stdout, stderr)
}

// RunAs is Run for a tool called by another of its names (an alias).
func RunAs(t Tool, name string, args []string, stdout, stderr io.Writer) int {
	smallTracer()
	// Signals are caught from the start: a Ctrl-C that lands between "attached" and "reading"
	// must still detach and print the summary, never kill the tool outright.
	ctx, stop := Signals(context.Background())
	defer stop()
	return t.MainAs(ctx, name, args, stdout, stderr)
}

// exitCode prints err as the tool's one line on stderr and returns the exit code it means.
func exitCode(name string, err error, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	fmt.Fprintf(stderr, "%s: %s\n", name, oneLine(err))
	var ue UsageError
	if errors.As(err, &ue) {
		return ExitUsage
	}
	var ec cli.ExitCoder
	if errors.As(err, &ec) {
		return ec.ExitCode()
	}
	return ExitFailure
}

// maxErrorLine bounds an error line: a parser that quotes a 100 KB argument back must not
// flood the terminal.
const maxErrorLine = 200

// oneLine is err as the one line a tool prints: its first line, control bytes escaped (an
// argument or a path may carry them), cut to maxErrorLine bytes.
func oneLine(err error) string {
	msg := strings.TrimSpace(err.Error())
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i]
	}
	msg = render.Escape(msg)
	if len(msg) > maxErrorLine {
		cut := maxErrorLine - len("...")
		for cut > 0 && !utf8.RuneStart(msg[cut]) {
			cut--
		}
		msg = msg[:cut] + "..."
	}
	return msg
}

// Reorder moves flags ahead of positional arguments, as argp does, so that
// "biolatency 1 10 -D" means what it means to libbpf-tools.
func Reorder(args []string, flags []cli.Flag) []string {
	takesValue := map[string]bool{}
	flagOf := map[string]cli.Flag{}
	for _, f := range flags {
		_, isBool := f.(*cli.BoolFlag)
		for _, n := range f.Names() {
			takesValue[n] = !isBool
			flagOf[n] = f
		}
	}
	var opts, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			pos = append(pos, args[i+1:]...)
			break
		}
		if len(a) < 2 || a[0] != '-' || isNumber(a) && !isOption(a, takesValue) {
			pos = append(pos, a)
			continue
		}
		if strings.HasPrefix(a, "--") {
			a = expandLong(a, flagOf)
		}
		name := strings.TrimLeft(a, "-")
		_, known := takesValue[name]
		switch {
		case strings.Contains(name, "="):
			opts = append(opts, a)
			continue
		case a[1] != '-' && len(name) > 1 && !known:
			// A group of short options, as getopt reads it: "-Tm", "-p181", "-Tmp 181".
			if opts, name = appendShortGroup(opts, name, takesValue); name == "" {
				continue
			}
		default:
			opts = append(opts, a)
		}
		if takesValue[name] && i+1 < len(args) {
			opts = append(opts, args[i+1])
			i++
		}
	}
	if len(pos) > 0 {
		return append(append(opts, "--"), pos...)
	}
	return opts
}

// expandLong completes an abbreviated long option ("--milli" for "--milliseconds"), as getopt_long
// does when the abbreviation names one option only; anything else is returned as it came.
func expandLong(arg string, flagOf map[string]cli.Flag) string {
	abbrev, value, hasValue := strings.Cut(arg[2:], "=")
	if _, exact := flagOf[abbrev]; exact || abbrev == "" {
		return arg
	}
	var full string
	var match cli.Flag
	for name, f := range flagOf {
		if len(name) < 2 || !strings.HasPrefix(name, abbrev) {
			continue
		}
		if match != nil && match != f {
			return arg // ambiguous: the parser rejects it
		}
		// Of one option's names, the same one every time.
		if match == nil || name < full {
			full = name
		}
		match = f
	}
	if match == nil {
		return arg
	}
	if hasValue {
		return "--" + full + "=" + value
	}
	return "--" + full
}

// appendShortGroup appends the short options of the group "-"+letters one by one. The first
// that takes a value takes the rest of the group as its value ("-p181"); if the group ends at
// it, last is its name, so that the caller hands it the next word. A letter that names no option
// is passed alone, for the parser to reject by its name.
func appendShortGroup(opts []string, letters string, takesValue map[string]bool) (_ []string, last string) {
	for i := 0; i < len(letters); i++ {
		hasValue, known := takesValue[letters[i:i+1]]
		if !known {
			// The parser names the unknown letter itself, as getopt does ("-jF": -j).
			for _, c := range letters[:i] {
				opts = append(opts, "-"+string(c))
			}
			opts = append(opts, "-"+letters[i:i+1])
			if rest := letters[i+1:]; rest != "" {
				opts = append(opts, "-"+rest)
			}
			return opts, ""
		}
		if hasValue {
			break
		}
	}
	for i := 0; i < len(letters); i++ {
		name := letters[i : i+1]
		opts = append(opts, "-"+name)
		if takesValue[name] {
			if rest := letters[i+1:]; rest != "" {
				return append(opts, rest), ""
			}
			return opts, name
		}
	}
	return opts, ""
}

func isNumber(s string) bool {
	for i, r := range s {
		if !(r >= '0' && r <= '9' || (i == 0 && r == '-') || r == '.') {
			return false
		}
	}
	return true
}

// Signals returns a context that ends on SIGINT or SIGTERM, so tools detach and print their
// final summary on either.
// SIGQUIT (Ctrl-\) ends a tool the same way, instead of the Go runtime's goroutine dump.
func Signals(parent context.Context) (context.Context, context.CancelFunc) {
	return signal.NotifyContext(parent, os.Interrupt, syscall.SIGTERM, syscall.SIGQUIT)
}

// ErrorLine is the line a tool prints for err, after its name (for tests).
func ErrorLine(err error) string { return oneLine(err) }

// isOption reports whether a word that reads as a negative number names a short option
// instead (-4, -6 of the network tools).
func isOption(word string, takesValue map[string]bool) bool {
	_, ok := takesValue[word[1:]]
	return ok
}
