package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/bpfutils/bpfutils/pkg/render"
	"github.com/bpfutils/bpfutils/pkg/tracer"
)

// Def declares a tool, top to bottom: its options bound to a typed configuration C, the BPF
// object and probes that configuration asks for, what it reports, and how it produces it. The
// runtime (Define) parses the command line into a fresh C, checks it, opens the tracer with
// Spec(C), hands the tool an Env and closes everything afterwards.
type Def[C any] struct {
	Name      string
	Usage     string // one line, shown in the tool list
	ArgsUsage string // e.g. "[interval] [count]"
	Examples  string // shown under --help
	// Object is the embedded BPF object (bpf/<Object>.bpf.c); "" for a tool that loads none.
	Object string
	// Layouts pairs each struct the BPF object shares with user space (C name) with the Go
	// type that decodes it; a test holds them to the same size and offsets.
	Layouts map[string]any
	// Consts pairs constants the Go side repeats from the object with their Go values, for a
	// test to hold them equal: "NAME" an enum member of the object's BTF, "max_entries:MAP" the
	// size a map is declared with.
	Consts map[string]int64
	// Aliases are further names of the tool, each with options it implies (killsnoop is
	// sigsnoop -k).
	Aliases []Alias
	// Caps are the capabilities the tool needs besides CAP_BPF and CAP_PERFMON, when it runs as
	// an ordinary user (README's least-privilege table, tests/privileges_test.go); CapsNote
	// says what further ones some options need.
	Caps     []string
	CapsNote string
	// JSONShort gives --json a short option too where the Python tool has one (biolatency -j).
	JSONShort string

	// Flags binds the options to c's fields (and may set c's defaults first).
	Flags func(c *C) []cli.Flag
	// Args binds the positional arguments, in order; more than it declares is an error.
	Args func(c *C) []Arg
	// Check validates and completes c once everything is parsed (options that exclude each
	// other, names resolved to numbers); usage errors come back as UsageError.
	Check func(c *C) error
	// Spec is what the tool asks of its BPF object: a pure function of c.
	Spec func(c *C) tracer.Spec
	// Offline, when it holds for c, runs the tool without loading its object: Run gets a nil
	// tracer (syscount --list prints a table and traces nothing, needing no privilege).
	Offline func(c *C) bool
	// Variants lists option sets whose specs --verify loads besides the default one and each
	// switch alone (options with values that change programs: offcputime --state 1).
	Variants [][]string
	// Outputs are the tool's declarations of what it reports, for docs/json.md.
	Outputs func(c *C) []render.Describer
	// Run produces the output; t is nil for a tool without Object.
	Run func(env *Env, c *C, t *tracer.Tracer) error
}

// Alias is another name a tool answers to, with the options that name implies.
type Alias struct {
	Name  string
	Args  []string
	Usage string
}

// Env is what one run of a tool is handed: no tool reads process globals, so tools run
// in-process too (tests, an exporter, several at once).
type Env struct {
	Ctx     context.Context
	Out     *render.Sink
	Verbose bool
	// skipped counts the runs of the tool's programs the kernel skipped (nil without a tracer).
	skipped *skipCounter
}

// reportSkipped reports, once each, events lost because the kernel skipped the tool's programs.
func (e *Env) reportSkipped() { e.skipped.report(e.Out) }

// Warnf prints one line on standard error.
func (e *Env) Warnf(format string, args ...any) { e.Out.Warnf(format, args...) }

// Tool is a declared tool as the registry holds it.
type Tool struct {
	Name      string
	Usage     string
	ArgsUsage string
	Examples  string
	Object    string
	Layouts   map[string]any
	Consts    map[string]int64
	Aliases   []Alias
	Caps      []string
	CapsNote  string
	newRun    func() instance
}

// instance is one parse-and-run of a tool, bound to a fresh configuration.
type instance interface {
	flags() []cli.Flag
	args() []Arg
	check() error
	spec() (tracer.Spec, bool)
	outputs() []render.Describer
	run(env *Env, t *tracer.Tracer) error
	jsonShort() string
	variants() [][]string
}

type inst[C any] struct {
	d *Def[C]
	c *C
}

func (i *inst[C]) flags() []cli.Flag {
	if i.d.Flags == nil {
		return nil
	}
	return i.d.Flags(i.c)
}

func (i *inst[C]) args() []Arg {
	if i.d.Args == nil {
		return nil
	}
	return i.d.Args(i.c)
}

func (i *inst[C]) check() error {
	if i.d.Check == nil {
		return nil
	}
	return i.d.Check(i.c)
}

func (i *inst[C]) spec() (tracer.Spec, bool) {
	if i.d.Spec == nil || i.d.Object == "" || i.d.Offline != nil && i.d.Offline(i.c) {
		return tracer.Spec{}, false
	}
	s := i.d.Spec(i.c)
	if s.Object == "" {
		s.Object = i.d.Object
	}
	return s, true
}

