package filter

import (
	"bufio"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestPID(t *testing.T) {
	tests := []struct {
		flag, in string
		want     uint32
		wantErr  string
	}{
		{"pid", "1", 1, ""},
		{"pid", "4194304", 4194304, ""},
		{"tid", "0042", 42, ""},
		{"pid", "abc", 0, `invalid PID "abc": must be a positive integer`},
		{"tid", "abc", 0, `invalid TID "abc": must be a positive integer`},
		{"pid", "0", 0, `invalid PID "0": must be a positive integer`},
		{"pid", "-1", 0, `invalid PID "-1": must be a positive integer`},
		{"pid", "+1", 0, `invalid PID "+1": must be a positive integer`},
		{"pid", " 1", 0, `invalid PID " 1": must be a positive integer`},
		{"pid", "0x10", 0, `invalid PID "0x10": must be a positive integer`},
		{"pid", "1_000", 0, `invalid PID "1_000": must be a positive integer`},
		{"pid", "", 0, `invalid PID "": must be a positive integer`},
		{"pid", "4194305", 0, `invalid PID "4194305": must be at most 4194304`},
		{"pid", "99999999999999999999999", 0, `invalid PID "99999999999999999999999": must be at most 4194304`},
	}
	for _, tt := range tests {
		got, err := PID(tt.flag, tt.in)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("PID(%q, %q) error = %v, want %q", tt.flag, tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("PID(%q, %q) = %d, %v; want %d", tt.flag, tt.in, got, err, tt.want)
		}
	}
}

func TestUID(t *testing.T) {
	const bad = `: must be an integer from 0 to 4294967294`
	tests := []struct {
		in      string
		want    uint32
		wantErr string
	}{
		{"0", 0, ""},
		{"1000", 1000, ""},
		{"4294967294", 4294967294, ""},
		{"4294967295", 0, `invalid UID "4294967295"` + bad},
		{"4294967296", 0, `invalid UID "4294967296"` + bad},
		{"-1", 0, `invalid UID "-1"` + bad},
		{"x", 0, `invalid UID "x"` + bad},
		{"", 0, `invalid UID ""` + bad},
	}
	for _, tt := range tests {
		got, err := UID(tt.in)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("UID(%q) error = %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("UID(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
}

func TestComm(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"", ""},
		{"bash", "bash"},
		{"123456789012345", "123456789012345"},
		{"1234567890123456", "123456789012345"},
		{"kworker/u16:2-events_unbound", "kworker/u16:2-e"},
	}
	for _, tt := range tests {
		b := Comm(tt.in)
		if b[15] != 0 {
			t.Errorf("Comm(%q) not NUL-terminated", tt.in)
		}
		if got := CommString(b[:]); got != tt.want {
			t.Errorf("CommString(Comm(%q)) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCommString(t *testing.T) {
	tests := []struct {
		in   []byte
		want string
	}{
		{nil, ""},
		{[]byte("sshd\x00\x00\x00"), "sshd"},
		{[]byte("ab\x00cd"), "ab"},
		{[]byte("nonul"), "nonul"},
	}
	for _, tt := range tests {
		if got := CommString(tt.in); got != tt.want {
			t.Errorf("CommString(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// cgroup2Mount finds where cgroup v2 is mounted; /sys/fs/cgroup is
// only the usual place, hybrid hosts put it under .../unified.
func cgroup2Mount(t *testing.T) string {
	t.Helper()
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		t.Skip(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		fields := strings.Fields(pre)
		if ok && len(fields) >= 5 && strings.HasPrefix(post, "cgroup2 ") {
			return fields[4]
		}
	}
	t.Skip("no cgroup2 mount")
	return ""
}

func TestCgroup(t *testing.T) {
	mnt := cgroup2Mount(t)
	fd, err := Cgroup(mnt)
	if err != nil {
		t.Fatalf("Cgroup(%s): %v", mnt, err)
	}
	unix.Close(fd)

	file := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path, wantErr string
	}{
		{"/tmp", "not a cgroup v2 directory: /tmp"},
		{file, "not a cgroup v2 directory: " + file},
		{"/nonexistent/cg", "cgroup /nonexistent/cg: no such directory"},
	}
	for _, tt := range tests {
		fd, err := Cgroup(tt.path)
		if err == nil || err.Error() != tt.wantErr {
			t.Errorf("Cgroup(%s) = %d, %v; want error %q", tt.path, fd, err, tt.wantErr)
		}
	}
}

func TestPositive(t *testing.T) {
	tests := []struct {
		name, in string
		want     int
		wantErr  string
	}{
		{"interval", "1", 1, ""},
		{"count", "10", 10, ""},
		{"interval", "0", 0, `invalid interval "0": must be a positive integer`},
		{"count", "-3", 0, `invalid count "-3": must be a positive integer`},
		{"duration", "1.5", 0, `invalid duration "1.5": must be a positive integer`},
		{"interval", "", 0, `invalid interval "": must be a positive integer`},
		{"interval", "99999999999999999999", 0, `invalid interval "99999999999999999999": must be at most ` + strconv.Itoa(math.MaxInt)},
	}
	for _, tt := range tests {
		got, err := Positive(tt.name, tt.in)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("Positive(%q, %q) error = %v, want %q", tt.name, tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("Positive(%q, %q) = %d, %v; want %d", tt.name, tt.in, got, err, tt.want)
		}
	}
}

func TestCommaPIDs(t *testing.T) {
	tests := []struct {
		in      string
		want    []uint32
		wantErr string
	}{
		{"1", []uint32{1}, ""},
		{"1,2,3", []uint32{1, 2, 3}, ""},
		{"", nil, `invalid PID "": must be a positive integer`},
		{"1,,2", nil, `invalid PID "": must be a positive integer`},
		{"1,2,", nil, `invalid PID "": must be a positive integer`},
		{"1, 2", nil, `invalid PID " 2": must be a positive integer`},
		{"1,x", nil, `invalid PID "x": must be a positive integer`},
	}
	for _, tt := range tests {
		got, err := CommaPIDs(tt.in)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("CommaPIDs(%q) error = %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("CommaPIDs(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestCommaIDs(t *testing.T) {
	if got, err := CommaIDs("tid", "7,8", 2); err != nil || !slices.Equal(got, []uint32{7, 8}) {
		t.Errorf("CommaIDs(tid, 7,8, 2) = %v, %v", got, err)
	}
	if _, err := CommaIDs("tid", "1,2,3", 2); err == nil || err.Error() != `too many TIDs in "1,2,3": at most 2` {
		t.Errorf("over the limit: %v", err)
	}
	if _, err := CommaIDs("tid", "1,x", 2); err == nil || err.Error() != `invalid TID "x": must be a positive integer` {
		t.Errorf("bad TID: %v", err)
	}
}

// Accepted input must be plain decimal in range; everything else errors.
func FuzzPID(f *testing.F) {
	for _, s := range []string{"1", "0", "4194304", "4194305", "-1", "+1", "0x1", "1_0", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		pid, err := PID("pid", s)
		if err != nil {
			return
		}
		n, perr := strconv.ParseUint(s, 10, 64)
		if perr != nil || n != uint64(pid) || pid < 1 || pid > 4194304 {
			t.Fatalf("PID(%q) = %d accepted bad input", s, pid)
		}
	})
}

func FuzzPositive(f *testing.F) {
	for _, s := range []string{"1", "0", "-1", "+1", "9223372036854775807", "9223372036854775808", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := Positive("interval", s)
		if err != nil {
			return
		}
		m, perr := strconv.ParseUint(s, 10, 64)
		if perr != nil || n < 1 || uint64(n) != m || strings.ContainsAny(s, "+-_") {
			t.Fatalf("Positive(%q) = %d accepted bad input", s, n)
		}
	})
}

// A successful parse must round-trip through PID one element at a time.
func FuzzCommaPIDs(f *testing.F) {
	for _, s := range []string{"1,2,3", "1", "", ",", "1,,2", "4194304,4194305"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		pids, err := CommaPIDs(s)
		if err != nil {
			return
		}
		parts := strings.Split(s, ",")
		if len(parts) != len(pids) {
			t.Fatalf("CommaPIDs(%q) = %v: %d parts", s, pids, len(parts))
		}
		for i, p := range parts {
			if want, err := PID("pid", p); err != nil || want != pids[i] {
				t.Fatalf("CommaPIDs(%q)[%d] = %d, PID(%q) = %d, %v", s, i, pids[i], p, want, err)
			}
		}
	})
}

func TestCPU(t *testing.T) {
	tests := []struct {
		in      string
		ncpu    int
		want    int
		wantErr string
	}{
		{"0", 2, 0, ""},
		{"1", 2, 1, ""},
		{"7", 0, 7, ""},
		{"2", 2, 0, "cpu 2 out of range, system has 2 CPUs (0-1)"},
		{"-1", 2, 0, "invalid cpu: -1"},
		{"x", 2, 0, "invalid cpu: x"},
		{"", 2, 0, "invalid cpu: "},
		{"99999999999", 0, 0, "invalid cpu: 99999999999"},
	}
	for _, tt := range tests {
		got, err := CPU(tt.in, tt.ncpu)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("CPU(%q, %d) error %v, want %q", tt.in, tt.ncpu, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("CPU(%q, %d) = %d, %v; want %d", tt.in, tt.ncpu, got, err, tt.want)
		}
	}
}

func FuzzCPU(f *testing.F) {
	for _, s := range []string{"0", "1", "-1", "x", "2147483648"} {
		f.Add(s, 4)
	}
	f.Fuzz(func(t *testing.T, s string, ncpu int) {
		n, err := CPU(s, ncpu)
		if err == nil && (n < 0 || (ncpu > 0 && n >= ncpu)) {
			t.Fatalf("CPU(%q, %d) = %d", s, ncpu, n)
		}
	})
}
