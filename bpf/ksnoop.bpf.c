/*
 * ksnoop: one kprobe and one kretprobe program, attached to every traced function. Which
 * function fired comes from its address; returns find it on a per-thread stack of the traced
 * calls in progress, which -s also uses to tell who called whom.
 */
#include "bpfutils.bpf.h"
#include "events.bpf.h"
#include "ksnoop.h"

const volatile __u32 filter_pid = 0;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, KSNOOP_MAX_FUNCS);
	__type(key, __u64);
	__type(value, struct ksnoop_func);
} funcs SEC(".maps");

/* One record per function and CPU, as user space sizes it: built here, possibly kept (-s,
 * predicates on entry and return values) until a later call reports it. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, KSNOOP_MAX_FUNCS);
	__type(key, __u32);
	__type(value, struct ksnoop_record);
} records SEC(".maps");

struct ksnoop_stack {
	__u64 ips[KSNOOP_DEPTH];
	__u32 depth;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, KSNOOP_THREADS);
	__type(key, __u32);
	__type(value, struct ksnoop_stack);
} stacks SEC(".maps");

static const struct ksnoop_stack empty_stack;

static __always_inline void clear_record(struct ksnoop_record *r)
{
	__builtin_memset(r->h.slots, 0, sizeof(r->h.slots));
	r->h.flags = 0;
	r->h.buf_len = 0;
}

static __always_inline __u64 arg_value(struct pt_regs *ctx, __u32 base)
{
	switch (base) {
	case 0: return PT_REGS_PARM1_CORE(ctx);
	case 1: return PT_REGS_PARM2_CORE(ctx);
	case 2: return PT_REGS_PARM3_CORE(ctx);
	case 3: return PT_REGS_PARM4_CORE(ctx);
	case 4: return PT_REGS_PARM5_CORE(ctx);
	}
	return PT_REGS_RC_CORE(ctx);
}

static __always_inline void send(void *ctx, struct ksnoop_record *r)
{
	__u64 size;
	long err;

	if (r->h.buf_len == 0)
		goto done;
	if (r->h.flags & KSNOOP_R_STASH) {
		r->h.flags = (r->h.flags & ~KSNOOP_R_STASH) | KSNOOP_R_STASHED;
		return;
	}
	r->h.flags &= ~KSNOOP_R_STASHED;
	size = offsetof(struct ksnoop_record, buf) + r->h.buf_len;
	if (size > sizeof(*r))
		size = sizeof(*r);
	if (use_perfbuf)
		err = bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, r, size);
	else
		err = bpf_ringbuf_output(&events, r, size, event_wakeup());
	if (err)
		event_count_lost();
done:
	clear_record(r);
}

/* Reports the kept records of the traced functions around this call (-s), then this one. */
static __always_inline void send_chain(void *ctx, struct ksnoop_stack *st, struct ksnoop_record *cur,
				       __u32 tid, bool entry)
{
	struct ksnoop_record *r;
	struct ksnoop_func *f;
	__u32 i;

	for (i = 0; i < KSNOOP_DEPTH; i++) {
		__u32 at = entry ? i : KSNOOP_DEPTH - 1 - i;
		__u64 ip;

		if (entry && i + 1 >= st->depth)
			break;
		if (!entry && at == 0)
			break;
		ip = st->ips[at & (KSNOOP_DEPTH - 1)];
		if (!ip)
			continue;
		f = bpf_map_lookup_elem(&funcs, &ip);
		if (!f)
			break;
		r = bpf_map_lookup_elem(&records, &f->index);
		if (!r || !(r->h.flags & KSNOOP_R_STASHED))
			break;
		if (r->h.tid != tid)
			return;
		send(ctx, r);
	}
	send(ctx, cur);
}

static __always_inline struct ksnoop_func *func_at(__u64 *ip)
{
	struct ksnoop_func *f = bpf_map_lookup_elem(&funcs, ip);

	/* Kernels built with IBT may put the probe after the function's endbr64. */
	if (!f) {
		*ip -= 4;
		f = bpf_map_lookup_elem(&funcs, ip);
	}
	return f;
}

