/*
 * Workload for memleak's tests: allocations that stay, and allocations that go, from functions
 * with known names (built with frame pointers, so that the stacks unwind).
 *
 *   leaker COMM leak      on "go": leak_here() mallocs LEAKS blocks of LEAK_SIZE bytes,
 *                         calloc_here() CALLOCS of 8 x 512, align_here() posix_memaligns
 *                         ALIGNS of ALIGN_SIZE, all kept; churn_here() mallocs and frees as many
 *                         blocks as leak_here keeps
 *   leaker COMM pipes N   on "go": pipe_here() opens N pipes and writes a byte into each, which
 *                         makes the kernel allocate and keep a page per pipe; on "close" it
 *                         closes them all (the kernel frees the pages) and prints "closed"
 *   leaker                (memleak -c, which passes no arguments) leak at once, then stay 60 s
 *
 * It names itself COMM, prints "ready PID", waits for a line on stdin, works, prints "done",
 * then stays until stdin closes, so that its symbols can still be read.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#define LEAKS 1000
#define LEAK_SIZE 4096
#define CALLOCS 100
#define ALIGNS 50
#define ALIGN_SIZE 8192

static void *kept[LEAKS + CALLOCS + ALIGNS];
static int nkept;

__attribute__((noinline)) void leak_here(void)
{
	for (int i = 0; i < LEAKS; i++) {
		char *p = malloc(LEAK_SIZE);

		if (!p)
			exit(1);
		p[0] = 1;
		kept[nkept++] = p;
	}
}

__attribute__((noinline)) void calloc_here(void)
{
	for (int i = 0; i < CALLOCS; i++)
		kept[nkept++] = calloc(8, 512);
}

__attribute__((noinline)) void align_here(void)
{
	for (int i = 0; i < ALIGNS; i++)
		if (posix_memalign(&kept[nkept++], 64, ALIGN_SIZE))
			exit(1);
}

__attribute__((noinline)) void churn_here(void)
{
	for (int i = 0; i < LEAKS; i++) {
		volatile char *p = malloc(LEAK_SIZE);

		if (!p)
			exit(1);
		p[0] = 1;
		free((void *)p);
	}
}

#define MAX_PIPES 400
static int pipes[MAX_PIPES][2];
static int npipes;

__attribute__((noinline)) void pipe_here(int n)
{
	for (; npipes < n && npipes < MAX_PIPES; npipes++)
		if (pipe(pipes[npipes]) || write(pipes[npipes][1], "x", 1) != 1)
			exit(1);
}

static void close_pipes(void)
{
	for (int i = 0; i < npipes; i++) {
		close(pipes[i][0]);
		close(pipes[i][1]);
	}
	npipes = 0;
	printf("closed\n");
}

static void leak(void)
{
	leak_here();
	calloc_here();
	align_here();
	churn_here();
}

static int read_line(char *buf, size_t size)
{
	size_t n = 0;

	while (n + 1 < size && read(0, buf + n, 1) == 1)
		if (buf[n++] == '\n')
			break;
	buf[n] = 0;
	return n > 0;
}

int main(int argc, char **argv)
{
	char line[64];

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 1) {
		leak();
		printf("done\n");
		sleep(60);
		return 0;
	}
	if (argc < 3)
		return 2;
	prctl(PR_SET_NAME, argv[1]);
	printf("ready %d\n", getpid());
	if (!read_line(line, sizeof(line)))
		return 0;
	if (!strcmp(argv[2], "leak"))
		leak();
	else if (!strcmp(argv[2], "pipes") && argc > 3)
		pipe_here(atoi(argv[3]));
	else
		return 2;
	printf("done\n");
	while (read_line(line, sizeof(line)))
		if (!strncmp(line, "close", 5))
			close_pipes();
	return 0;
}
