/*
 * sysloop N M: the syscount workload. It prints "ready PID", waits for a line on stdin, makes N
 * getppid() calls and M close(-1) calls (each failing with EBADF), prints "done" and stays
 * until stdin closes, so that its exit is not in the counts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char line[64];
	long i, n, m;

	if (argc < 3)
		return 2;
	n = atol(argv[1]);
	m = atol(argv[2]);
	printf("ready %d\n", getpid());
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return 1;
	/* Through syscall(): no libc may answer from a cache. */
	for (i = 0; i < n; i++)
		syscall(SYS_getppid);
	for (i = 0; i < m; i++)
		syscall(SYS_close, -1);
	printf("done\n");
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin))
		;
	return 0;
}
