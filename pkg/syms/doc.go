// Package syms turns the addresses of BPF stack maps into function names, for the stack tools
// (profile, offcputime, wakeuptime, biostacks, memleak, ...). Pure Go, no cgo.
//
//	s := syms.New()                             // one per tool run; caches everything
//	if err := s.LoadKernel(); err != nil { ... } // optional: kallsyms now, and why not
//	for _, f := range s.KernelStack(kips) {     // stops at 0; leading tracer frames dropped
//		fmt.Printf("    %s\n", f)               // name, or "[unknown]"
//	}
//	for i, f := range s.UserStack(pid, uips) {
//		fmt.Printf("    #%-2d %s\n", i, f.Verbose()) // -v: "0x%016x name+0xOFF (path+0xOFF)"
//	}
//	s.ForgetPid(pid)                            // when the process exits
//
// Single addresses: Kernel(addr) and User(pid, addr) return a Symbol {Addr, Name, Offset,
// Known, Module (kernel), Path and ObjAddr (user)}; tools print Name, or their own unknown
// marker when !Known (libbpf-tools print "[unknown]", offcputime's kernel frames "unknown").
//
// Kernel addresses are looked up in /proc/kallsyms (read once, on first use or LoadKernel):
// the text symbol with the largest address <= addr, its offset and module ("" for vmlinux,
// "bpf" for BPF programs). KernelAddress(name) goes the other way. IsTracerFrame and
// TrimTracerFrames recognise the frames of the tracing machinery itself (bpf_prog_*,
// bpf_trace_run*, __traceiter_*, ftrace/kprobe/rethook trampolines...).
//
// User addresses: the executable mapping holding addr is found in /proc/PID/maps (cached per
// pid, re-read at most once a second when an address falls outside every known mapping);
// addr becomes a file offset and then, through the file's PT_LOAD headers, the ELF virtual
// address that symbol tables use (ObjAddr), which handles PIE and non-PIE executables and
// shared libraries alike. Symbols come from .symtab; for stripped files from a separate debug
// file (DebugDirs/.build-id/xx/yyyy.debug, then the .gnu_debuglink name next to the file, in
// its .debug/ directory or under DebugDirs), else MiniDebugInfo (.gnu_debugdata, xz); .dynsym
// is merged in, and stripped Go binaries fall back to .gopclntab. The [vdso] is read from
// /proc/PID/mem. Files are opened through /proc/PID/root (containers) with an inode check,
// falling back to /proc/PID/map_files (deleted or replaced files). A symbol covers
// [start, start+size); an address in no symbol's range is unknown rather than the previous
// symbol plus a large offset. C++ and Rust names are demangled (Options.NoDemangle keeps
// them raw).
//
// Symbol tables are cached per file (device+inode; the vDSO by content), shared by every
// process mapping the file, and bounded by Options.MaxTableBytes: least recently used tables
// are dropped and re-read when needed. A warm user lookup costs a map access and two binary
// searches (well under a microsecond). A Symbolizer is safe for concurrent use.
package syms
