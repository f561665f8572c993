package app

import (
	"fmt"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/bpfutils/bpfutils/pkg/filter"
)

// The options of libbpf-tools' top-style tools (biotop, filetop, slabratetop, tcptop): -s picks a
// sort key from a fixed list, -r the number of rows.

// SortFlag binds -s/--sort to one of keys; def is the default.
func SortFlag(dst *string, def string, keys ...string) cli.Flag {
	*dst = def
	usage := fmt.Sprintf("Sort columns, default %s [%s]", def, strings.Join(keys, ", "))
	return Value(dst, "sort s", usage, func(s string) (string, error) {
		if !slices.Contains(keys, s) {
			return "", fmt.Errorf("invalid sort method: %s", s)
		}
		return s, nil
	})
}

// RowsFlag binds -r/--rows, 20 by default, at most limit (the size of the tool's map).
func RowsFlag(dst *int, limit int) cli.Flag {
	*dst = 20
	return Value(dst, "rows r", "Maximum rows to print, default 20", func(s string) (int, error) {
		n, err := filter.Positive("rows", s)
		if err != nil {
			return 0, fmt.Errorf("invalid rows: %s", s)
		}
		return min(n, limit), nil
	})
}
