package dentrypath

import (
	"bytes"
	"testing"
)

func TestAppend(t *testing.T) {
	for _, tc := range []struct {
		names string
		state State
		want  string
	}{
		{"", Complete, "/"},
		{"", Partial, ""},
		{"tmp\x00", Complete, "/tmp"},
		{"lib\x00usr\x00", Complete, "/usr/lib"},
		{"c\x00b\x00a\x00", Partial, "a/b/c"},
		{"c\x00b\x00a", Complete, "/a/b/c"}, // the last NUL may be missing
		{"name with space\x00home\x00", Complete, "/home/name with space"},
	} {
		got := string(Append([]byte("x:"), []byte(tc.names), tc.state))
		if got != "x:"+tc.want {
			t.Errorf("Append(%q, %d) = %q, want %q", tc.names, tc.state, got, "x:"+tc.want)
		}
	}
}

func TestJoin(t *testing.T) {
	for _, tc := range []struct {
		names, rel string
		state      State
		want       string
	}{
		{"", "etc/passwd", Complete, "/etc/passwd"},
		{"tmp\x00", "f", Complete, "/tmp/f"},
		{"b\x00a\x00", "../f", Complete, "/a/b/../f"},
		{"b\x00a\x00", "f", Partial, "a/b/f"},
		{"", "f", Partial, "f"},
	} {
		got := string(Join(nil, []byte(tc.names), tc.state, []byte(tc.rel)))
		if got != tc.want {
			t.Errorf("Join(%q, %d, %q) = %q, want %q", tc.names, tc.state, tc.rel, got, tc.want)
		}
	}
}

func TestSplit(t *testing.T) {
	for _, tc := range []struct {
		trailer         string
		nameLen, dirLen int
		name, dir       string
		ok              bool
	}{
		{"f\x00tmp\x00", 2, 4, "f", "tmp\x00", true},
		{"f\x00tmp\x00junk", 2, 4, "f", "tmp\x00", true},
		{"ab\x00\x00", 4, 0, "ab", "", true},
		{"f\x00tmp\x00", 2, 5, "", "", false},
		{"", 0, 0, "", "", true},
	} {
		name, dir, ok := Split([]byte(tc.trailer), tc.nameLen, tc.dirLen)
		if string(name) != tc.name || string(dir) != tc.dir || ok != tc.ok {
			t.Errorf("Split(%q, %d, %d) = %q, %q, %v; want %q, %q, %v", tc.trailer, tc.nameLen, tc.dirLen, name, dir, ok, tc.name, tc.dir, tc.ok)
		}
	}
}

// FuzzAppend: whatever BPF hands over, Append keeps every name, in reverse order, and adds
// nothing but slashes.
func FuzzAppend(f *testing.F) {
	f.Add([]byte("lib\x00usr\x00"), uint32(1))
	f.Add([]byte("\x00\x00"), uint32(2))
	f.Fuzz(func(t *testing.T, names []byte, state uint32) {
		if bytes.IndexByte(names, '/') >= 0 {
			return
		}
		parts := bytes.Split(bytes.TrimSuffix(names, []byte{0}), []byte{0})
		var want []byte
		for i := len(parts) - 1; i >= 0; i-- {
			want = append(want, parts[i]...)
		}
		out := Append(nil, names, State(state))
		if got := bytes.ReplaceAll(out, []byte{'/'}, nil); !bytes.Equal(got, want) {
			t.Fatalf("Append(%q) = %q: names %q, want %q", names, out, got, want)
		}
	})
}
