/*
 * Workload for execsnoop's test of arguments the exec'ing process never touched.
 *
 *   forkexec PROG   fork; the child execs PROG at once, with string-literal arguments
 *                   "fe-literal-one" and "fe-literal-two"; fork again, and that child execs
 *                   "/proc/self/exe" (a literal too) with "fe-selfexec-literal", which makes
 *                   this program exit at once. Prints "child PID" for each, then "done".
 *
 * A forked child shares its parent's file-backed pages but not their page table entries: the
 * literals in .rodata are on pages the child has not faulted in when it calls execve(), so a
 * BPF program at the syscall's entry cannot read them. The child touches nothing before
 * execl(), which only copies the pointers.
 */
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int run(const char *prog, int self)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return 1;
	if (pid == 0) {
		if (self)
			execl("/proc/self/exe", "forkexec", "fe-selfexec-literal", (char *)NULL);
		else
			execl(prog, "forkexec-child", "fe-literal-one", "fe-literal-two", (char *)NULL);
		_exit(127);
	}
	printf("child %d\n", pid);
	fflush(stdout);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return 1;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "fe-selfexec-literal") == 0)
		return 0;
	if (argc != 2) {
		fprintf(stderr, "usage: forkexec PROG\n");
		return 2;
	}
	if (run(argv[1], 0) || run(argv[1], 1))
		return 1;
	printf("done\n");
	return 0;
}
