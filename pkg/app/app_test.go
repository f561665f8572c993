package app

import (
	"bytes"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"

	"github.com/bpfutils/bpfutils/pkg/tracer"
)

var testFlags = []cli.Flag{
	&cli.BoolFlag{Name: "timestamp", Aliases: []string{"T"}},
	&cli.BoolFlag{Name: "milliseconds", Aliases: []string{"m"}},
	&cli.StringFlag{Name: "disk", Aliases: []string{"d"}},
	&cli.BoolFlag{Name: "time-limit"},
	&cli.BoolFlag{Name: "ipv4", Aliases: []string{"4"}},
}

func TestReorder(t *testing.T) {
	cases := []struct{ in, want []string }{
		{[]string{"1", "5", "-T"}, []string{"-T", "--", "1", "5"}},
		{[]string{"-d", "vda", "1"}, []string{"-d", "vda", "--", "1"}},
		{[]string{"1", "-d", "vda", "2", "-m"}, []string{"-d", "vda", "-m", "--", "1", "2"}},
		{[]string{"-Tmd", "vda", "3"}, []string{"-T", "-m", "-d", "vda", "--", "3"}},
		{[]string{"-dvda", "1"}, []string{"-d", "vda", "--", "1"}},
		{[]string{"-Tdvda"}, []string{"-T", "-d", "vda"}},
		{[]string{"-d-1"}, []string{"-d", "-1"}},
		{[]string{"-TZ", "5"}, []string{"-T", "-Z", "--", "5"}},
		{[]string{"-jF"}, []string{"-j", "-F"}},
		{[]string{"-disk", "vda"}, []string{"-disk", "vda"}},
		{[]string{"--milli", "--dis", "vda", "2"}, []string{"--milliseconds", "--disk", "vda", "--", "2"}},
		{[]string{"--times=1"}, []string{"--timestamp=1"}},
		{[]string{"--tim"}, []string{"--tim"}}, // timestamp or time-limit: ambiguous
		{[]string{"--nope", "1"}, []string{"--nope", "--", "1"}},
		{[]string{"--disk=vda", "3"}, []string{"--disk=vda", "--", "3"}},
		{[]string{"-T", "--", "-5"}, []string{"-T", "--", "-5"}},
		{[]string{"-1"}, []string{"--", "-1"}},
		{[]string{"-4", "-1"}, []string{"-4", "--", "-1"}}, // a digit option is an option
		{nil, nil},
	}
	for _, c := range cases {
		if got := Reorder(c.in, testFlags); !reflect.DeepEqual(got, c.want) {
			t.Errorf("Reorder(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func FuzzReorder(f *testing.F) {
	f.Add("1 5 -T -d vda --disk=x -- -3")
	f.Fuzz(func(t *testing.T, line string) {
		args := strings.Fields(line)
		out := Reorder(args, testFlags)
		// Nothing is lost or invented: the same characters apart from dashes (short groups are
		// split into their options, "--" may be added), once a long option Reorder completed is
		// read as the abbreviation it came from (TestReorder holds expandLong to getopt_long's
		// rules).
		flagOf := map[string]cli.Flag{}
		for _, f := range testFlags {
			for _, n := range f.Names() {
				flagOf[n] = f
			}
		}
		abbrevOf := map[string][]string{}
		for _, a := range args {
			if !strings.HasPrefix(a, "--") {
				continue
			}
			if full := expandLong(a, flagOf); full != a {
				abbrevOf[full] = append(abbrevOf[full], a)
			}
		}
		out = slices.Clone(out)
		for i, w := range out {
			if abbrevs := abbrevOf[w]; len(abbrevs) > 0 {
				out[i], abbrevOf[w] = abbrevs[0], abbrevs[1:]
			}
		}
		count := func(words []string) map[rune]int {
			m := map[rune]int{}
			for _, w := range words {
				for _, r := range w {
					if r != '-' {
						m[r]++
					}
				}
			}
			return m
		}
		if !reflect.DeepEqual(count(args), count(out)) {
			t.Fatalf("Reorder(%q) = %q changes the words", args, out)
		}
	})
}

func TestRunErrors(t *testing.T) {
	type config struct{ every Every }
	tool := Define(Def[config]{
		Name:      "demo",
		ArgsUsage: "[interval] [count]",
		Flags:     func(*config) []cli.Flag { return testFlags },
		Args:      func(c *config) []Arg { return IntervalArgs(&c.every) },
		Run:       func(*Env, *config, *tracer.Tracer) error { return nil },
	})
	cases := []struct {
		args    []string
		code    int
		wantErr string
	}{
		{[]string{"1", "2"}, 0, ""},
		{[]string{"0"}, ExitUsage, `demo: invalid interval "0"`},
		{[]string{"1", "x"}, ExitUsage, `demo: invalid count "x"`},
		{[]string{"1", "2", "3"}, ExitUsage, "demo: unrecognized positional argument: 3"},
		{[]string{"--nope"}, ExitUsage, "demo: flag provided but not defined: --nope"},
		{[]string{"-Tq"}, ExitUsage, "demo: flag provided but not defined: -q"},
		{[]string{"1", "2", "3" + strings.Repeat("x", 100000)}, ExitUsage, "demo: unrecognized positional argument: 3xxx"},
		{[]string{"--usage"}, 0, ""},
	}
	for _, c := range cases {
		var out, errb bytes.Buffer
		code := Run(tool, c.args, &out, &errb)
		if code != c.code || !strings.HasPrefix(errb.String(), c.wantErr) || strings.Count(errb.String(), "\n") > 1 || len(errb.String()) > len("demo: ")+maxErrorLine+1 {
			t.Errorf("Run(%q) = %d, stderr %q; want %d, %q", c.args, code, errb.String(), c.code, c.wantErr)
		}
	}
	for _, help := range []string{"-h", "-?", "--help"} {
		var out, errb bytes.Buffer
		if code := Run(tool, []string{help}, &out, &errb); code != 0 || !strings.HasPrefix(out.String(), "Usage: demo [OPTION...] [interval] [count]\n") {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want the help and exit 0", help, code, out.String(), errb.String())
		}
	}
	var out, errb bytes.Buffer
	if code := Run(tool, []string{"-V"}, &out, &errb); code != 0 || out.String() != "demo "+Version+"\n" {
		t.Errorf("-V: %d %q", code, out.String())
	}
}

// TestShortGroups: short options combine and take attached values, and long options may be
// abbreviated, as getopt lets them.
func TestShortGroups(t *testing.T) {
	for _, args := range [][]string{
		{"-Tmdvda", "1"}, {"-Tmd", "vda", "1"}, {"1", "-mTd", "vda"}, {"-T", "-m", "-dvda", "1"},
		{"--milli", "--times", "--dis=vda", "1"}, {"1", "--timest", "--mil", "--di", "vda"},
	} {
		var got string
		type config struct {
			timestamp, ms bool
			disk          string
			args          []string
		}
		tool := Define(Def[config]{Name: "demo",
			Flags: func(c *config) []cli.Flag {
				return []cli.Flag{
					Bool(&c.timestamp, "timestamp T", ""), Bool(&c.ms, "milliseconds m", ""),
					String(&c.disk, "disk d", ""), Bool(new(bool), "time-limit", ""),
				}
			},
			Args: func(c *config) []Arg {
				keep := func(s string) error { c.args = append(c.args, s); return nil }
				return []Arg{{Name: "a", Set: keep}, {Name: "b", Set: keep}}
			},
			Run: func(_ *Env, c *config, _ *tracer.Tracer) error {
				got = fmt.Sprintf("%v %v %s %v", c.timestamp, c.ms, c.disk, c.args)
				return nil
			}})
		var out, errb bytes.Buffer
		if code := Run(tool, args, &out, &errb); code != 0 || got != "true true vda [1]" {
			t.Errorf("Run(%q) = %d (%s), parsed %s; want true true vda [1]", args, code, errb.String(), got)
		}
	}
}

func TestDedent(t *testing.T) {
	in := "\n    tool        # one\n    tool -x     # two\n      tool -y   # three\n\n"
	want := "tool        # one\ntool -x     # two\n  tool -y   # three"
	if got := dedent(in); got != want {
		t.Errorf("dedent = %q, want %q", got, want)
	}
	if got := dedent(""); got != "" {
		t.Errorf("dedent(\"\") = %q", got)
	}
}

func TestUsageLine(t *testing.T) {
	type config struct {
		ts, q bool
		disk  string
	}
	tool := Define(Def[config]{Name: "demo", ArgsUsage: "[interval] [count]",
		Flags: func(c *config) []cli.Flag {
			return []cli.Flag{Bool(&c.ts, "timestamp T", ""), Bool(&c.q, "queued Q", ""), String(&c.disk, "disk d", "trace `DISK` only")}
		},
		Run: func(*Env, *config, *tracer.Tracer) error { return nil }})
	var out, errb bytes.Buffer
	if code := Run(tool, []string{"--usage"}, &out, &errb); code != 0 {
		t.Fatalf("--usage: exit %d, %s", code, errb.String())
	}
	want := "Usage: demo [-?hQTvV] [-d DISK] [--disk=DISK] [--help] [--json] [--queued]\n" +
		"            [--raw] [--timestamp] [--usage] [--verbose] [--version]\n" +
		"            [interval] [count]\n"
	if out.String() != want {
		t.Errorf("--usage printed\n%s\nwant\n%s", out.String(), want)
	}
}

func TestEmptyValueRefused(t *testing.T) {
	type config struct{ disk string }
	tool := Define(Def[config]{Name: "demo",
		Flags: func(c *config) []cli.Flag { return []cli.Flag{String(&c.disk, "disk d", "")} },
		Run:   func(*Env, *config, *tracer.Tracer) error { return nil }})
	for _, args := range [][]string{{"-d", ""}, {"--disk="}} {
		var out, errb bytes.Buffer
		if code := Run(tool, args, &out, &errb); code != ExitUsage || errb.String() != "demo: option --disk needs a value, got an empty one\n" {
			t.Errorf("%q: exit %d, stderr %q", args, code, errb.String())
		}
	}
}
