/* ksnoop: arguments and return values of kernel functions, decoded with their BTF. */
#ifndef KSNOOP_H
#define KSNOOP_H

#define KSNOOP_MAX_FUNCS	64	/* functions traced at once */
#define KSNOOP_MAX_VALUES	6	/* per function: up to 5 arguments and the return value */
#define KSNOOP_RETURN		5	/* ksnoop_value.base of the return value */
#define KSNOOP_MAX_DATA		2048	/* bytes kept of one value */
#define KSNOOP_BUF		(KSNOOP_MAX_VALUES * KSNOOP_MAX_DATA)
#define KSNOOP_DEPTH		16	/* nested traced calls per thread */
#define KSNOOP_THREADS		2048	/* threads inside traced functions at once */

/* ksnoop_value.flags */
#define KSNOOP_V_USED		0x1	/* record this value */
#define KSNOOP_V_PTR		0x2	/* a pointer: copy what it points to */
#define KSNOOP_V_MEMBER		0x4	/* a member of what the argument points to, at offset */
#define KSNOOP_V_EQ		0x100	/* predicates: the value is kept when one holds */
#define KSNOOP_V_NE		0x200
#define KSNOOP_V_GT		0x400
#define KSNOOP_V_LT		0x800
#define KSNOOP_V_PREDICATES	(KSNOOP_V_EQ | KSNOOP_V_NE | KSNOOP_V_GT | KSNOOP_V_LT)

/* ksnoop_func.flags */
#define KSNOOP_F_STASH		0x1	/* predicates mix entry and return: report on return */

/* ksnoop_record.flags */
#define KSNOOP_R_ENTRY		0x1
#define KSNOOP_R_RETURN		0x2
#define KSNOOP_R_STASH		0x4	/* keep this record for a later report */
#define KSNOOP_R_STASHED	0x8	/* kept, waiting */

struct ksnoop_value {
	__u64 predicate;
	__u32 offset;
	__u32 size;
	__u32 flags;
	__u32 base;	/* argument 0-4 or KSNOOP_RETURN */
};

/* What to record of one function, keyed by its address. */
struct ksnoop_func {
	__u64 prev_ip;	/* -s: reported only when called from this function */
	__u64 next_ip;	/* -s: reported only when it called this function */
	__u32 index;	/* the function's slot in records */
	__u32 flags;
	struct ksnoop_value values[KSNOOP_MAX_VALUES];
};

struct ksnoop_slot {
	__u64 raw;	/* the register, or the pointer read through a member */
	__s32 err;	/* reading what it points to failed */
	__u16 offset;	/* in buf */
	__u16 len;
};

struct ksnoop_header {
	__u64 time;
	__u32 cpu;
	__u32 pid;
	__u32 func;
	__u32 flags;
	__u32 tid;	/* the thread a stashed record belongs to */
	__u32 buf_len;
	struct ksnoop_slot slots[KSNOOP_MAX_VALUES];
};

/* What is sent: the header and buf_len bytes of buf. */
struct ksnoop_record {
	struct ksnoop_header h;
	__u8 buf[KSNOOP_BUF];
};

#endif
