package tests

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// nextProgID asks the kernel for the next BPF program id (BPF_PROG_GET_NEXT_ID).
func nextProgID(id uint32) (uint32, error) {
	attr := struct {
		StartID uint32
		NextID  uint32
		_       [8]uint64
	}{StartID: id}
	_, _, errno := unix.Syscall(unix.SYS_BPF, unix.BPF_PROG_GET_NEXT_ID, uintptr(unsafe.Pointer(&attr)), unsafe.Sizeof(attr))
	if errno != 0 {
		return 0, errno
	}
	return attr.NextID, nil
}
