package app

import (
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"
)

// argp answers -? as it answers --help.
func helpFlag(dst *bool) cli.Flag { return Bool(dst, "help h ?", "Give this help list") }

func versionFlag(dst *bool) cli.Flag { return Bool(dst, "version V", "Print program version") }

// writeHelp prints -h's text in argp's layout: the usage line, what the tool does, its
// examples, then one line per option, short names first, help text from column 30.
func writeHelp(w io.Writer, name string, t Tool, flags []cli.Flag) {
	fmt.Fprintf(w, "Usage: %s [OPTION...] %s\n%s\n", name, t.ArgsUsage, t.Usage)
	if ex := dedent(t.Examples); ex != "" {
		fmt.Fprintf(w, "\nEXAMPLES:\n")
		for _, l := range strings.Split(ex, "\n") {
			fmt.Fprintf(w, "    %s\n", l)
		}
	}
	fmt.Fprintln(w)
	for _, f := range flags {
		var short, long []string
		placeholder, usage := "", ""
		if d, ok := f.(cli.DocGenerationFlag); ok {
			placeholder, usage = unquoteUsage(d.GetUsage())
			if d.TakesValue() && placeholder == "" {
				placeholder = "ARG"
			}
			if !d.TakesValue() {
				placeholder = ""
			}
		}
		for _, n := range f.Names() {
			if len(n) == 1 {
				short = append(short, "-"+n)
			} else {
				long = append(long, "--"+n)
			}
		}
		names := strings.Join(append(short, long...), ", ")
		if placeholder != "" {
			if len(long) > 0 {
				names += "=" + placeholder
			} else {
				names += " " + placeholder
			}
		}
		if len(short) == 0 {
			names = "    " + names
		}
		line := "  " + names
		if len(line) >= 29 {
			fmt.Fprintln(w, line)
			line = ""
		}
		fmt.Fprintf(w, "%-29s%s\n", line, usage)
	}
}

// unquoteUsage takes the value's name from usage, where it stands between back quotes
// ("Trace this `DISK` only"), and returns usage without the quotes.
func unquoteUsage(usage string) (name, text string) {
	before, rest, found := strings.Cut(usage, "`")
	if !found {
		return "", usage
	}
	name, after, found := strings.Cut(rest, "`")
	if !found {
		return "", usage
	}
	return name, before + name + after
}
