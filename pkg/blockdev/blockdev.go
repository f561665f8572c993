// Package blockdev maps disk names to the dev_t values BPF programs see.
package blockdev

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// The kernel's internal dev_t split, which differs from the userspace
// one returned by stat(2); BPF reads the internal form.
const (
	minorBits = 20
	majorBits = 32 - minorBits
)

// MkDev encodes major and minor the way the kernel's MKDEV does.
func MkDev(major, minor uint32) uint32 {
	return major<<minorBits | minor
}

// Table is a snapshot of the block devices listed in /proc/partitions.
type Table struct {
	byName map[string]uint32
	byDev  map[uint32]string
}

// Load reads the running system's /proc/partitions.
func Load() (*Table, error) {
	f, err := os.Open("/proc/partitions")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Parse(f)
}

// Parse reads the /proc/partitions format: a "major minor #blocks name"
// header, then one row per device. Blank lines are ignored.
func Parse(r io.Reader) (*Table, error) {
	t := &Table{byName: map[string]uint32{}, byDev: map[uint32]string{}}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		f := strings.Fields(sc.Text())
		if len(f) == 0 || f[0] == "major" {
			continue
		}
		if len(f) != 4 {
			return nil, fmt.Errorf("partitions line %d: want 4 fields, got %d", n, len(f))
		}
		major, err1 := strconv.ParseUint(f[0], 10, majorBits)
		minor, err2 := strconv.ParseUint(f[1], 10, minorBits)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("partitions line %d: bad device number %s:%s", n, f[0], f[1])
		}
		dev, name := MkDev(uint32(major), uint32(minor)), f[3]
		// Duplicates would make one direction of the mapping ambiguous.
		if _, dup := t.byName[name]; dup {
			return nil, fmt.Errorf("partitions line %d: duplicate name %q", n, name)
		}
		if _, dup := t.byDev[dev]; dup {
			return nil, fmt.Errorf("partitions line %d: duplicate device %s:%s", n, f[0], f[1])
		}
		t.byName[name], t.byDev[dev] = dev, name
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("partitions: %w", err)
	}
	return t, nil
}

// Dev returns the encoded device number of the disk called name.
func (t *Table) Dev(name string) (uint32, bool) {
	dev, ok := t.byName[name]
	return dev, ok
}

// Name returns the disk name for dev, or "" if it is not listed.
func (t *Table) Name(dev uint32) string {
	return t.byDev[dev]
}

// Lookup resolves a user-supplied disk: a name, with or without "/dev/", or MAJ:MIN as lsblk
// and /sys/dev/block show it.
func (t *Table) Lookup(name string) (uint32, error) {
	if dev, ok := t.Dev(strings.TrimPrefix(name, "/dev/")); ok {
		return dev, nil
	}
	if maj, min, ok := strings.Cut(name, ":"); ok {
		major, err1 := strconv.ParseUint(maj, 10, 32)
		minor, err2 := strconv.ParseUint(min, 10, 32)
		if err1 != nil || err2 != nil || major >= 1<<12 || minor >= 1<<20 {
			return 0, fmt.Errorf("invalid disk %q: MAJ:MIN takes a major below 4096 and a minor below 1048576", name)
		}
		dev := MkDev(uint32(major), uint32(minor))
		if _, ok := t.byDev[dev]; !ok {
			return 0, fmt.Errorf("unknown disk %q: no device %d:%d in /proc/partitions", name, major, minor)
		}
		return dev, nil
	}
	return 0, fmt.Errorf("unknown disk %q (not in /proc/partitions)", name)
}

// Unknown is what the tools print for a device /proc/partitions does not list.
const Unknown = "Unknown"

// Label returns the name to print for dev: its disk name, or Unknown.
func (t *Table) Label(dev uint32) string {
	if name, ok := t.byDev[dev]; ok {
		return name
	}
	return Unknown
}

// Filter resolves the -d DISK option of the block tools: on is false when name is empty
// (trace every disk), else dev is the disk's device number.
func (t *Table) Filter(name string) (dev uint32, on bool, err error) {
	if name == "" {
		return 0, false, nil
	}
	dev, err = t.Lookup(name)
	return dev, err == nil, err
}

// First returns the name that sorts first, or "" for an empty table.
func (t *Table) First() string {
	first := ""
	for name := range t.byName {
		if first == "" || name < first {
			first = name
		}
	}
	return first
}
