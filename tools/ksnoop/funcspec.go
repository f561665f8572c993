package ksnoop

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// Limits of libbpf-tools' ksnoop, which names and specifications are held to.
const (
	maxName     = 96  // function, argument and member names
	maxSpec     = 256 // a whole FUNC specification
	maxTraces   = 6   // values traced per function
	maxFuncs    = 64  // functions traced at once (KSNOOP_MAX_FUNCS)
	returnName  = "return"
	returnIndex = 5 // KSNOOP_RETURN
)

// funcSpec is one FUNC of the command line: name or name(arg[, arg...]).
type funcSpec struct {
	Name   string
	Args   []argSpec
	Custom bool // arguments were listed: trace those, not all
}

// argSpec is one arg of a FUNC: argname, argname->member or return, with an optional
// predicate.
type argSpec struct {
	Arg, Member string
	Op          string // "", ==, !=, >, >=, <, <=
	Value       uint64
	Predicate   string // as typed, for messages
}

// Name is how the value is shown: arg or arg->member.
func (a argSpec) Name() string {
	if a.Member != "" {
		return a.Arg + "->" + a.Member
	}
	return a.Arg
}

func isNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

// nameLen is the length of the name s begins with.
func nameLen(s string) int {
	n := 0
	for n < len(s) && isNameByte(s[n]) {
		n++
	}
	return n
}

// parseFunc parses a FUNC as libbpf-tools' ksnoop reads it: white space anywhere is ignored;
// names are letters, digits and '_'. It is stricter where ksnoop silently ignores what it
// cannot read (a predicate "=5" or ">=>5", trailing bytes after a value): those are errors.
func parseFunc(s string) (funcSpec, error) {
	var f funcSpec
	spec := strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
	if len(spec) >= maxSpec {
		return f, fmt.Errorf("function specification too long (%d bytes, at most %d)", len(spec), maxSpec-1)
	}
	n := nameLen(spec)
	if n == 0 {
		return f, fmt.Errorf("Invalid function specification '%s'", spec)
	}
	f.Name = spec[:n]
	rest := spec[n:]
	if rest == "" {
		return f, checkName(f.Name)
	}
	inner, ok := strings.CutPrefix(rest, "(")
	inner, ok2 := strings.CutSuffix(inner, ")")
	if !ok || !ok2 || inner == "" || strings.ContainsAny(inner, "()") {
		return f, fmt.Errorf("Invalid function specification '%s'", spec)
	}
	if err := checkName(f.Name); err != nil {
		return f, err
	}
	f.Custom = true
	for _, arg := range strings.Split(inner, ",") {
		if arg == "" {
			continue // ksnoop's strtok skips empty fields
		}
		if len(f.Args) == maxTraces {
			return f, fmt.Errorf("Too many arguments; up to %d are supported", maxTraces)
		}
		a, err := parseArg(arg)
		if err != nil {
			return f, err
		}
		f.Args = append(f.Args, a)
	}
	return f, nil
}

func checkName(name string) error {
	if len(name) >= maxName {
		return fmt.Errorf("name %.20s... too long (at most %d bytes)", name, maxName-1)
	}
	return nil
}

func parseArg(arg string) (argSpec, error) {
	var a argSpec
	n := nameLen(arg)
	if n == 0 {
		return a, fmt.Errorf("Invalid specification; expected argument name, not '%s'", arg)
	}
	a.Arg, arg = arg[:n], arg[n:]
	if rest, ok := strings.CutPrefix(arg, "->"); ok {
		m := nameLen(rest)
		if m == 0 {
			return a, fmt.Errorf("Invalid specification; expected member name after '%s->'", a.Arg)
		}
		a.Member, arg = rest[:m], rest[m:]
	}
	if err := checkName(a.Arg); err != nil {
		return a, err
	}
	if err := checkName(a.Member); err != nil {
		return a, err
	}
	if arg == "" {
		return a, nil
	}
	a.Predicate = arg
	op := 0
	for op < len(arg) && strings.IndexByte("!=><", arg[op]) >= 0 {
		op++
	}
	if op == 0 || op == len(arg) {
		return a, fmt.Errorf("Invalid specification; expected predicate, not '%s'", arg)
	}
	switch a.Op = arg[:op]; a.Op {
	case "==", "!=", ">", ">=", "<", "<=":
	default:
		return a, fmt.Errorf("Invalid predicate specification '%s'", arg)
	}
	v, err := parseValue(arg[op:])
	if err != nil {
		return a, fmt.Errorf("Invalid specification; expected predicate, not '%s'", arg)
	}
	a.Value = v
	return a, nil
}

// parseValue reads a predicate's value as strtol with base 0 does (decimal, 0x hex, 0 octal,
// a sign), up to 2^64-1 as well: the comparison is of 64-bit registers.
func parseValue(s string) (uint64, error) {
	if v, err := strconv.ParseInt(s, 0, 64); err == nil {
		return uint64(v), nil
	}
	if strings.HasPrefix(s, "+") {
		s = s[1:]
	}
	return strconv.ParseUint(s, 0, 64)
}
