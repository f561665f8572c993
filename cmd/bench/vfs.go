package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

const vfsIOSize = 4

// vfsStorm writes and reads 4 bytes at the start of a file under /var/tmp, in turn, from a
// thread of a unique name: every call is one VFS read or write served from the page cache.
// The file's name fits the 32 bytes of a dentry's inline name, which is what fsslower prints.
func vfsStorm(string) (*workload, error) {
	comm := uniqueName("bbvfs_")
	name := "bpfutils-bench-" + comm
	path := filepath.Join(dioDir, name)
	if err := os.WriteFile(path, make([]byte, vfsIOSize), 0o600); err != nil {
		return nil, err
	}
	commField, nameField := []byte(" "+comm+" "), []byte(" "+name)
	return &workload{
		cleanup: func() { os.Remove(path) },
		run: func(events, rate int) error {
			return onNamedThread(comm, func() error {
				fd, err := unix.Open(path, unix.O_RDWR|unix.O_CLOEXEC, 0)
				if err != nil {
					return err
				}
				defer unix.Close(fd)
				buf := make([]byte, vfsIOSize)
				p := newPacer(rate)
				for i := 0; i < events; i++ {
					p.wait(i)
					var n int
					if i%2 == 0 {
						buf[0] = byte(i)
						n, err = unix.Pwrite(fd, buf, 0)
					} else {
						n, err = unix.Pread(fd, buf, 0)
					}
					if err != nil {
						return err
					}
					if n != vfsIOSize {
						return fmt.Errorf("%s: %d bytes of %d", path, n, vfsIOSize)
					}
				}
				return nil
			})
		},
		// fsslower: "TIME COMM PID T BYTES OFF_KB LAT(ms) FILENAME", T R or W (the open is O)
		match: func(line []byte) bool {
			if !bytes.HasSuffix(line, nameField) {
				return false
			}
			i := bytes.Index(line, commField)
			if i < 0 {
				return false
			}
			f := bytes.Fields(line[i+len(commField):])
			return len(f) > 1 && (string(f[1]) == "R" || string(f[1]) == "W")
		},
		jsonMatch: func(line []byte) bool {
			return jsonHas(`"comm":"`+comm+`"`, `"file":"`+name+`"`)(line) &&
				(bytes.Contains(line, []byte(`"op":"read"`)) || bytes.Contains(line, []byte(`"op":"write"`)))
		},
		comm: comm, path: path,
	}, nil
}

// fsType names the filesystem dir is on as fsslower's -t does, for the magics of the
// filesystems it knows; ext4 if dir's is another.
func fsType(dir string) string {
	var st unix.Statfs_t
	if unix.Statfs(dir, &st) != nil {
		return "ext4"
	}
	switch uint64(st.Type) {
	case unix.XFS_SUPER_MAGIC:
		return "xfs"
	case unix.BTRFS_SUPER_MAGIC:
		return "btrfs"
	case unix.F2FS_SUPER_MAGIC:
		return "f2fs"
	case unix.FUSE_SUPER_MAGIC:
		return "fuse"
	case unix.NFS_SUPER_MAGIC:
		return "nfs"
	case unix.BCACHEFS_SUPER_MAGIC:
		return "bcachefs"
	}
	return "ext4"
}

// vfsstatTotal adds up the READ/s and WRITE/s columns of vfsstat's interval lines
// ("HH:MM:SS:  READ WRITE FSYNC ..."): with the default interval of a second, the reads and
// writes it counted.
func vfsstatTotal(out string) int {
	total := 0
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) < 3 || !strings.HasSuffix(f[0], ":") || strings.Count(f[0], ":") != 3 {
			continue
		}
		r, err1 := strconv.Atoi(f[1])
		w, err2 := strconv.Atoi(f[2])
		if err1 == nil && err2 == nil {
			total += r + w
		}
	}
	return total
}

// jsonVfsstatTotal is vfsstatTotal for --json: read_per_sec and write_per_sec of the table
// lines.
func jsonVfsstatTotal(out string) int {
	total := 0
	for _, line := range strings.Split(out, "\n") {
		var row struct {
			Type  string `json:"type"`
			Read  *int   `json:"read_per_sec"`
			Write *int   `json:"write_per_sec"`
		}
		if json.Unmarshal([]byte(line), &row) != nil || row.Type != "table" || row.Read == nil || row.Write == nil {
			continue
		}
		total += *row.Read + *row.Write
	}
	return total
}
