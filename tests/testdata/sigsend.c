/*
 * sigsend TARGET: the sigsnoop workload. It forks a child named TARGET that catches SIGUSR1,
 * SIGUSR2 and SIGHUP, prints "ready PID CHILD", and on a line from stdin sends, in order:
 * kill(CHILD, SIGUSR1), tkill(CHILD, SIGUSR2), tgkill(CHILD, CHILD, SIGHUP),
 * rt_sigqueueinfo(CHILD, SIGUSR1) with si_errno EIO (what sigsnoop -x shows), kill(CHILD, 0),
 * kill(NOPID, SIGTERM) (fails with ESRCH: NOPID is above any pid_max), kill(CHILD, SIGKILL);
 * then it reaps the child, prints "done" and waits for the end of stdin.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define NOPID 4195000

static void caught(int sig)
{
	(void)sig;
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	siginfo_t si;
	char line[64];
	int ready[2];
	pid_t child;
	char c;

	if (argc < 2 || pipe(ready))
		return 2;
	child = fork();
	if (child < 0)
		return 1;
	if (child == 0) {
		prctl(PR_SET_NAME, argv[1]);
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = caught;
		sigaction(SIGUSR1, &sa, NULL);
		sigaction(SIGUSR2, &sa, NULL);
		sigaction(SIGHUP, &sa, NULL);
		if (write(ready[1], "r", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	if (read(ready[0], &c, 1) != 1)
		return 1;
	printf("ready %d %d\n", getpid(), child);
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return 1;
	kill(child, SIGUSR1);
	syscall(SYS_tkill, child, SIGUSR2);
	syscall(SYS_tgkill, child, child, SIGHUP);
	memset(&si, 0, sizeof(si));
	si.si_signo = SIGUSR1;
	si.si_code = SI_QUEUE;
	si.si_errno = EIO;
	si.si_pid = getpid();
	si.si_uid = getuid();
	syscall(SYS_rt_sigqueueinfo, child, SIGUSR1, &si);
	kill(child, 0);
	kill(NOPID, SIGTERM);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	printf("done\n");
	fflush(stdout);
	/* Staying until stdin closes keeps this process's own SIGCHLD to its parent out of the trace. */
	while (fgets(line, sizeof(line), stdin))
		;
	return 0;
}
