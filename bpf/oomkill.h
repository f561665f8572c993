#ifndef OOMKILL_H
#define OOMKILL_H

/* Memory cgroup levels kept per kill, leaf first, and the bytes kept of each level's name. */
#define OOMKILL_CG_LEVELS 8
#define OOMKILL_CG_NAME 128

/* How the kill was seen: what the chosen hook could read. */
enum oomkill_origin {
	OOMKILL_ORIGIN_OOM_CONTROL = 0, /* oom_kill_process: victim and the domain's page total */
	OOMKILL_ORIGIN_VICTIM_TASK = 1, /* mark_victim with the victim's task: pages estimated */
	OOMKILL_ORIGIN_VICTIM_PID = 2,  /* mark_victim with the pid only (before 6.8): comm, cgroup from /proc */
};

struct oomkill_event {
	/* The OOM domain's pages (oc->totalpages), or with the tracepoint the smallest memory
	 * limit above the victim (before 6.8: above the trigger), in pages (~0: none). */
	__u64 pages;
	__u32 fpid;
	__u32 tpid;
	char fcomm[16];
	char tcomm[16];
	__u32 origin;
	/* Memory cgroup levels read into cgroup[], leaf first; the root is not among them. */
	__u32 cg_levels;
	/* More levels above cgroup[OOMKILL_CG_LEVELS - 1] than could be kept. */
	__u32 cg_truncated;
	/* The victim's memory cgroup could be read (memcg enabled, a task to read it from). */
	__u32 cg_known;
	char cgroup[OOMKILL_CG_LEVELS][OOMKILL_CG_NAME];
};

#endif
