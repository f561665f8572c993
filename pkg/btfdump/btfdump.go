// Package btfdump reads the kernel's BTF (vmlinux and modules) through libbpf and prints
// values of its types as libbpf's btf_dump prints them, so that a tool showing kernel data
// prints it exactly as libbpf-tools do. libbpf's types stay inside this package.
package btfdump

/*
#cgo LDFLAGS: -lbpf -lelf -lz -lzstd
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

// out gathers what btf_dump prints for one value.
struct out {
	char *buf;
	size_t len, cap;
};

static void out_printf(void *ctx, const char *fmt, va_list args)
{
	struct out *o = ctx;
	va_list copy;
	int n;

	va_copy(copy, args);
	n = vsnprintf(NULL, 0, fmt, copy);
	va_end(copy);
	if (n < 0)
		return;
	if (o->len + n + 1 > o->cap) {
		size_t cap = (o->len + n + 1) * 2;
		char *b = realloc(o->buf, cap);

		if (!b)
			return;
		o->buf = b;
		o->cap = cap;
	}
	vsnprintf(o->buf + o->len, n + 1, fmt, args);
	o->len += n;
}

static struct btf_dump *dumper_new(struct btf *btf, struct out *o)
{
	return btf_dump__new(btf, out_printf, o, NULL);
}

static int dump_data(struct btf_dump *d, __u32 id, const void *data, size_t size, int indent)
{
	LIBBPF_OPTS(btf_dump_type_data_opts, opts, .indent_str = " ", .indent_level = indent);

	return btf_dump__dump_type_data(d, id, data, size, &opts);
}

static struct btf *load_vmlinux(int *err)
{
	struct btf *b = btf__load_vmlinux_btf();

	*err = b ? 0 : errno;
	return b;
}

static struct btf *load_module(const char *name, struct btf *base, int *err)
{
	struct btf *b = btf__load_module_btf(name, base);

	*err = b ? 0 : errno;
	return b;
}

static int type_kind(const struct btf *b, __u32 id) { return btf_kind(btf__type_by_id(b, id)); }
static int type_vlen(const struct btf *b, __u32 id) { return btf_vlen(btf__type_by_id(b, id)); }
static __u32 type_ref(const struct btf *b, __u32 id) { return btf__type_by_id(b, id)->type; }
static __u32 array_elem(const struct btf *b, __u32 id) { return btf_array(btf__type_by_id(b, id))->type; }
static const char *type_name(const struct btf *b, __u32 id)
{
	return btf__str_by_offset(b, btf__type_by_id(b, id)->name_off);
}
static __u32 param_type(const struct btf *b, __u32 id, int i) { return btf_params(btf__type_by_id(b, id))[i].type; }
static const char *param_name(const struct btf *b, __u32 id, int i)
{
	return btf__str_by_offset(b, btf_params(btf__type_by_id(b, id))[i].name_off);
}
static __u32 member_type(const struct btf *b, __u32 id, int i) { return btf_members(btf__type_by_id(b, id))[i].type; }
static __u32 member_bit_offset(const struct btf *b, __u32 id, int i)
{
	return btf_member_bit_offset(btf__type_by_id(b, id), i);
}
static const char *member_name(const struct btf *b, __u32 id, int i)
{
	return btf__str_by_offset(b, btf_members(btf__type_by_id(b, id))[i].name_off);
}
*/
import "C"

import (
	"errors"
	"fmt"
	"sync"
	"syscall"
	"unsafe"
)

// Kinds of BTF types, as the kernel numbers them.
const (
	KindUnknown  = C.BTF_KIND_UNKN
	KindInt      = C.BTF_KIND_INT
	KindPtr      = C.BTF_KIND_PTR
	KindArray    = C.BTF_KIND_ARRAY
	KindStruct   = C.BTF_KIND_STRUCT
	KindUnion    = C.BTF_KIND_UNION
	KindEnum     = C.BTF_KIND_ENUM
	KindFwd      = C.BTF_KIND_FWD
	KindTypedef  = C.BTF_KIND_TYPEDEF
	KindVolatile = C.BTF_KIND_VOLATILE
	KindConst    = C.BTF_KIND_CONST
	KindRestrict = C.BTF_KIND_RESTRICT
	KindFunc     = C.BTF_KIND_FUNC
	KindProto    = C.BTF_KIND_FUNC_PROTO
	KindEnum64   = C.BTF_KIND_ENUM64
)

// BTF is the types of the kernel or of one module (on top of the kernel's). It is used from
// one goroutine at a time.
type BTF struct {
	btf   *C.struct_btf
	count uint32
	dump  *C.struct_btf_dump
	out   *C.struct_out
}

var kernel struct {
	once sync.Once
	btf  *BTF
	err  error
	mods sync.Map // module name -> *BTF
}

// Kernel returns the running kernel's BTF (/sys/kernel/btf/vmlinux), loaded once.
func Kernel() (*BTF, error) {
	kernel.once.Do(func() {
		var errno C.int
		b := C.load_vmlinux(&errno)
		if b == nil {
			kernel.err = fmt.Errorf("kernel has no BTF (CONFIG_DEBUG_INFO_BTF): %w", syscall.Errno(errno))
			return
		}
		kernel.btf = wrap(b)
	})
	return kernel.btf, kernel.err
}

