package app

import (
	"time"

	"github.com/bpfutils/bpfutils/pkg/filter"
)

// Arg is one positional argument: Set parses it into the tool's configuration.
type Arg struct {
	Name string
	Set  func(string) error
}

// Every is the [interval] [count] pair of the summary tools.
type Every struct {
	Interval time.Duration // between reports; Forever: one report at Ctrl-C
	Count    int           // reports to print; -1: until Ctrl-C
}

// IntervalArgs binds [interval] [count]. An interval the tool's Flags set beforehand is its
// default; otherwise the tool reports once, at Ctrl-C.
func IntervalArgs(e *Every) []Arg {
	if e.Interval == 0 {
		e.Interval = Forever
	}
	e.Count = -1
	return []Arg{
		{Name: "interval", Set: func(s string) error {
			n, err := filter.Positive("interval", s)
			e.Interval = seconds(n)
			return err
		}},
		{Name: "count", Set: func(s string) error {
			n, err := filter.Positive("count", s)
			e.Count = n
			return err
		}},
	}
}

// DurationArg binds an optional [duration] in seconds (0: until Ctrl-C).
func DurationArg(d *time.Duration) []Arg {
	return []Arg{{Name: "duration", Set: func(s string) error {
		n, err := filter.Positive("duration", s)
		*d = seconds(n)
		return err
	}}}
}
