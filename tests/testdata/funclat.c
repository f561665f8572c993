/*
 * Workload for funclatency's tests: calls functions of its own a known number of times, each
 * sleeping a known time.
 *
 *   funclat COMM
 *
 * It names itself COMM, prints "ready PID", then for each line read on stdin:
 *   "timed N US"   calls timed() N times, each sleeping US microseconds through usleep();
 *   "nested D US"  calls nested(D) once: D+1 nested calls, each sleeping US microseconds;
 * and prints "done".
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/prctl.h>
#include <unistd.h>

__attribute__((noinline)) void timed(unsigned int us)
{
	usleep(us);
	__asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) void nested(int depth, unsigned int us)
{
	if (depth > 0)
		nested(depth - 1, us);
	usleep(us);
	__asm__ volatile("" ::: "memory");
}

int main(int argc, char **argv)
{
	char line[64];
	unsigned int n, us;
	int depth;

	if (argc != 2) {
		fprintf(stderr, "usage: funclat COMM\n");
		return 2;
	}
	prctl(PR_SET_NAME, argv[1], 0, 0, 0);
	printf("ready %d\n", getpid());
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin)) {
		if (sscanf(line, "timed %u %u", &n, &us) == 2) {
			for (unsigned int i = 0; i < n; i++)
				timed(us);
		} else if (sscanf(line, "nested %d %u", &depth, &us) == 2) {
			nested(depth, us);
		}
		printf("done\n");
		fflush(stdout);
	}
	return 0;
}
