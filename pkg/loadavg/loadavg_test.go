package loadavg

import (
	"os"
	"path/filepath"
	"testing"
)

func TestRead(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, content, want string
		ok                  bool
	}{
		{"normal", "0.52 0.58 0.59 2/1024 31337\n", "0.52 0.58 0.59 2/1024 31337", true},
		{"no newline", "1.00 2.00 3.00 1/1 1", "1.00 2.00 3.00 1/1 1", true},
		{"empty", "", "", false},
	} {
		path = filepath.Join(dir, tc.name)
		if err := os.WriteFile(path, []byte(tc.content), 0o644); err != nil {
			t.Fatal(err)
		}
		got, ok := Read()
		if string(got) != tc.want || ok != tc.ok {
			t.Errorf("%s: Read() = %q, %v; want %q, %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
	path = filepath.Join(dir, "missing")
	if _, ok := Read(); ok {
		t.Error("a missing file reads as ok")
	}
}