func (i *inst[C]) outputs() []render.Describer {
	if i.d.Outputs == nil {
		return nil
	}
	return i.d.Outputs(i.c)
}

func (i *inst[C]) run(env *Env, t *tracer.Tracer) error { return i.d.Run(env, i.c, t) }
func (i *inst[C]) jsonShort() string                    { return i.d.JSONShort }
func (i *inst[C]) variants() [][]string                 { return i.d.Variants }

// Define turns a declaration into a registered tool.
func Define[C any](d Def[C]) Tool {
	return Tool{
		Name: d.Name, Usage: d.Usage, ArgsUsage: d.ArgsUsage, Examples: d.Examples,
		Object: d.Object, Layouts: d.Layouts, Consts: d.Consts, Aliases: d.Aliases,
		Caps: d.Caps, CapsNote: d.CapsNote,
		newRun: func() instance { return &inst[C]{d: &d, c: new(C)} },
	}
}

// common options every tool takes.
type common struct {
	verbose, json, usage, raw bool
}

func (cm *common) flags(jsonShort string) []cli.Flag {
	return []cli.Flag{
		Bool(&cm.verbose, "verbose v", "verbose debug output"),
		Bool(&cm.json, strings.TrimSpace("json "+jsonShort), "print one JSON object per line (docs/json.md)"),
		Bool(&cm.raw, "raw", "print comms, paths and arguments as they are, control characters included (text escapes them)"),
		Bool(&cm.usage, "usage", "give a short usage message"),
	}
}

// Flags returns the tool's options, its own and the common ones, bound to a throwaway
// configuration (for tests and documentation).
func (t Tool) Flags() []cli.Flag {
	in := t.newRun()
	var cm common
	return append(in.flags(), cm.flags(in.jsonShort())...)
}

// OwnFlags returns the options the tool declares itself.
func (t Tool) OwnFlags() []cli.Flag { return t.newRun().flags() }

// parse runs the command line through a fresh instance and calls then with it, once parsed
// and checked; help, version and usage are answered on stdout instead. The options are read
// as argp reads them (Reorder), then by the standard flag package, into the fields they are
// bound to.
func (t Tool) parse(ctx context.Context, name string, args []string, stdout, stderr io.Writer,
	then func(in instance, cm *common) error) error {
	in := t.newRun()
	var cm common
	var help, version bool
	flags := append(in.flags(), cm.flags(in.jsonShort())...)
	all := append(append([]cli.Flag{}, flags...), helpFlag(&help), versionFlag(&version))
	set := flag.NewFlagSet(name, flag.ContinueOnError)
	set.SetOutput(io.Discard)
	for _, f := range all {
		if err := f.Apply(set); err != nil {
			return err
		}
	}
	if err := set.Parse(Reorder(args, all)); err != nil {
		return UsageError{flagError(err, args)}
	}
	switch {
	case help:
		writeHelp(stdout, name, t, all)
		return nil
	case version:
		fmt.Fprintf(stdout, "%s %s\n", name, Version)
		return nil
	case cm.usage:
		fmt.Fprint(stdout, usageLine(name, all, t.ArgsUsage))
		return nil
	}
	positional := in.args()
	for i, a := range set.Args() {
		if i >= len(positional) {
			return Usagef("unrecognized positional argument: %s", a)
		}
		if err := positional[i].Set(a); err != nil {
			return UsageError{err}
		}
	}
	if err := in.check(); err != nil {
		return err
	}
	return then(in, &cm)
}

// flagError names an unknown option as it was typed, and shortens the flag package's word on
// a value that an option's parser refused, `invalid value "x" for flag -p: invalid PID "x"...`,
// to the parser's own, which names the option and the value already.
func flagError(err error, args []string) error {
	msg := err.Error()
	// The flag package writes every option with one dash: name it as it was typed.
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok {
		for _, a := range args {
			if a == "--" {
				break
			}
			if a == "--"+name || strings.HasPrefix(a, "--"+name+"=") {
				return fmt.Errorf("flag provided but not defined: --%s", name)
			}
		}
		return err
	}
	if strings.HasPrefix(msg, "invalid boolean value ") {
		if _, rest, ok := strings.Cut(msg, `" for `); ok {
			name, _, _ := strings.Cut(rest, ":")
			return fmt.Errorf("option %s takes no value", name)
		}
	}
	if !strings.HasPrefix(msg, "invalid value ") {
		return err
	}
	for _, sep := range []string{`" for flag -`, `" for -`} {
		if _, rest, ok := strings.Cut(msg, sep); ok {
			if _, reason, ok := strings.Cut(rest, ": "); ok {
				return errors.New(reason)
			}
		}
	}
	return err
}

