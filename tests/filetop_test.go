package tests

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// The file-IO workload is this test binary run again under a name of the test's choosing,
// told by BPFU_FILEIO_WORKLOAD to read and write files instead of testing. It runs in init, on
// the main thread, so its thread id is its pid.
func init() {
	if os.Getenv("BPFU_FILEIO_WORKLOAD") != "" {
		os.Exit(fileIOWorkload(os.Args[1:]))
	}
}

// fileIOWorkload prints its pid and waits for a line on stdin, then runs groups of
// "op path count size": op is read, pread, write or pwrite; each of the count calls moves
// size bytes (reads start at the file's beginning, writes create or truncate it). The op
// dontneed drops the file's pages from the page cache (count and size unused).
func fileIOWorkload(args []string) int {
	fmt.Printf("%d\n", os.Getpid())
	bufio.NewReader(os.Stdin).ReadString('\n')
	for ; len(args) >= 4; args = args[4:] {
		op, path := args[0], args[1]
		count, _ := strconv.Atoi(args[2])
		size, _ := strconv.Atoi(args[3])
		if op == "dontneed" {
			// Drops this file's pages from the page cache, and no other file's.
			fd, err := unix.Open(path, unix.O_RDONLY, 0)
			if err == nil {
				err = unix.Fadvise(fd, 0, 0, unix.FADV_DONTNEED)
				unix.Close(fd)
			}
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
			continue
		}
		flags := unix.O_RDONLY
		if strings.Contains(op, "write") {
			flags = unix.O_WRONLY | unix.O_CREAT | unix.O_TRUNC
		}
		fd, err := unix.Open(path, flags, 0o644)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		buf := make([]byte, size)
		for i := 0; i < count; i++ {
			var n int
			off := int64(i * size)
			switch op {
			case "read":
				n, err = unix.Read(fd, buf)
			case "pread":
				n, err = unix.Pread(fd, buf, off)
			case "write":
				n, err = unix.Write(fd, buf)
			case "pwrite":
				n, err = unix.Pwrite(fd, buf, off)
			}
			if err != nil || n != size {
				fmt.Fprintf(os.Stderr, "%s %s: %d bytes: %v\n", op, path, n, err)
				return 1
			}
		}
		unix.Close(fd)
	}
	return 0
}

// fileIO is a started file-IO workload, waiting for go.
type fileIO struct {
	w    *workload
	name string
}

func startFileIO(t *testing.T, prefix string, args ...string) *fileIO {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	name := workloadName(prefix)
	// The kernel names a task after the path it was exec'd by, so a symlink is enough.
	prog := filepath.Join(t.TempDir(), name)
	if err := os.Symlink(self, prog); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(prog, args...)
	cmd.Env = append(os.Environ(), "BPFU_FILEIO_WORKLOAD=1")
	cmd.Stderr = os.Stderr
	w := startWorkload(t, cmd, name)
	if pid := w.line(); pid != strconv.Itoa(w.pid) {
		t.Fatalf("workload said %q", pid)
	}
	return &fileIO{w: w, name: name}
}

// run lets the workload work and waits for it to finish.
func (f *fileIO) run() {
	f.w.t.Helper()
	f.w.stdin.Write([]byte("go\n"))
	if err := f.w.cmd.Wait(); err != nil {
		f.w.t.Fatalf("workload %s: %v", f.name, err)
	}
}

// fileRow is what filetop reported for one thread and file, added up over its reports.
type fileRow struct {
	reads, writes, rkb, wkb uint64
	typ                     string
}

