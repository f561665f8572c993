package loadavg

import (
	"time"

	"github.com/bpfutils/bpfutils/pkg/render"
)

// ClearScreen is what clear(1) writes on the terminals that libbpf-tools' system("clear") meets.
const ClearScreen = "\x1b[H\x1b[2J\x1b[3J"

// Heading starts a report of a top-style tool in text (nothing in JSON): the screen cleared
// unless noClear, then "HH:MM:SS loadavg: <the /proc/loadavg line>" and the empty line that
// libbpf-tools prints since it keeps the file's newline.
func Heading(out *render.Sink, noClear bool, now time.Time) {
	if !out.Text() {
		return
	}
	if !noClear {
		out.Printf("%s", ClearScreen)
	}
	if load, ok := Read(); ok {
		out.Printf("%8s loadavg: %s\n\n", now.Format("15:04:05"), render.Escape(string(load)))
	}
}
