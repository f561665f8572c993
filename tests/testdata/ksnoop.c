/*
 * Workload for ksnoop's tests: reads /dev/zero with a recognisable size on request.
 *
 *   ksnoop COMM
 *
 * It names itself COMM, prints "ready PID", then for each line "read N" on stdin reads 4097
 * bytes of /dev/zero N times (each a vfs_read() with count 4097 returning 4097), and prints
 * "done".
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	static char buf[4097];
	char line[64];
	unsigned int n;
	int fd;

	if (argc != 2) {
		fprintf(stderr, "usage: ksnoop COMM\n");
		return 2;
	}
	prctl(PR_SET_NAME, argv[1], 0, 0, 0);
	fd = open("/dev/zero", O_RDONLY);
	if (fd < 0) {
		perror("/dev/zero");
		return 1;
	}
	printf("ready %d\n", getpid());
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin)) {
		if (sscanf(line, "read %u", &n) == 1) {
			for (unsigned int i = 0; i < n; i++)
				if (read(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
					return 1;
		}
		printf("done\n");
		fflush(stdout);
	}
	return 0;
}
