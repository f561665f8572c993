package stacks

import (
	"fmt"
	"io"

	"github.com/bpfutils/bpfutils/pkg/render"
)

// WriteUnder prints an entry's stacks under the event line they belong to, as libbpf-tools'
// capable does: kernel frames, user frames, then the "-" comm (pid) line, with no value and no
// empty line after it.
func (s *Style) WriteUnder(w io.Writer, e *Entry) {
	idx := 0
	if e.Kernel.State != Absent {
		s.writeSide(w, &e.Kernel, true, &idx)
	}
	if e.User.State != Absent {
		s.writeSide(w, &e.User, false, &idx)
	}
	fmt.Fprintf(w, "    %-16s %s (%d)\n", "-", s.text(e.Comm), e.PID)
}

// SidesJSON writes an entry's stacks as members of a JSON object, as a "stack" line has them:
// "user" and "kernel" arrays of frames, innermost first, left out when not taken, null with
// "<side>_missed": true when lost.
func SidesJSON(j *render.JSON, e *Entry) {
	writeSide(j, "user", &e.User, false)
	writeSide(j, "kernel", &e.Kernel, true)
}
