/*
 * Workload for numamove's test, on a machine with NUMA nodes 0 and 1 (a qemu guest).
 *
 *   numahog COMM CPU PAGES LIMIT_MS
 *
 * It names itself COMM, runs on CPU (a CPU of node 0), prints "ready PID" and waits for a line
 * on stdin. Then it binds PAGES fresh pages to node 1 with mbind(2), touches them, drops the
 * binding again and prints "placed N" (N: pages on node 1, as move_pages(2) reports). It then
 * keeps touching them, so that NUMA balancing finds them misplaced and migrates them to node 0,
 * until none is left on node 1 or LIMIT_MS passed, and prints "migrated M" (pages that moved to
 * node 0), then "done", then stays until stdin closes. Raw syscalls: no libnuma.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MPOL_DEFAULT 0
#define MPOL_BIND 2

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* How many of the pages are on node, per move_pages(2) without a destination. */
static long count_on(void **pages, int *status, long n, int node)
{
	long on = 0;

	if (syscall(SYS_move_pages, 0, n, pages, NULL, status, 0) < 0) {
		perror("move_pages");
		exit(1);
	}
	for (long i = 0; i < n; i++)
		if (status[i] == node)
			on++;
	return on;
}

int main(int argc, char **argv)
{
	long page = sysconf(_SC_PAGESIZE), n, placed, left;
	unsigned long node1 = 1UL << 1;
	volatile char *mem;
	double limit, end;
	char line[64];
	cpu_set_t cpus;
	int *status;
	void **pages;

	if (argc != 5) {
		fprintf(stderr, "usage: numahog COMM CPU PAGES LIMIT_MS\n");
		return 2;
	}
	prctl(PR_SET_NAME, argv[1]);
	setvbuf(stdout, NULL, _IOLBF, 0);
	CPU_ZERO(&cpus);
	CPU_SET(atoi(argv[2]), &cpus);
	if (sched_setaffinity(0, sizeof(cpus), &cpus)) {
		perror("sched_setaffinity");
		return 1;
	}
	n = atol(argv[3]);
	limit = atof(argv[4]);
	printf("ready %d\n", getpid());
	if (!fgets(line, sizeof(line), stdin))
		return 0;

	mem = mmap(NULL, n * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	if (syscall(SYS_mbind, mem, n * page, MPOL_BIND, &node1, 8 * sizeof(node1), 0)) {
		perror("mbind node 1");
		return 1;
	}
	for (long i = 0; i < n; i++)
		mem[i * page] = 1;
	/* The pages stay on node 1; the policy that put them there goes. */
	if (syscall(SYS_mbind, mem, n * page, MPOL_DEFAULT, NULL, 0, 0)) {
		perror("mbind default");
		return 1;
	}
	pages = calloc(n, sizeof(*pages));
	status = calloc(n, sizeof(*status));
	for (long i = 0; i < n; i++)
		pages[i] = (void *)(mem + i * page);
	placed = count_on(pages, status, n, 1);
	printf("placed %ld\n", placed);

	end = now_ms() + limit;
	left = placed;
	while (left > 0 && now_ms() < end) {
		for (int round = 0; round < 100; round++)
			for (long i = 0; i < n; i++)
				mem[i * page]++;
		left = count_on(pages, status, n, 1);
	}
	printf("migrated %ld\n", count_on(pages, status, n, 0) - (n - placed));
	printf("done\n");
	while (fgets(line, sizeof(line), stdin))
		;
	return 0;
}
