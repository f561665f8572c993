package app

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/bpfutils/bpfutils/pkg/blockdev"
	"github.com/bpfutils/bpfutils/pkg/cpus"
	"github.com/bpfutils/bpfutils/pkg/filter"
)

// Options bind to fields of a tool's configuration, so that a misspelt option is a compile
// error, not a silently unset feature. names is the long name then the other names, separated
// by spaces ("timestamp T"); usage is the help line, with `ARG` naming the value.

func splitNames(names string) (string, []string) {
	f := strings.Fields(names)
	return f[0], f[1:]
}

// Bool binds a switch.
func Bool(dst *bool, names, usage string) cli.Flag {
	name, aliases := splitNames(names)
	return &cli.BoolFlag{Name: name, Aliases: aliases, Usage: usage, Destination: dst}
}

// Value binds an option that takes a value, which parse turns into dst's type. An empty value
// is refused with the option's name, so an unset shell variable never turns a filter off.
func Value[T any](dst *T, names, usage string, parse func(string) (T, error)) cli.Flag {
	name, aliases := splitNames(names)
	return &cli.GenericFlag{Name: name, Aliases: aliases, Usage: usage,
		Value: &value[T]{dst: dst, parse: parse, name: name}}
}

type value[T any] struct {
	dst   *T
	parse func(string) (T, error)
	name  string
	text  string
	// sampleOf gives a value that turns the option's code path on, for --verify's variants
	// (nil: the option changes nothing the BPF side sees, or no value fits every machine).
	sampleOf func() string
}

// sampler is an option that can offer --verify a sample value.
type sampler interface{ sample() string }

func (v *value[T]) sample() string {
	if v.sampleOf == nil {
		return ""
	}
	return v.sampleOf()
}

// withSample gives an option made by Value a sample value for --verify's variants.
func withSample(f cli.Flag, sample func() string) cli.Flag {
	if g, ok := f.(*cli.GenericFlag); ok {
		if s, ok := g.Value.(interface{ setSample(func() string) }); ok {
			s.setSample(sample)
		}
	}
	return f
}

func (v *value[T]) setSample(f func() string) { v.sampleOf = f }

func constant(s string) func() string { return func() string { return s } }

func (v *value[T]) Set(s string) error {
	if s == "" {
		return fmt.Errorf("option %s needs a value, got an empty one", optionName(v.name))
	}
	x, err := v.parse(s)
	if err != nil {
		return err
	}
	*v.dst, v.text = x, s
	return nil
}

func (v *value[T]) String() string { return v.text }

func optionName(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

// String binds an option whose value is any non-empty text.
func String(dst *string, names, usage string) cli.Flag {
	return withSample(Value(dst, names, usage, func(s string) (string, error) { return s, nil }), constant("x"))
}

// Set wraps a parser so that the option's destination records that it was given: a *T that
// stays nil when the option is absent.
func Set[T any](parse func(string) (T, error)) func(string) (*T, error) {
	return func(s string) (*T, error) {
		v, err := parse(s)
		if err != nil {
			return nil, err
		}
		return &v, nil
	}
}

// PID binds a process or thread id option (-p, -t): what names the id in errors ("pid").
func PID(dst *uint32, names, usage, what string) cli.Flag {
	return withSample(Value(dst, names, usage, func(s string) (uint32, error) { return filter.PID(what, s) }), constant("1"))
}

// IDs binds a comma-separated list of at most max pids or tids (profile -p 1,2,3).
func IDs(dst *[]uint32, names, usage, what string, max int) cli.Flag {
	return withSample(Value(dst, names, usage, func(s string) ([]uint32, error) { return filter.CommaIDs(what, s, max) }), constant("1"))
}

// UID binds a user id option.
func UID(dst **uint32, names, usage string) cli.Flag {
	return withSample(Value(dst, names, usage, Set(filter.UID)), constant("0"))
}

// Cgroup binds the cgroup-v2 directory option; the tracer opens and checks it. usage ""
// is "Trace process in cgroup `PATH`".
func Cgroup(dst *string, names, usage string) cli.Flag {
	if usage == "" {
		usage = "Trace process in cgroup `PATH`"
	}
	return withSample(String(dst, names, usage), constant("/sys/fs/cgroup"))
}

// CPU binds an "only this CPU" option (hardirqs -s, softirqs -c, profile -C); dst is -1 when
// the option is absent.
func CPU(dst *int, names, usage string) cli.Flag {
	*dst = -1
	return withSample(Value(dst, names, usage, func(s string) (int, error) {
		possible, _ := cpus.Possible()
		return filter.CPU(s, len(possible))
	}), constant("0"))
}

// Positive binds an option whose value is a positive whole number; what names it in errors.
func Positive(dst *int, names, usage, what string) cli.Flag {
	return withSample(Value(dst, names, usage, func(s string) (int, error) { return filter.Positive(what, s) }), constant("1"))
}

// Disk is the block tools' -d DISK filter, resolved against /proc/partitions.
type Disk struct {
	Name   string
	Dev    uint32
	Filter bool
	table  *blockdev.Table
}

// DiskFlag binds a -d DISK option.
func DiskFlag(dst *Disk, names, usage string) cli.Flag {
	return withSample(Value(dst, names, usage, func(s string) (Disk, error) {
		d := Disk{Name: s}
		return d, d.resolve()
	}), firstDisk)
}

// firstDisk names a disk of this machine, for --verify's disk-filter variant.
func firstDisk() string {
	t, err := blockdev.Load()
	if err != nil {
		return ""
	}
	return t.First()
}

func (d *Disk) resolve() error {
	t, err := blockdev.Load()
	if err != nil {
		return err
	}
	d.table = t
	if d.Dev, d.Filter, err = t.Filter(d.Name); err != nil {
		return err
	}
	return nil
}

// Table is the machine's disk table, read once (for names in output).
func (d *Disk) Table() (*blockdev.Table, error) {
	if d.table == nil {
		t, err := blockdev.Load()
		if err != nil {
			return nil, err
		}
		d.table = t
	}
	return d.table, nil
}

// Timestamp binds the -T (or -t) switch that prints the time with each report or event.
func Timestamp(dst *bool, names string) cli.Flag {
	return Bool(dst, names, "Include timestamp on output")
}

// Millis binds the -m switch of the histogram tools: milliseconds instead of microseconds.
func Millis(dst *bool) cli.Flag {
	return Bool(dst, "milliseconds m", "Millisecond histogram")
}

// Units is the histogram unit -m chooses.
func Units(millis bool) string {
	if millis {
		return "msecs"
	}
	return "usecs"
}

// Nanoseconds binds the -N switch of the irq tools (hardirqs, softirqs): nanoseconds instead of
// microseconds.
func Nanoseconds(dst *bool) cli.Flag {
	return Bool(dst, "nanoseconds N", "Output in nanoseconds")
}

// NanoUnits is the time unit -N chooses.
func NanoUnits(ns bool) string {
	if ns {
		return "nsecs"
	}
	return "usecs"
}

// FreeText tells whether an option takes any text (a comm, a name, a path) rather than a value
// its parser checks: the robustness test expects such options to accept what they are given.
func FreeText(f cli.Flag) bool {
	g, ok := f.(*cli.GenericFlag)
	if !ok {
		return false
	}
	v, ok := g.Value.(interface{ freeText() bool })
	return ok && v.freeText()
}

func (v *value[T]) freeText() bool {
	_, ok := any(v.dst).(*string)
	return ok
}
