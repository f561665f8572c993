/*
 * Workload for futexctn's test: threads contending on one pthread mutex, built at test time
 * with -O0 -fno-omit-frame-pointer so that their user stacks unwind through known names.
 *
 *   futexload COMM THREADS ROUNDS
 *
 * It names itself COMM, prints "ready PID" and "lock 0xADDR" (the mutex's futex word), waits
 * for a line on stdin, then THREADS threads each take the mutex ROUNDS times from
 * futexload_contend_here() <- futexload_worker(), holding it for 200 us: the others wait in
 * FUTEX_WAIT. Prints "thread TID" for each thread and "done" once they are all done, then
 * stays until stdin closes, so that its symbols can still be read.
 *
 * glibc's lock wait keeps no frame of its own: a stack unwound by frame pointers goes from it
 * to futexload_worker(), the caller of the function that called pthread_mutex_lock().
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t futexload_mutex = PTHREAD_MUTEX_INITIALIZER;
static int rounds;
volatile unsigned long futexload_sink;

static void hold(long usecs)
{
	struct timespec ts = {0, usecs * 1000};

	nanosleep(&ts, NULL);
}

__attribute__((noinline)) void futexload_contend_here(void)
{
	pthread_mutex_lock(&futexload_mutex);
	futexload_sink++;
	hold(200);
	pthread_mutex_unlock(&futexload_mutex);
}

__attribute__((noinline)) void *futexload_worker(void *arg)
{
	*(long *)arg = syscall(SYS_gettid);
	for (int i = 0; i < rounds; i++) {
		futexload_contend_here();
		/* Let the others in: a thread that unlocks and relocks at once starves them. */
		hold(50);
	}
	return arg;
}

int main(int argc, char **argv)
{
	pthread_t threads[64];
	long tids[64];
	char line[64];
	int n;

	if (argc != 4 || (n = atoi(argv[2])) < 1 || n > 64 || (rounds = atoi(argv[3])) < 1) {
		fprintf(stderr, "usage: futexload COMM THREADS ROUNDS\n");
		return 2;
	}
	prctl(PR_SET_NAME, argv[1]);
	printf("ready %d\nlock %p\n", getpid(), (void *)&futexload_mutex);
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return 1;
	for (int i = 0; i < n; i++)
		if (pthread_create(&threads[i], NULL, futexload_worker, &tids[i]))
			return 1;
	for (int i = 0; i < n; i++)
		pthread_join(threads[i], NULL);
	/* Only now: threads printing would contend on stdout's lock too. */
	for (int i = 0; i < n; i++)
		printf("thread %ld\n", tids[i]);
	printf("done\n");
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin))
		;
	return 0;
}
