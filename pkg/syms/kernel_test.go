package syms

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestParseKallsyms(t *testing.T) {
	s := NewWithOptions(Options{Kallsyms: "testdata/kallsyms"})
	if err := s.LoadKernel(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		addr   uint64
		want   string // "name+0xoff [module]" or "[unknown]"
		module string
	}{
		{0xffffffff80ffffff, "[unknown]", ""},
		{0xffffffff81000000, "_stext+0x0", ""}, // global wins over a local alias
		{0xffffffff81000fff, "_stext+0xfff", ""},
		{0xffffffff81001100, "do_one_initcall+0x100", ""}, // data symbols are skipped
		{0xffffffff81001234, "weak_fn+0x34", ""},
		{0xffffffff81002005, "schedule+0x5", ""},
		{0xffffffff81002500, "schedule+0x500", ""},
		{0xffffffffc0100010, "ext4_fill_super+0x10", "ext4"},
		{0xffffffffc0100400, "ext4_file_open+0x0", "ext4"},
		{0xffffffffc0200044, "bpf_prog_6deef7357e7b4530_handle_switch+0x44", "bpf"},
		{0xffffffffc0300001, "ftrace_trampoline+0x1", "__builtin__ftrace"},
	}
	for _, tt := range tests {
		got := s.Kernel(tt.addr)
		str := "[unknown]"
		if got.Known {
			str = got.Name + "+0x" + strconv.FormatUint(got.Offset, 16)
		}
		if str != tt.want || got.Module != tt.module {
			t.Errorf("Kernel(%#x) = %s [%s], want %s [%s]", tt.addr, str, got.Module, tt.want, tt.module)
		}
	}
	if a, ok := s.KernelAddress("schedule"); !ok || a != 0xffffffff81002000 {
		t.Errorf("KernelAddress(schedule) = %#x, %v", a, ok)
	}
	if got := s.Kernel(0xffffffff81002005).Verbose(); got != "0xffffffff81002005 schedule+0x5" {
		t.Errorf("Verbose() = %q", got)
	}
	if got := s.Kernel(0x1000).Verbose(); got != "0x1000 [unknown]" {
		t.Errorf("unknown Verbose() = %q", got)
	}
}

func TestKallsymsRestricted(t *testing.T) {
	f := t.TempDir() + "/kallsyms"
	os.WriteFile(f, []byte("0000000000000000 T _stext\n0000000000000000 T schedule\n"), 0o644)
	s := NewWithOptions(Options{Kallsyms: f})
	if err := s.LoadKernel(); err == nil || !strings.Contains(err.Error(), "kptr_restrict") {
		t.Errorf("LoadKernel with zeroed addresses: %v", err)
	}
	if got := s.Kernel(0xffffffff81000000); got.Known || got.String() != "[unknown]" {
		t.Errorf("Kernel without symbols: %+v", got)
	}
}

// The real /proc/kallsyms: schedule and schedule+5 (a function far longer than 5 bytes).
func TestKernelLive(t *testing.T) {
	want := map[string]uint64{}
	f, err := os.Open("/proc/kallsyms")
	if err != nil {
		t.Skip(err)
	}
	var modName, modSym string
	var modAddr uint64
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) < 3 {
			continue
		}
		a, _ := strconv.ParseUint(fs[0], 16, 64)
		if fs[2] == "schedule" || fs[2] == "do_sys_openat2" {
			want[fs[2]] = a
		}
		if len(fs) == 4 && modName == "" && strings.ContainsAny(fs[1], "tT") {
			modName, modSym, modAddr = strings.Trim(fs[3], "[]"), fs[2], a
		}
	}
	f.Close()
	if want["schedule"] == 0 {
		t.Skip("no schedule address in /proc/kallsyms (kptr_restrict?)")
	}
	s := New()
	for name, a := range want {
		for _, off := range []uint64{0, 5} {
			got := s.Kernel(a + off)
			if !got.Known || got.Name != name || got.Offset != off || got.Module != "" {
				t.Errorf("Kernel(%#x) = %+v, want %s+%#x", a+off, got, name, off)
			}
		}
	}
	if modName != "" {
		if got := s.Kernel(modAddr); got.Module != modName || got.Offset != 0 {
			t.Errorf("Kernel(%#x) = %+v, want %s [%s]", modAddr, got, modSym, modName)
		}
	}
}

