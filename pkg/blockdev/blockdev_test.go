package blockdev

import (
	"os"
	"strings"
	"testing"
)

func TestMkDev(t *testing.T) {
	tests := []struct {
		major, minor, want uint32
	}{
		{0, 0, 0},
		{8, 0, 0x800000},
		{8, 1, 0x800001},
		{259, 3, 259<<20 | 3},
		{4095, 1<<20 - 1, 0xffffffff},
	}
	for _, tt := range tests {
		if got := MkDev(tt.major, tt.minor); got != tt.want {
			t.Errorf("MkDev(%d, %d) = %#x, want %#x", tt.major, tt.minor, got, tt.want)
		}
	}
}

func loadFixture(t *testing.T) *Table {
	t.Helper()
	f, err := os.Open("testdata/partitions")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tab, err := Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

func TestTable(t *testing.T) {
	tab := loadFixture(t)
	tests := []struct {
		name string
		dev  uint32
	}{
		{"sda", MkDev(8, 0)},
		{"sda2", MkDev(8, 2)},
		{"nvme0n1p1", MkDev(259, 1)},
		{"dm-0", MkDev(253, 0)},
		{"mmcblk0", MkDev(179, 524287)},
	}
	for _, tt := range tests {
		if dev, ok := tab.Dev(tt.name); !ok || dev != tt.dev {
			t.Errorf("Dev(%q) = %#x, %v; want %#x, true", tt.name, dev, ok, tt.dev)
		}
		if got := tab.Name(tt.dev); got != tt.name {
			t.Errorf("Name(%#x) = %q, want %q", tt.dev, got, tt.name)
		}
	}
	if dev, ok := tab.Dev("sdz"); ok {
		t.Errorf("Dev(sdz) = %#x, true; want not found", dev)
	}
	if got := tab.Name(MkDev(8, 9)); got != "" {
		t.Errorf("Name(8:9) = %q, want empty", got)
	}
}

func TestLookup(t *testing.T) {
	tab := loadFixture(t)
	tests := []struct {
		in      string
		want    uint32
		wantErr string
	}{
		{"sda1", MkDev(8, 1), ""},
		{"/dev/nvme0n1", MkDev(259, 0), ""},
		{"sdz", 0, `unknown disk "sdz" (not in /proc/partitions)`},
		{"/dev/sdz", 0, `unknown disk "/dev/sdz" (not in /proc/partitions)`},
		{"dev/sda", 0, `unknown disk "dev/sda" (not in /proc/partitions)`},
		{"", 0, `unknown disk "" (not in /proc/partitions)`},
	}
	for _, tt := range tests {
		got, err := tab.Lookup(tt.in)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("Lookup(%q) error = %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("Lookup(%q) = %#x, %v; want %#x", tt.in, got, err, tt.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, in, wantErr string
	}{
		{"short row", "major minor  #blocks  name\n\n 8 0 100\n", "partitions line 3: want 4 fields, got 3"},
		{"bad major", "x 0 1 sda\n", "partitions line 1: bad device number x:0"},
		{"major too big", "4096 0 1 sda\n", "partitions line 1: bad device number 4096:0"},
		{"minor too big", "8 1048576 1 sda\n", "partitions line 1: bad device number 8:1048576"},
		{"negative", "-8 0 1 sda\n", "partitions line 1: bad device number -8:0"},
		{"dup name", "8 0 1 sda\n8 1 1 sda\n", `partitions line 2: duplicate name "sda"`},
		{"dup dev", "8 0 1 sda\n8 0 1 sdb\n", "partitions line 2: duplicate device 8:0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tt.in))
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("Parse error = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestParseEmpty(t *testing.T) {
	for _, in := range []string{"", "major minor  #blocks  name\n\n"} {
		tab, err := Parse(strings.NewReader(in))
		if err != nil {
			t.Fatalf("Parse(%q): %v", in, err)
		}
		if _, err := tab.Lookup("sda"); err == nil {
			t.Errorf("Parse(%q): empty table resolved sda", in)
		}
	}
}

func TestLoad(t *testing.T) {
	if _, err := os.Stat("/proc/partitions"); err != nil {
		t.Skip("no /proc/partitions")
	}
	if _, err := Load(); err != nil {
		t.Fatal(err)
	}
}

// Any input must either fail cleanly or yield a table whose two
// directions agree.
func FuzzParse(f *testing.F) {
	if b, err := os.ReadFile("testdata/partitions"); err == nil {
		f.Add(string(b))
	}
	f.Add("8 0 1 sda\n8 0 1 sda\n")
	f.Add("major minor\n\n4095 1048575 0 x")
	f.Fuzz(func(t *testing.T, in string) {
		tab, err := Parse(strings.NewReader(in))
		if err != nil {
			return
		}
		for name, dev := range tab.byName {
			if got := tab.Name(dev); got != name {
				t.Fatalf("Name(Dev(%q)) = %q", name, got)
			}
		}
		if len(tab.byName) != len(tab.byDev) {
			t.Fatalf("%d names but %d devices", len(tab.byName), len(tab.byDev))
		}
	})
}

func TestLabelAndFilter(t *testing.T) {
	tab := loadFixture(t)
	if got := tab.Label(MkDev(8, 1)); got != "sda1" {
		t.Errorf("Label(8:1) = %q", got)
	}
	if got := tab.Label(MkDev(8, 9)); got != Unknown {
		t.Errorf("Label(8:9) = %q, want %q", got, Unknown)
	}
	if dev, on, err := tab.Filter(""); dev != 0 || on || err != nil {
		t.Errorf("Filter(\"\") = %#x, %v, %v; want no filter", dev, on, err)
	}
	if dev, on, err := tab.Filter("/dev/sda"); dev != MkDev(8, 0) || !on || err != nil {
		t.Errorf("Filter(/dev/sda) = %#x, %v, %v", dev, on, err)
	}
	if _, on, err := tab.Filter("sdz"); on || err == nil {
		t.Errorf("Filter(sdz) = %v, %v; want an error", on, err)
	}
}

func TestLookupMajMin(t *testing.T) {
	tab, err := Parse(strings.NewReader("major minor  #blocks  name\n 254 0 1000 vda\n 8 16 10 sdb\n"))
	if err != nil {
		t.Fatal(err)
	}
	if dev, err := tab.Lookup("254:0"); err != nil || dev != MkDev(254, 0) {
		t.Errorf("254:0 = %d, %v", dev, err)
	}
	for _, bad := range []string{"254:1", "8:", ":16", "x:y", "9999:0", "-1:0"} {
		if _, err := tab.Lookup(bad); err == nil || strings.Contains(err.Error(), "\n") {
			t.Errorf("Lookup(%q) = %v, want one line", bad, err)
		}
	}
}