// Main runs the tool under the name it was called by, and returns the exit code.
func (t Tool) Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return t.MainAs(ctx, t.Name, args, stdout, stderr)
}

// MainAs is Main for a tool called by another name (an alias: its options come first).
func (t Tool) MainAs(ctx context.Context, name string, args []string, stdout, stderr io.Writer) int {
	for _, al := range t.Aliases {
		if al.Name == name {
			args = append(slices.Clone(al.Args), args...)
		}
	}
	var out *render.Sink
	err := t.parse(ctx, name, args, stdout, stderr, func(in instance, cm *common) error {
		format := render.FormatText
		if cm.json {
			format = render.FormatJSON
		}
		out = render.NewSink(name, format, stdout, stderr)
		out.Raw = cm.raw
		env := &Env{Ctx: ctx, Out: out, Verbose: cm.verbose}
		if slices.Contains(t.Caps, "CAP_SYS_ADMIN") {
			if err := tracer.CheckSysAdmin(); err != nil {
				return err
			}
		}
		return runInstance(env, in)
	})
	if out != nil {
		if ferr := out.Flush(); err == nil && ferr != nil {
			err = fmt.Errorf("write error: %w", ferr)
		}
	}
	return exitCode(name, err, stderr)
}

// runInstance opens the tool's BPF object, runs the tool and closes the object.
func runInstance(env *Env, in instance) error {
	spec, hasBPF := in.spec()
	if !hasBPF {
		return in.run(env, nil)
	}
	// Deferred first, so that it runs once the tracer is closed, as Unmount asks.
	defer func() {
		if err := tracer.Unmount(); err != nil {
			env.Warnf("%v", err)
		}
	}()
	if err := tracer.Preflight(); err != nil {
		return err
	}
	t, err := tracer.Open(spec, tracer.Options{Verbose: env.Verbose, Stderr: env.Out.Stderr()})
	if err != nil {
		return err
	}
	defer t.Close()
	env.skipped = newSkipCounter(t)
	return in.run(env, t)
}

// Spec parses args as the tool would and returns the spec it would load, without loading it.
func (t Tool) Spec(args []string) (tracer.Spec, error) {
	var spec tracer.Spec
	var has bool
	err := t.parse(context.Background(), t.Name, args, io.Discard, io.Discard, func(in instance, _ *common) error {
		spec, has = in.spec()
		return nil
	})
	if err == nil && !has {
		err = fmt.Errorf("%s loads no BPF object", t.Name)
	}
	return spec, err
}

// Outputs parses args as the tool would and returns its output declarations.
func (t Tool) Outputs(args []string) ([]render.Describer, error) {
	var out []render.Describer
	err := t.parse(context.Background(), t.Name, args, io.Discard, io.Discard, func(in instance, _ *common) error {
		out = in.outputs()
		return nil
	})
	return out, err
}

// Variants lists the option sets whose specs --verify loads: none (the default), each switch
// of the tool alone, each option with a value given a sample value (a pid, a CPU, a cgroup, a
// disk of this machine), and the tool's declared variants. Sets the tool refuses are dropped by
// the caller; equal specs are loaded once.
func (t Tool) Variants() [][]string {
	in := t.newRun()
	out := [][]string{nil}
	var samples [][]string
	for _, f := range in.flags() {
		switch f := f.(type) {
		case *cli.BoolFlag:
			out = append(out, []string{"--" + f.Name})
		case *cli.GenericFlag:
			if s, ok := f.Value.(sampler); ok {
				if v := s.sample(); v != "" {
					samples = append(samples, []string{optionName(f.Name), v})
				}
			}
		}
	}
	return append(append(out, samples...), in.variants()...)
}

// DeclaredVariants lists the variants the tool declares itself (Def.Variants).
func (t Tool) DeclaredVariants() [][]string { return t.newRun().variants() }

// BaseCaps are what every tool needs to load and attach its programs as an ordinary user.
var BaseCaps = []string{"CAP_BPF", "CAP_PERFMON"}

// NeededCaps lists every capability the tool needs as an ordinary user.
// CAP_SYS_ADMIN (uprobes need it) holds CAP_BPF's and CAP_PERFMON's powers: a tool that
// needs it needs only the capabilities it declares.
func (t Tool) NeededCaps() []string {
	if slices.Contains(t.Caps, "CAP_SYS_ADMIN") {
		return slices.Clone(t.Caps)
	}
	return append(append([]string{}, BaseCaps...), t.Caps...)
}

// Names lists the tool's name and its aliases' names.
func (t Tool) Names() []string {
	names := []string{t.Name}
	for _, a := range t.Aliases {
		names = append(names, a.Name)
	}
	return names
}

// DescribeArgs is how a variant is shown: "(default)" or its options.
func DescribeArgs(args []string) string {
	if len(args) == 0 {
		return "(default)"
	}
	return strings.Join(args, " ")
}
