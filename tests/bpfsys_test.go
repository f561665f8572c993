package tests

import (
	"bytes"
	"debug/elf"
	"slices"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/bpfutils/bpfutils/pkg/bpfobj"
	"github.com/bpfutils/bpfutils/tools"
)

func bpfCall(cmd int, attr unsafe.Pointer, size uintptr) (uintptr, error) {
	r, _, errno := unix.Syscall(unix.SYS_BPF, uintptr(cmd), uintptr(attr), size)
	if errno != 0 {
		return 0, errno
	}
	return r, nil
}

// nextProgID asks the kernel for the next BPF program id (BPF_PROG_GET_NEXT_ID).
func nextProgID(id uint32) (uint32, error) {
	attr := struct {
		StartID uint32
		NextID  uint32
		_       [8]uint64
	}{StartID: id}
	_, err := bpfCall(unix.BPF_PROG_GET_NEXT_ID, unsafe.Pointer(&attr), unsafe.Sizeof(attr))
	return attr.NextID, err
}

// progName returns the (16-byte truncated) name of BPF program id, "" if it is gone.
func progName(id uint32) string {
	idAttr := struct {
		ID uint32
		_  [7]uint32
	}{ID: id}
	fd, err := bpfCall(unix.BPF_PROG_GET_FD_BY_ID, unsafe.Pointer(&idAttr), unsafe.Sizeof(idAttr))
	if err != nil {
		return ""
	}
	defer unix.Close(int(fd))
	var info [256]byte // struct bpf_prog_info; name is at offset 64
	infoAttr := struct {
		Fd      uint32
		InfoLen uint32
		Info    uint64
	}{Fd: uint32(fd), InfoLen: uint32(len(info)), Info: uint64(uintptr(unsafe.Pointer(&info[0])))}
	if _, err := bpfCall(unix.BPF_OBJ_GET_INFO_BY_FD, unsafe.Pointer(&infoAttr), unsafe.Sizeof(infoAttr)); err != nil {
		return ""
	}
	name := info[64:80]
	if i := bytes.IndexByte(name, 0); i >= 0 {
		name = name[:i]
	}
	return string(name)
}

// objectPrograms lists the program names of the tool's embedded object.
func objectPrograms(tool string) []string {
	_, progs := objectProgs(tool)
	var names []string
	for _, s := range progs {
		names = append(names, s.Name)
	}
	return names
}

// objectProgs is the tool's embedded object and its programs (its global functions); nil when
// the object cannot be read.
func objectProgs(tool string) (*elf.File, []elf.Symbol) {
	obj, err := bpfobj.Get(objectOf(tool))
	if err != nil {
		return nil, nil
	}
	f, err := elf.NewFile(bytes.NewReader(obj))
	if err != nil {
		return nil, nil
	}
	syms, _ := f.Symbols()
	var progs []elf.Symbol
	for _, s := range syms {
		if elf.ST_TYPE(s.Info) == elf.STT_FUNC && elf.ST_BIND(s.Info) == elf.STB_GLOBAL {
			progs = append(progs, s)
		}
	}
	return f, progs
}

// objectOf is the BPF object that a tool, or an alias of one, loads, as the registry says.
func objectOf(tool string) string {
	for _, t := range tools.All {
		if slices.Contains(t.Names(), tool) {
			return t.Object
		}
	}
	return tool
}