// filetopRows parses filetop -C text: the rows of every report, added up by "tid comm file",
// checking each line's layout; it also returns each report's rows in order.
func filetopRows(t *testing.T, out string) (map[string]*fileRow, [][][]string) {
	t.Helper()
	sum := map[string]*fileRow{}
	var reports [][][]string
	lines := strings.Split(out, "\n")
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		switch {
		case l == "":
		case strings.Contains(l, " loadavg: "):
			if _, err := fmt.Sscanf(l[:8], "%d:%d:%d", new(int), new(int), new(int)); err != nil || len(fields(l)) != 7 || lines[i+1] != "" {
				t.Errorf("bad report heading %q", l)
			}
		case l == "TID     COMM             READS  WRITES R_Kb    W_Kb    T FILE":
			reports = append(reports, nil)
		default:
			f := fields(l)
			if len(reports) == 0 || len(f) < 7 {
				t.Fatalf("bad row %q\n%s", l, out)
			}
			file := strings.Join(f[7:], " ") // pipes and sockets have no name
			if l != fmt.Sprintf("%-7s %-16s %-6s %-6s %-7s %-7s %s %s", f[0], f[1], f[2], f[3], f[4], f[5], f[6], file) {
				t.Fatalf("bad row layout %q", l)
			}
			var n [4]uint64
			for j := range n {
				v, err := strconv.ParseUint(f[2+j], 10, 64)
				if err != nil {
					t.Fatalf("bad row %q", l)
				}
				n[j] = v
			}
			k := f[0] + " " + f[1] + " " + file
			if sum[k] == nil {
				sum[k] = &fileRow{typ: f[6]}
			}
			r := sum[k]
			r.reads, r.writes, r.rkb, r.wkb = r.reads+n[0], r.writes+n[1], r.rkb+n[2], r.wkb+n[3]
			reports[len(reports)-1] = append(reports[len(reports)-1], f)
		}
	}
	return sum, reports
}

// A reader and a writer of known files: 6 reads (4 read + 2 pread) of 8 KiB, 5 writes
// (3 write + 2 pwrite) of 4 KiB, and with -a writes to /dev/null that only -a shows.
func fileTopWorkloads(t *testing.T) (reader, writer *fileIO, readPath, writePath string) {
	dir := t.TempDir()
	readPath = filepath.Join(dir, fmt.Sprintf("bpfu-ftr-%d", os.Getpid()))
	writePath = filepath.Join(dir, fmt.Sprintf("bpfu-ftw-%d", os.Getpid()))
	if err := os.WriteFile(readPath, make([]byte, 64<<10), 0o644); err != nil {
		t.Fatal(err)
	}
	reader = startFileIO(t, "bpfu-ftr", "read", readPath, "4", "8192", "pread", readPath, "2", "8192")
	writer = startFileIO(t, "bpfu-ftw", "write", writePath, "3", "4096", "pwrite", writePath, "2", "4096",
		"write", "/dev/null", "7", "100")
	return reader, writer, readPath, writePath
}

func TestFiletop(t *testing.T) {
	reader, writer, readPath, writePath := fileTopWorkloads(t)
	all := start(t, "filetop", "-C", "-a", "-r", "10240", "-s", "rbytes", "1")
	onlyReader := start(t, "filetop", "-C", "-p", strconv.Itoa(reader.w.pid), "1")
	reader.run()
	writer.run()
	out := all.stop()
	rows, reports := filetopRows(t, out)

	rk := fmt.Sprintf("%d %s %s", reader.w.pid, reader.name, filepath.Base(readPath))
	if r := rows[rk]; r == nil || r.reads != 6 || r.rkb != 48 || r.writes != 0 || r.wkb != 0 || r.typ != "R" {
		t.Errorf("reader: want 6 reads, 48 KB of a regular file, got %+v\n%s", r, out)
	}
	wk := fmt.Sprintf("%d %s %s", writer.w.pid, writer.name, filepath.Base(writePath))
	if r := rows[wk]; r == nil || r.writes != 5 || r.wkb != 20 || r.reads != 0 || r.typ != "R" {
		t.Errorf("writer: want 5 writes, 20 KB of a regular file, got %+v\n%s", r, out)
	}
	// -a: the character device is shown too, as "other".
	nk := fmt.Sprintf("%d %s null", writer.w.pid, writer.name)
	if r := rows[nk]; r == nil || r.writes != 7 || r.wkb != 0 || r.typ != "O" {
		t.Errorf("-a: want 7 writes to /dev/null of type O, got %+v\n%s", r, out)
	}
	// -s rbytes: most kilobytes read first.
	for _, rep := range reports {
		for i := 1; i < len(rep); i++ {
			a, _ := strconv.ParseUint(rep[i-1][4], 10, 64)
			b, _ := strconv.ParseUint(rep[i][4], 10, 64)
			if a < b {
				t.Errorf("-s rbytes: %q before %q", rep[i-1], rep[i])
			}
		}
	}

	out = onlyReader.stop()
	rows, _ = filetopRows(t, out)
	if rows[rk] == nil || rows[rk].reads != 6 {
		t.Errorf("-p %d: reader's row missing\n%s", reader.w.pid, out)
	}
	for k := range rows {
		// Keyed by thread: the reader's other threads would pass -p, but every one has its comm.
		if f := fields(k); len(f) < 2 || f[1] != reader.name {
			t.Errorf("-p %d: a row of another process: %s", reader.w.pid, k)
		}
		if strings.HasSuffix(k, " null") {
			t.Errorf("without -a: a row of /dev/null")
		}
	}
}

