/*
 * Workload for execsnoop's test of execveat() and fexecve().
 *
 *   execat DIR NAME TOKEN   in three children, one after the other:
 *                           execveat(DIR's fd, NAME, [NAME, "at-TOKEN"], 0);
 *                           fexecve(NAME's fd, [NAME, "fexecve-TOKEN"]), which glibc makes
 *                           execveat(fd, "", ..., AT_EMPTY_PATH);
 *                           execveat(DIR's fd, "missing-NAME", [NAME, "missing-TOKEN"], 0),
 *                           which fails with ENOENT.
 *                           Prints "at PID", "fexecve PID" and "missing PID", then "done".
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static int child(const char *what, int dirfd, const char *path, int flags, char *name, const char *token)
{
	char arg[256];
	char *argv[] = {name, arg, NULL};
	int status;
	pid_t pid;

	snprintf(arg, sizeof(arg), "%s-%s", what, token);
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		if (flags & AT_EMPTY_PATH)
			fexecve(dirfd, argv, environ);
		else
			syscall(SYS_execveat, dirfd, path, argv, environ, flags);
		_exit(strcmp(what, "missing") == 0 ? 0 : 127);
	}
	printf("%s %d\n", what, pid);
	fflush(stdout);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return 1;
	return 0;
}

int main(int argc, char **argv)
{
	char missing[256];
	int dirfd, fd;

	if (argc != 4) {
		fprintf(stderr, "usage: execat DIR NAME TOKEN\n");
		return 2;
	}
	dirfd = open(argv[1], O_RDONLY | O_DIRECTORY);
	if (dirfd < 0)
		return 1;
	fd = openat(dirfd, argv[2], O_RDONLY);
	if (fd < 0)
		return 1;
	snprintf(missing, sizeof(missing), "missing-%s", argv[2]);
	if (child("at", dirfd, argv[2], 0, argv[2], argv[3]) ||
	    child("fexecve", fd, "", AT_EMPTY_PATH, argv[2], argv[3]) ||
	    child("missing", dirfd, missing, 0, argv[2], argv[3]))
		return 1;
	printf("done\n");
	return 0;
}
