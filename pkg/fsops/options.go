package fsops

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/bpfutils/bpfutils/pkg/app"
	"github.com/bpfutils/bpfutils/pkg/tracer"
)

// TypeFlag binds -t, which picks the filesystem.
func TypeFlag(fs **FS) cli.Flag {
	return app.Value(fs, "type t", TypeUsage, Lookup)
}

// Check refuses a run without -t, or on a filesystem the running kernel does not have.
func Check(fs *FS) error {
	if fs == nil {
		return ErrNoType
	}
	return Registered(fs)
}

// Aliases are libbpf-tools' names that preset -t, one per filesystem: with suffix "dist",
// ext4dist is the tool with -t ext4. usage is a format whose one verb is the filesystem's name.
func Aliases(suffix, usage string) []app.Alias {
	out := make([]app.Alias, 0, len(Filesystems))
	for _, fs := range Filesystems {
		out = append(out, app.Alias{Name: fs.Name + suffix, Args: []string{"-t", fs.Name}, Usage: fmt.Sprintf(usage, fs.Name)})
	}
	return out
}

// WarnSyscalls says, with -v, which of ops t times at the system call rather than in the
// filesystem (SyscallNote); nothing when t hooks the filesystem's functions.
func WarnSyscalls(env *app.Env, t *tracer.Tracer, fs *FS, ops []Op) {
	if !env.Verbose {
		return
	}
	if note := SyscallNote(fs, BySyscall(t, ops)); note != "" {
		env.Warnf("%s", note)
	}
}
