#ifndef WAKEUPTIME_H
#define WAKEUPTIME_H

/* Blocked time is summed per waker, wakee and the kernel stack of the wakeup. */
struct wakeup_key {
	char waker[16];
	char target[16];
	__s32 w_k_stack_id;
};

#endif
