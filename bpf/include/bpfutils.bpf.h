/* Helpers every bpfutils BPF program shares. */
#ifndef BPFUTILS_BPF_H
#define BPFUTILS_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

#define TASK_COMM_LEN 16
#define NAME_MAX 255

/* floor(log2(v)) with log2(0) == 0: the bucket index user space prints. */
static __always_inline __u64 log2_u32(__u32 v)
{
	__u32 shift, r;

	r = (v > 0xFFFF) << 4; v >>= r;
	shift = (v > 0xFF) << 3; v >>= shift; r |= shift;
	shift = (v > 0xF) << 2; v >>= shift; r |= shift;
	shift = (v > 0x3) << 1; v >>= shift; r |= shift;
	r |= (v >> 1);
	return r;
}

static __always_inline __u64 log2_u64(__u64 v)
{
	__u32 hi = v >> 32;

	return hi ? log2_u32(hi) + 32 : log2_u32(v);
}

/* Look a key up, creating it from init when absent; a racing insert of the same key is fine. */
static __always_inline void *lookup_or_init(void *map, const void *key, const void *init)
{
	void *val = bpf_map_lookup_elem(map, key);
	long err;

	if (val)
		return val;
	err = bpf_map_update_elem(map, key, init, BPF_NOEXIST);
	if (err && err != -17 /* EEXIST */)
		return 0;
	return bpf_map_lookup_elem(map, key);
}

/*
 * BTF_TRACEPOINT(name, event, args...) { body } gives one body two programs: name_raw on
 * raw_tp/event and name_btf on tp_btf/event (pkg/tracer.BTFTracepoint prefers raw_tp, whose
 * CO-RE reads need only the minimal BTF of pkg/minbtf). The body gets the event's arguments as
 * BPF_PROG would declare them; since it runs as raw_tp, it reads through pointers with CO-RE
 * reads.
 */
#define BTF_TRACEPOINT(name, event, args...)					\
static __always_inline int ____##name(unsigned long long *ctx, ##args);		\
BTF_TRACEPOINT_PROG(tp_btf, name##_btf, name, event, args)			\
BTF_TRACEPOINT_PROG(raw_tp, name##_raw, name, event, args)			\
static __always_inline int ____##name(unsigned long long *ctx, ##args)

#define BTF_TRACEPOINT_PROG(kind, prog, name, event, args...)			\
SEC(#kind "/" #event)								\
int prog(unsigned long long *ctx)						\
{										\
	_Pragma("GCC diagnostic push")						\
	_Pragma("GCC diagnostic ignored \"-Wint-conversion\"")			\
	return ____##name(___bpf_ctx_cast(args));				\
	_Pragma("GCC diagnostic pop")						\
}

/*
 * ctx_load(ctx, OFF) loads the tracing program argument at byte offset OFF (8 per argument) in an
 * instruction of its own. For an argument whose position depends on the kernel, write
 * `cond ? ctx_load(ctx, 16) : ctx_load(ctx, 8)` with a CO-RE condition: from ctx[cond ? 2 : 1]
 * the compiler makes one load through a computed ctx pointer, which the verifier refuses, while
 * these stay two, and the verifier never walks the one the condition rules out.
 */
#define ctx_load(ctx, off)                                                         \
	({                                                                         \
		__u64 __v;                                                         \
		asm volatile("%0 = *(u64 *)(%1 + " #off ")" : "=r"(__v) : "r"(ctx)); \
		__v;                                                               \
	})

char LICENSE[] SEC("license") = "GPL";

#endif