// TestFiletopCount: with [interval] [count], filetop ends by itself after count reports,
// clearing the screen before each unless -C, and -r caps the rows.
func TestFiletopCount(t *testing.T) {
	out, stderr, code := runTool(t, "filetop", "-r", "1", "1", "2")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if n := strings.Count(out, "\x1b[H\x1b[2J"); n != 2 {
		t.Errorf("want 2 screen clears, got %d", n)
	}
	_, reports := filetopRows(t, strings.ReplaceAll(out, "\x1b[H\x1b[2J\x1b[3J", ""))
	if len(reports) != 2 {
		t.Errorf("want 2 reports, got %d\n%s", len(reports), out)
	}
	for _, r := range reports {
		if len(r) > 1 {
			t.Errorf("-r 1: a report of %d rows", len(r))
		}
	}
}

func TestFiletopJSON(t *testing.T) {
	reader, writer, readPath, writePath := fileTopWorkloads(t)
	p := start(t, "filetop", "--json", "-r", "10240", "1")
	reader.run()
	writer.run()
	out := p.stop()
	lines := jsonLines(t, "filetop", out)
	type sums struct{ reads, writes, rbytes, wbytes float64 }
	got := map[string]*sums{}
	for _, r := range ofType(lines, "table") {
		if r["tid"] == nil || r["pid"] == nil || r.str("comm") == "" || r.str("file_type") == "" || r["read_bytes"] == nil {
			t.Errorf("bad row %v", r)
		}
		if r.num("pid") != float64(reader.w.pid) && r.num("pid") != float64(writer.w.pid) {
			continue
		}
		k := r.str("comm") + " " + r.str("file")
		if got[k] == nil {
			got[k] = &sums{}
		}
		if r.str("file_type") != "R" {
			t.Errorf("without -a: %v", r)
		}
		s := got[k]
		s.reads, s.writes, s.rbytes, s.wbytes = s.reads+r.num("reads"), s.writes+r.num("writes"), s.rbytes+r.num("read_bytes"), s.wbytes+r.num("write_bytes")
	}
	if s := got[reader.name+" "+filepath.Base(readPath)]; s == nil || *s != (sums{reads: 6, rbytes: 6 * 8192}) {
		t.Errorf("reader: %+v, want 6 reads of 49152 bytes\n%s", s, out)
	}
	if s := got[writer.name+" "+filepath.Base(writePath)]; s == nil || *s != (sums{writes: 5, wbytes: 5 * 4096}) {
		t.Errorf("writer: %+v, want 5 writes of 20480 bytes", s)
	}
	if s := got[writer.name+" null"]; s != nil {
		t.Errorf("without -a: /dev/null reported: %+v", s)
	}
}

func TestFiletopBadInput(t *testing.T) {
	badInput(t, "filetop", "invalid PID", "-p", "0")
	badInput(t, "filetop", "invalid sort method: bytes", "-s", "bytes")
	badInput(t, "filetop", "invalid rows", "-r", "0")
	badInput(t, "filetop", "invalid rows", "-r", "many")
	badInput(t, "filetop", "interval", "0")
	badInput(t, "filetop", "count", "1", "-1")
	badInput(t, "filetop", "unrecognized positional argument", "1", "2", "3")
	badInput(t, "filetop", "flag provided but not defined", "--bogus")
}
