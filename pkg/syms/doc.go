// Package syms turns the addresses of BPF stack maps into function names, for the stack tools
// (profile, offcputime, wakeuptime, biostacks, memleak, ...). Pure Go, no cgo.
//
//	s := syms.New()                            // one per tool run; caches everything
//	for _, f := range s.KernelStack(kips) {    // tracer frames on top are dropped
//		fmt.Printf("    %s\n", f)              // name, or "[unknown]"
//	}
//	for _, f := range s.UserStack(pid, uips) {
//		fmt.Printf("    %s\n", f)              // with -v: f.Verbose()
//	}
//	s.ForgetPid(pid)                           // when the process exits
//
// Kernel(addr) looks addr up in /proc/kallsyms (read once, on first use or LoadKernel):
// the text symbol with the largest address <= addr, its offset and module ("" for vmlinux).
//
// User(pid, addr) finds the executable mapping holding addr in /proc/PID/maps (cached per
// pid, re-read at most once a second when an address falls outside every known mapping),
// converts addr to a file offset and then, through the file's PT_LOAD headers, to the ELF
// virtual address that symbol tables use; this handles PIE and non-PIE executables and
// shared libraries alike. Symbols come from .symtab; for stripped files from a separate debug
// file (DebugDirs/.build-id/xx/yyyy.debug, then the .gnu_debuglink name next to the file, in
// its .debug/ directory or under DebugDirs), else MiniDebugInfo (.gnu_debugdata, xz), merged
// with .dynsym; stripped Go binaries fall back to .gopclntab. The [vdso] is read from
// /proc/PID/mem. Files are opened through /proc/PID/root (containers) with an inode check,
// falling back to /proc/PID/map_files (deleted or replaced files). C++ and Rust names are
// demangled.
//
// Symbol tables are cached per file (device+inode; the vDSO by content), shared by every
// process mapping the file, and bounded by Options.MaxTableBytes: least recently used tables
// are dropped and re-read when needed. A cached user lookup costs a map access and two binary
// searches.
//
// IsTracerFrame and TrimTracerFrames recognise the kernel frames of the tracing machinery
// (bpf_prog_*, bpf_trace_run*, __traceiter_*, ftrace/kprobe trampolines...).
package syms
