/*
 * exitcodes CODE [-w]: the exitsnoop workload. It runs one thread to its end, then forks children
 * that end in known ways (exit codes, signals), reporting each as it reaps it:
 *   thread TID
 *   child PID exit CODE | child PID signal SIG
 * and exits with CODE itself. With -w it first prints "ready PID" and waits for a line on stdin.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t thread_tid;

static void *thread_main(void *arg)
{
	thread_tid = syscall(SYS_gettid);
	return arg;
}

int main(int argc, char **argv)
{
	/* Each case is an exit code (>= 0) or a signal (negative). */
	static const int cases[] = { 3, 0, 42, -SIGKILL, -SIGTERM, -SIGUSR1 };
	char line[64];
	pthread_t th;
	int status;
	size_t i;

	if (argc > 2 && strcmp(argv[2], "-w") == 0) {
		printf("ready %d\n", getpid());
		fflush(stdout);
		if (!fgets(line, sizeof(line), stdin))
			return 1;
	}
	if (pthread_create(&th, NULL, thread_main, NULL) || pthread_join(th, NULL))
		return 1;
	printf("thread %d\n", thread_tid);
	fflush(stdout);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		pid_t pid = fork();

		if (pid < 0)
			return 1;
		if (pid == 0) {
			if (cases[i] >= 0)
				_exit(cases[i]);
			kill(getpid(), -cases[i]);
			for (;;)
				pause();
		}
		if (waitpid(pid, &status, 0) != pid)
			return 1;
		if (WIFSIGNALED(status))
			printf("child %d signal %d\n", pid, WTERMSIG(status));
		else
			printf("child %d exit %d\n", pid, WEXITSTATUS(status));
		fflush(stdout);
	}
	return argc > 1 ? atoi(argv[1]) : 0;
}