func TestIsTracerFrame(t *testing.T) {
	for name, want := range map[string]bool{
		"bpf_prog_6deef7357e7b4530_handle_switch": true,
		"bpf_trace_run4":            true,
		"__bpf_trace_sched_switch":  true,
		"__traceiter_sched_switch":  true,
		"ftrace_trampoline":         true,
		"kprobe_ftrace_handler":     true,
		"__kretprobe_trampoline":    true,
		"arch_rethook_trampoline":   true,
		"bpf_trampoline_6442506953": true,
		"__schedule":                false,
		"schedule":                  false,
		"do_nanosleep":              false,
		"bpf_map_lookup_elem":       false,
		"__x64_sys_bpf":             false,
	} {
		if got := IsTracerFrame(name); got != want {
			t.Errorf("IsTracerFrame(%q) = %v", name, got)
		}
	}
}

func TestKernelStackDropsLeadingTracerFrames(t *testing.T) {
	s := NewWithOptions(Options{Kallsyms: "testdata/kallsyms"})
	ips := []uint64{
		0xffffffffc0200010, // bpf_prog_..._handle_switch
		0xffffffff81003010, // __traceiter_sched_switch
		0xffffffff81002010, // schedule
		0xffffffff81003020, // __traceiter_sched_switch again: not leading, kept
		0xffffffff81001010, // do_one_initcall
		0,
		0xffffffff81002000,
	}
	var got []string
	for _, f := range s.KernelStack(ips) {
		got = append(got, f.String())
	}
	if want := "schedule,__traceiter_sched_switch,do_one_initcall"; strings.Join(got, ",") != want {
		t.Errorf("KernelStack = %v, want %s", got, want)
	}
	all := []Symbol{s.Kernel(ips[0]), s.Kernel(ips[1]), s.Kernel(ips[2])}
	if got := TrimTracerFrames(all); len(got) != 1 || got[0].Name != "schedule" {
		t.Errorf("TrimTracerFrames = %+v", got)
	}
}

func FuzzParseKallsymsLine(f *testing.F) {
	f.Add("ffffffff81000000 T _stext")
	f.Add("ffffffffc0100000 t ext4_fill_super\t[ext4]")
	f.Add("0 t x")
	f.Fuzz(func(t *testing.T, line string) {
		s, ok := parseKallsymsLine([]byte(line))
		if ok && (len(s.name) == 0 || strings.ContainsAny(string(s.name), " \t")) {
			t.Errorf("parseKallsymsLine(%q) = %+v", line, s)
		}
	})
}

// A BPF program loaded after kallsyms was read lies past the kernel image: it must not show
// as the image's end marker plus a huge offset, and once kallsyms lists it, it gets its name
// (so leading tracer frames can be dropped).
func TestKernelPastImageRereadsKallsyms(t *testing.T) {
	f := t.TempDir() + "/kallsyms"
	image := "ffffffff81000000 T _stext\nffffffff81002000 T schedule\nffffffff81100000 T _etext\n" +
		"ffffffff82000000 T _sinittext\nffffffff82100000 T _einittext\n"
	if err := os.WriteFile(f, []byte(image), 0o644); err != nil {
		t.Fatal(err)
	}
	s := NewWithOptions(Options{Kallsyms: f})
	const prog = 0xffffffffc0025ef2
	if got := s.Kernel(prog); got.Known {
		t.Errorf("Kernel(%#x) past the image = %s, want unknown", uint64(prog), got)
	}
	if got := s.Kernel(0xffffffff81100010); got.Known {
		t.Errorf("Kernel after _etext = %s, want unknown", got)
	}
	if got := s.Kernel(0xffffffff81002010); got.String() != "schedule" {
		t.Errorf("Kernel(schedule+0x10) = %s", got)
	}
	loaded := image + "ffffffffc0025000 t bpf_prog_aadf903bc23214f1_switch_raw\t[bpf]\n"
	if err := os.WriteFile(f, []byte(loaded), 0o644); err != nil {
		t.Fatal(err)
	}
	s.kernReread = time.Time{} // the first miss above already read it again
	frames := s.KernelStack([]uint64{prog, 0xffffffff81002010, 0})
	if len(frames) != 1 || frames[0].String() != "schedule" {
		t.Errorf("KernelStack after the program appeared in kallsyms = %v, want [schedule]", frames)
	}
}
