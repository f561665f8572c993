package app

import (
	"sort"
	"strings"

	"github.com/urfave/cli/v2"
)

// usageLine is what --usage prints, in argp's layout: switches with a short name grouped, then
// short options with values, then every long option, then the positional arguments, wrapped at
// 79 columns under the program name.
func usageLine(name string, flags []cli.Flag, argsUsage string) string {
	var shortBool []string
	var words []string
	var long []string
	for _, f := range flags {
		takes := f.(cli.DocGenerationFlag).TakesValue()
		arg := "ARG"
		if u, ok := f.(interface{ GetUsage() string }); ok {
			if name, _ := unquoteUsage(u.GetUsage()); name != "" {
				arg = name
			}
		}
		for _, n := range f.Names() {
			switch {
			case len(n) == 1 && !takes:
				shortBool = append(shortBool, n)
			case len(n) == 1:
				words = append(words, "[-"+n+" "+arg+"]")
			case takes:
				long = append(long, "[--"+n+"="+arg+"]")
			default:
				long = append(long, "[--"+n+"]")
			}
		}
	}
	sort.Slice(shortBool, func(i, j int) bool {
		a, b := strings.ToLower(shortBool[i]), strings.ToLower(shortBool[j])
		if a != b {
			return a < b
		}
		return shortBool[i] > shortBool[j]
	})
	sort.Strings(words)
	sort.Strings(long)
	var all2 []string
	if len(shortBool) > 0 {
		all2 = append(all2, "[-"+strings.Join(shortBool, "")+"]")
	}
	all2 = append(append(all2, words...), long...)
	if argsUsage != "" {
		all2 = append(all2, argsUsage)
	}
	prefix := "Usage: " + name
	var b strings.Builder
	line := prefix
	indent := strings.Repeat(" ", len(prefix))
	for _, w := range all2 {
		if len(line)+1+len(w) > 79 && line != prefix && line != indent {
			b.WriteString(line + "\n")
			line = indent
		}
		line += " " + w
	}
	b.WriteString(line + "\n")
	return b.String()
}
