/*
 * Workload for gethostlatency's test: resolves a host name through each of libc's
 * getaddrinfo(), gethostbyname() and gethostbyname2().
 *
 *   resolver COMM HOST
 *
 * It names itself COMM, prints "ready PID", and for every line read on stdin resolves HOST
 * once with each of the three functions, then prints "done".
 */
#define _GNU_SOURCE
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char line[64];
	const char *host;

	if (argc != 3) {
		fprintf(stderr, "usage: resolver COMM HOST\n");
		return 2;
	}
	host = argv[2];
	prctl(PR_SET_NAME, argv[1], 0, 0, 0);
	printf("ready %d\n", getpid());
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin)) {
		struct addrinfo *res = NULL;

		/* Whether the name resolves does not matter (a guest may have no /etc/hosts):
		 * each call is timed all the same. */
		if (getaddrinfo(host, NULL, NULL, &res) == 0)
			freeaddrinfo(res);
		gethostbyname(host);
		gethostbyname2(host, AF_INET);
		printf("done\n");
		fflush(stdout);
	}
	return 0;
}
