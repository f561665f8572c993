package syms

import (
	"strings"
	"testing"
)

// libcAddrs returns addresses spread over the executable mappings of libc in process pid.
func libcAddrs(b *testing.B, pid uint32) []uint64 {
	ms, err := readProcMaps("/proc", pid)
	if err != nil {
		b.Fatal(err)
	}
	var out []uint64
	for _, m := range ms {
		if strings.Contains(m.path, "/libc.so") {
			for a := m.start + 0x40; a < m.end; a += (m.end - m.start) / 13 {
				out = append(out, a)
			}
		}
	}
	if len(out) == 0 {
		b.Skip("no libc mapping")
	}
	return out
}

// A warm user lookup: maps and tables cached.
func BenchmarkUserCached(b *testing.B) {
	p := start(b, binary(b, "shared"))
	s := newTestSymbolizer()
	addrs := append([]uint64{p.addr(b, "target_alpha") + 3, p.addr(b, "local_gamma") + 1,
		p.addr(b, "lib_delta") + 2, p.addr(b, "lib_epsilon")}, libcAddrs(b, p.pid)...)
	for _, a := range addrs {
		s.User(p.pid, a)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.User(p.pid, addrs[i%len(addrs)])
	}
}

// A warm lookup of a demangled C++ name.
func BenchmarkUserCachedDemangled(b *testing.B) {
	p := start(b, binary(b, "cxx"))
	s := newTestSymbolizer()
	a := p.addr(b, "outer::Widget::tick(long)") + 1
	s.User(p.pid, a)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.User(p.pid, a)
	}
}

// A 16-frame user stack, warm.
func BenchmarkUserStack16(b *testing.B) {
	p := start(b, binary(b, "shared"))
	s := newTestSymbolizer()
	ips := libcAddrs(b, p.pid)
	for len(ips) < 16 {
		ips = append(ips, p.addr(b, "target_alpha")+uint64(len(ips)))
	}
	ips = ips[:16]
	s.UserStack(p.pid, ips)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.UserStack(p.pid, ips)
	}
}

// First lookup in a process: read its maps and load libc's table (cold per-binary cache).
func BenchmarkUserCold(b *testing.B) {
	p := start(b, binary(b, "pie"))
	addrs := libcAddrs(b, p.pid)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		New().User(p.pid, addrs[0])
	}
}

// First lookup of a new process whose libraries are already cached (many short-lived
// processes in one profile).
func BenchmarkUserNewProcessWarmLibs(b *testing.B) {
	p := start(b, binary(b, "pie"))
	addrs := libcAddrs(b, p.pid)
	s := New()
	s.User(p.pid, addrs[0])
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.ForgetPid(p.pid)
		s.User(p.pid, addrs[0])
	}
}

func BenchmarkKernelCached(b *testing.B) {
	s := New()
	if err := s.LoadKernel(); err != nil {
		b.Skip(err)
	}
	a, ok := s.KernelAddress("schedule")
	if !ok {
		b.Skip("no schedule in kallsyms")
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.Kernel(a + uint64(i&63))
	}
}

func BenchmarkKernelLoad(b *testing.B) {
	for i := 0; i < b.N; i++ {
		if err := New().LoadKernel(); err != nil {
			b.Skip(err)
		}
	}
}