static __always_inline int ksnoop(struct pt_regs *ctx, bool entry)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u64 ip = 0, last_ip = 0;
	struct ksnoop_record *r;
	struct ksnoop_stack *st;
	struct ksnoop_func *f;
	__u32 depth, i;

	if (filter_pid && filter_pid != tid)
		return 0;
	st = lookup_or_init(&stacks, &tid, &empty_stack);
	if (!st)
		return 0;
	depth = st->depth;
	if (entry) {
		if (bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_get_func_ip))
			ip = bpf_get_func_ip(ctx);
		else
			ip = PT_REGS_IP_CORE(ctx) - 1; /* after the int3 */
		f = func_at(&ip);
		if (!f || depth >= KSNOOP_DEPTH - 1)
			return 0;
		if (depth > 0)
			last_ip = st->ips[(depth - 1) & (KSNOOP_DEPTH - 1)];
		st->ips[depth & (KSNOOP_DEPTH - 1)] = ip;
		depth++;
		st->depth = depth;
		/* The slot above keeps the last traced function this one called, for -s. */
		st->ips[depth & (KSNOOP_DEPTH - 1)] = 0;
	} else {
		if (depth == 0 || depth >= KSNOOP_DEPTH)
			return 0;
		last_ip = st->ips[depth & (KSNOOP_DEPTH - 1)];
		depth--;
		ip = st->ips[depth & (KSNOOP_DEPTH - 1)];
		st->depth = depth;
		f = bpf_map_lookup_elem(&funcs, &ip);
		if (!f) {
			if (depth == 0)
				bpf_map_delete_elem(&stacks, &tid);
			return 0;
		}
	}
	r = bpf_map_lookup_elem(&records, &f->index);
	if (!r)
		return 0;
	if (!entry && (f->flags & KSNOOP_F_STASH)) {
		if (!(r->h.flags & KSNOOP_R_STASHED))
			return 0; /* a predicate failed on entry */
	} else {
		clear_record(r);
	}
	if (entry) {
		if (f->prev_ip && f->prev_ip != last_ip)
			return 0;
		if (f->next_ip || (f->flags & KSNOOP_F_STASH))
			r->h.flags |= KSNOOP_R_STASH;
	} else {
		if (f->next_ip && f->next_ip != last_ip)
			return 0;
		if (f->prev_ip)
			r->h.flags |= KSNOOP_R_STASH;
	}
	r->h.tid = tid;
	r->h.pid = tid;
	r->h.func = f->index;
	r->h.cpu = bpf_get_smp_processor_id();
	r->h.time = bpf_ktime_get_ns();
	r->h.flags = (r->h.flags & ~(KSNOOP_R_ENTRY | KSNOOP_R_RETURN)) | (entry ? KSNOOP_R_ENTRY : KSNOOP_R_RETURN);

	for (i = 0; i < KSNOOP_MAX_VALUES; i++) {
		struct ksnoop_value *v = &f->values[i];
		struct ksnoop_slot *s = &r->h.slots[i];
		__u32 flags = v->flags;
		__u64 data, size, off;
		void *src;
		long err;
		bool ok;

		if (!(flags & KSNOOP_V_USED) || entry != (v->base != KSNOOP_RETURN))
			continue;
		data = arg_value(ctx, v->base);
		if (flags & KSNOOP_V_MEMBER) {
			data += v->offset;
			if (flags & KSNOOP_V_PTR) {
				err = bpf_probe_read_kernel(&data, sizeof(data), (void *)data);
				if (err) {
					s->err = err;
					continue;
				}
				s->raw = data;
			} else {
				size = v->size;
				if (size <= sizeof(s->raw))
					bpf_probe_read_kernel(&s->raw, size, (void *)data);
			}
		} else {
			s->raw = data;
		}
		if (flags & KSNOOP_V_PREDICATES) {
			ok = ((flags & KSNOOP_V_EQ) && s->raw == v->predicate) ||
			     ((flags & KSNOOP_V_NE) && s->raw != v->predicate) ||
			     ((flags & KSNOOP_V_GT) && s->raw > v->predicate) ||
			     ((flags & KSNOOP_V_LT) && s->raw < v->predicate);
			if (!ok) {
				clear_record(r);
				return 0;
			}
		}
		size = v->size;
		if (flags & (KSNOOP_V_PTR | KSNOOP_V_MEMBER)) {
			src = (void *)data;
		} else {
			src = &data;
			if (size > sizeof(data))
				size = sizeof(data);
		}
		if (size > KSNOOP_MAX_DATA)
			size = KSNOOP_MAX_DATA;
		off = r->h.buf_len;
		if (off > KSNOOP_BUF - KSNOOP_MAX_DATA)
			break;
		err = bpf_probe_read_kernel(&r->buf[off], size, src);
		if (err) {
			s->err = err;
			continue;
		}
		s->offset = off;
		s->len = size;
		r->h.buf_len = off + size;
	}

	if ((entry && f->prev_ip && !f->next_ip) || (!entry && f->next_ip && !f->prev_ip))
		send_chain(ctx, st, r, tid, entry);
	else
		send(ctx, r);
	/* The thread left every traced function: its stack has nothing left to tell. */
	if (!entry && depth == 0)
		bpf_map_delete_elem(&stacks, &tid);
	return 0;
}

SEC("kprobe")
int BPF_KPROBE(ksnoop_entry)
{
	return ksnoop(ctx, true);
}

SEC("kretprobe")
int BPF_KRETPROBE(ksnoop_return)
{
	return ksnoop(ctx, false);
}
