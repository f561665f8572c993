// Package loadavg reads the load averages that oomkill and the top-style tools print after
// "loadavg: ".
package loadavg

import (
	"bytes"
	"os"
)

// path is the file read; a variable for the tests.
var path = "/proc/loadavg"

// Read returns /proc/loadavg as the kernel writes it, without its newline ("0.01 0.05 0.00
// 1/123 4567"); ok is false when it cannot be read or is empty.
func Read() (line []byte, ok bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, false
	}
	b = bytes.TrimRight(b, "\n")
	return b, len(b) > 0
}
