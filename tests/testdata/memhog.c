/*
 * Workload for the memory tools' tests (oomkill, drsnoop), run inside a memory-limited cgroup.
 *
 *   memhog COMM anon MB           touch MB megabytes of anonymous memory, one at a time
 *   memhog COMM file PATH ROUNDS  read PATH from start to end ROUNDS times (page cache)
 *
 * It names itself COMM, prints "ready PID", waits for a line on stdin (the test moves it into
 * its cgroup meanwhile), works, prints "done", then stays until stdin closes.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#define MB (1UL << 20)

static void anon(long mb)
{
	for (long i = 0; i < mb; i++) {
		char *p = mmap(NULL, MB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED) {
			perror("mmap");
			exit(1);
		}
		memset(p, 0x5a, MB);
	}
}

static void file(const char *path, long rounds)
{
	static char buf[1 << 16];

	for (long r = 0; r < rounds; r++) {
		int fd = open(path, O_RDONLY);

		if (fd < 0) {
			perror(path);
			exit(1);
		}
		while (read(fd, buf, sizeof(buf)) > 0)
			;
		close(fd);
	}
}

int main(int argc, char **argv)
{
	char line[64];

	if (argc < 4) {
		fprintf(stderr, "usage: memhog COMM anon MB | memhog COMM file PATH ROUNDS\n");
		return 2;
	}
	prctl(PR_SET_NAME, argv[1]);
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("ready %d\n", getpid());
	if (!fgets(line, sizeof(line), stdin))
		return 0;
	if (strcmp(argv[2], "anon") == 0)
		anon(atol(argv[3]));
	else if (strcmp(argv[2], "file") == 0 && argc >= 5)
		file(argv[3], atol(argv[4]));
	else
		return 2;
	printf("done\n");
	while (fgets(line, sizeof(line), stdin))
		;
	return 0;
}
