// Package filter parses user-supplied filter values into the forms the
// BPF programs compare against, with one clear error per bad input.
package filter

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// maxPID is the kernel's PID_MAX_LIMIT, the largest pid_max can be set to.
const maxPID = 4 << 20

// PID parses a process or thread ID; flag names the option ("pid",
// "tid") so the error points at the right one.
func PID(flag, s string) (uint32, error) {
	n, err := strconv.ParseUint(s, 10, 64)
	if errors.Is(err, strconv.ErrRange) || n > maxPID {
		return 0, fmt.Errorf("invalid %s %q: must be at most %d", strings.ToUpper(flag), s, maxPID)
	}
	if err != nil || n == 0 {
		return 0, fmt.Errorf("invalid %s %q: must be a positive integer", strings.ToUpper(flag), s)
	}
	return uint32(n), nil
}

// UID parses a user ID. 2^32-1 is excluded because the kernel reserves
// it as the invalid (-1) ID.
func UID(s string) (uint32, error) {
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil || n == math.MaxUint32 {
		return 0, fmt.Errorf("invalid UID %q: must be an integer from 0 to %d", s, uint32(math.MaxUint32-1))
	}
	return uint32(n), nil
}

// Comm returns s as the kernel stores a task name: at most 15 bytes and
// always NUL-terminated, so a longer name matches its truncated form.
func Comm(s string) [16]byte {
	var b [16]byte
	copy(b[:len(b)-1], s)
	return b
}

// CommBytes returns the task name held in b, which is NUL-padded, without copying it.
func CommBytes(b []byte) []byte {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return b[:i]
	}
	return b
}

// CommString returns the task name held in b, which is NUL-padded.
func CommString(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

// Cgroup opens a cgroup v2 directory for a BPF cgroup-filter map. The
// caller owns the returned fd.
func Cgroup(path string) (fd int, err error) {
	fd, err = unix.Open(path, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	switch {
	case errors.Is(err, unix.ENOENT):
		return -1, fmt.Errorf("cgroup %s: no such directory", path)
	case errors.Is(err, unix.ENOTDIR):
		return -1, fmt.Errorf("not a cgroup v2 directory: %s", path)
	case err != nil:
		return -1, fmt.Errorf("cgroup %s: %w", path, err)
	}
	// A v1 hierarchy opens fine but its IDs mean nothing to the BPF helpers.
	var st unix.Statfs_t
	if err := unix.Fstatfs(fd, &st); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("cgroup %s: %w", path, err)
	}
	if st.Type != unix.CGROUP2_SUPER_MAGIC {
		unix.Close(fd)
		return -1, fmt.Errorf("not a cgroup v2 directory: %s", path)
	}
	return fd, nil
}

// Positive parses a positional count, interval or duration; name is
// what the value is called in the error.
func Positive(name, s string) (int, error) {
	n, err := strconv.ParseUint(s, 10, strconv.IntSize-1)
	if errors.Is(err, strconv.ErrRange) {
		return 0, fmt.Errorf("invalid %s %q: must be at most %d", name, s, math.MaxInt)
	}
	if err != nil || n == 0 {
		return 0, fmt.Errorf("invalid %s %q: must be a positive integer", name, s)
	}
	return int(n), nil
}

// CommaPIDs parses a comma-separated PID list such as "1,2,3".
func CommaPIDs(s string) ([]uint32, error) { return CommaIDs("pid", s, 0) }

// CommaIDs parses a comma-separated list of process or thread IDs (flag "pid" or "tid", as
// for PID) of at most max entries (0: no limit), the size of the tool's BPF filter map.
func CommaIDs(flag, s string, max int) ([]uint32, error) {
	parts := strings.Split(s, ",")
	if max > 0 && len(parts) > max {
		return nil, fmt.Errorf("too many %ss in %q: at most %d", strings.ToUpper(flag), s, max)
	}
	ids := make([]uint32, 0, len(parts))
	for _, p := range parts {
		id, err := PID(flag, p)
		if err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// CPU parses a CPU number for the tools that watch one CPU; ncpu is how many CPUs the machine
// can have (0: unknown, no upper bound checked).
func CPU(s string, ncpu int) (int, error) {
	n, err := strconv.ParseUint(s, 10, 31)
	if err != nil {
		return 0, fmt.Errorf("invalid cpu: %s", s)
	}
	if ncpu > 0 && int(n) >= ncpu {
		return 0, fmt.Errorf("cpu %d out of range, system has %d CPUs (0-%d)", n, ncpu, ncpu-1)
	}
	return int(n), nil
}
