package app

import (
	"testing"

	"github.com/urfave/cli/v2"
)

func set(f cli.Flag, arg string) error { return f.(*cli.GenericFlag).Value.Set(arg) }

func TestSortFlag(t *testing.T) {
	for _, c := range []struct {
		arg, want string
		bad       bool
	}{{"io", "io", false}, {"all", "all", false}, {"bytes", "all", true}} {
		var sort string
		f := SortFlag(&sort, "all", "all", "io")
		if err := set(f, c.arg); (err != nil) != c.bad || sort != c.want {
			t.Errorf("-s %s: %q, %v", c.arg, sort, err)
		}
	}
	var sort string
	if got := SortFlag(&sort, "size", "name", "size").(*cli.GenericFlag).Usage; got != "Sort columns, default size [name, size]" {
		t.Errorf("usage %q", got)
	}
}

func TestRowsFlag(t *testing.T) {
	for _, c := range []struct {
		arg  string
		want int
		bad  bool
	}{{"7", 7, false}, {"20000", 100, false}, {"0", 20, true}, {"-1", 20, true}, {"x", 20, true}} {
		var rows int
		if err := set(RowsFlag(&rows, 100), c.arg); (err != nil) != c.bad || rows != c.want {
			t.Errorf("-r %s: %d, %v", c.arg, rows, err)
		}
	}
}