// Module returns the BTF of kernel module name, loaded once.
func Module(name string) (*BTF, error) {
	if b, ok := kernel.mods.Load(name); ok {
		return b.(*BTF), nil
	}
	base, err := Kernel()
	if err != nil {
		return nil, err
	}
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	var errno C.int
	b := C.load_module(cname, base.btf, &errno)
	if b == nil {
		return nil, fmt.Errorf("no BTF for module %s: %w", name, syscall.Errno(errno))
	}
	m, _ := kernel.mods.LoadOrStore(name, wrap(b))
	return m.(*BTF), nil
}

func wrap(b *C.struct_btf) *BTF {
	return &BTF{btf: b, count: uint32(C.btf__type_cnt(b))}
}

func (b *BTF) valid(id uint32) bool { return id > 0 && id < b.count }

// FuncID is the id of the function name (KindFunc), or 0 when the BTF has none.
func (b *BTF) FuncID(name string) uint32 {
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	id := C.btf__find_by_name_kind(b.btf, cname, C.BTF_KIND_FUNC)
	if id <= 0 {
		return 0
	}
	return uint32(id)
}

// Kind is type id's kind; KindUnknown for void (0) and ids out of range.
func (b *BTF) Kind(id uint32) int {
	if !b.valid(id) {
		return KindUnknown
	}
	return int(C.type_kind(b.btf, C.__u32(id)))
}

// Name is type id's name ("" for anonymous types and void).
func (b *BTF) Name(id uint32) string {
	if !b.valid(id) {
		return ""
	}
	return C.GoString(C.type_name(b.btf, C.__u32(id)))
}

// Ref is the type a pointer, qualifier, typedef, function or prototype (its return) refers to.
func (b *BTF) Ref(id uint32) uint32 {
	if !b.valid(id) {
		return 0
	}
	switch b.Kind(id) {
	case KindPtr, KindTypedef, KindVolatile, KindConst, KindRestrict, KindFunc, KindProto:
		return uint32(C.type_ref(b.btf, C.__u32(id)))
	case KindArray:
		return uint32(C.array_elem(b.btf, C.__u32(id)))
	}
	return 0
}

// Size is the size in bytes of a value of type id (qualifiers and typedefs resolved), or -1.
func (b *BTF) Size(id uint32) int {
	if !b.valid(id) {
		return -1
	}
	n := C.btf__resolve_size(b.btf, C.__u32(id))
	if n < 0 {
		return -1
	}
	return int(n)
}

// Field is a function parameter or a struct/union member.
type Field struct {
	Name      string
	Type      uint32
	BitOffset uint32 // members only
}

// Params lists the parameters of prototype id.
func (b *BTF) Params(id uint32) []Field {
	if b.Kind(id) != KindProto {
		return nil
	}
	n := int(C.type_vlen(b.btf, C.__u32(id)))
	out := make([]Field, n)
	for i := range out {
		out[i] = Field{Name: C.GoString(C.param_name(b.btf, C.__u32(id), C.int(i))), Type: uint32(C.param_type(b.btf, C.__u32(id), C.int(i)))}
	}
	return out
}

// Members lists the members of struct or union id.
func (b *BTF) Members(id uint32) []Field {
	if k := b.Kind(id); k != KindStruct && k != KindUnion {
		return nil
	}
	n := int(C.type_vlen(b.btf, C.__u32(id)))
	out := make([]Field, n)
	for i := range out {
		ci := C.int(i)
		out[i] = Field{
			Name:      C.GoString(C.member_name(b.btf, C.__u32(id), ci)),
			Type:      uint32(C.member_type(b.btf, C.__u32(id), ci)),
			BitOffset: uint32(C.member_bit_offset(b.btf, C.__u32(id), ci)),
		}
	}
	return out
}

// ErrTruncated says data held less than the type's size; what could be shown was.
var ErrTruncated = errors.New("data truncated")

// Dump appends to dst the value of type id held in data, as btf_dump__dump_type_data prints
// it with indent spaces of indentation.
func (b *BTF) Dump(dst []byte, id uint32, data []byte, indent int) ([]byte, error) {
	if !b.valid(id) {
		return dst, fmt.Errorf("no BTF type %d", id)
	}
	if b.dump == nil {
		b.out = (*C.struct_out)(C.calloc(1, C.sizeof_struct_out))
		b.dump = C.dumper_new(b.btf, b.out)
		if b.dump == nil {
			C.free(unsafe.Pointer(b.out))
			b.out = nil
			return dst, errors.New("cannot create a BTF dumper")
		}
	}
	if len(data) == 0 {
		return dst, ErrTruncated
	}
	b.out.len = 0
	cdata := C.CBytes(data)
	defer C.free(cdata)
	ret := C.dump_data(b.dump, C.__u32(id), cdata, C.size_t(len(data)), C.int(indent))
	if b.out.len > 0 {
		dst = append(dst, unsafe.Slice((*byte)(unsafe.Pointer(b.out.buf)), b.out.len)...)
	}
	switch {
	case ret == -C.E2BIG:
		return dst, ErrTruncated
	case ret < 0:
		return dst, fmt.Errorf("dump type %d: %w", id, syscall.Errno(-ret))
	}
	return dst, nil
}
