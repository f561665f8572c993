package opensnoop

import (
	"fmt"
	"strings"

	"golang.org/x/sys/unix"
)

// openFlags are the names -f/--flag_filter accepts, as Python's os module spells them.
var openFlags = map[string]uint32{
	"O_RDONLY":    unix.O_RDONLY,
	"O_WRONLY":    unix.O_WRONLY,
	"O_RDWR":      unix.O_RDWR,
	"O_APPEND":    unix.O_APPEND,
	"O_ASYNC":     unix.O_ASYNC,
	"O_CLOEXEC":   unix.O_CLOEXEC,
	"O_CREAT":     unix.O_CREAT,
	"O_DIRECT":    unix.O_DIRECT,
	"O_DIRECTORY": unix.O_DIRECTORY,
	"O_DSYNC":     unix.O_DSYNC,
	"O_EXCL":      unix.O_EXCL,
	"O_LARGEFILE": unix.O_LARGEFILE,
	"O_NDELAY":    unix.O_NDELAY,
	"O_NOATIME":   unix.O_NOATIME,
	"O_NOCTTY":    unix.O_NOCTTY,
	"O_NOFOLLOW":  unix.O_NOFOLLOW,
	"O_NONBLOCK":  unix.O_NONBLOCK,
	"O_PATH":      unix.O_PATH,
	"O_RSYNC":     unix.O_RSYNC,
	"O_SYNC":      unix.O_SYNC,
	"O_TMPFILE":   unix.O_TMPFILE,
	"O_TRUNC":     unix.O_TRUNC,
}

// flagFilter is what the BPF side compares open flags against: an open passes when it has any
// of the bits in any, or, with rdonly, when it opens read-only (O_RDONLY is 0, no bit to test;
// Python's opensnoop lets nothing through for it).
type flagFilter struct {
	any    uint32
	rdonly bool
}

// parseFlags reads the -f values; each may itself be a comma-separated list.
func parseFlags(values []string) (flagFilter, error) {
	var f flagFilter
	for _, v := range values {
		for _, name := range strings.Split(v, ",") {
			name = strings.TrimSpace(name)
			bits, ok := openFlags[name]
			if !ok {
				return flagFilter{}, fmt.Errorf("invalid flag %q: want an open flag such as O_WRONLY or O_CREAT", name)
			}
			if name == "O_RDONLY" {
				f.rdonly = true
			}
			f.any |= bits
		}
	}
	return f, nil
}
