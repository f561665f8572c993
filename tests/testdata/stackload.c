/*
 * Workload for the stack tools' tests, built at test time with -O0 -fno-omit-frame-pointer so
 * that user stacks unwind through functions with known names.
 *
 *   stackload COMM spin MILLIS            burn CPU in burn_here() <- spin_loop(), and in the
 *                                         kernel reading /dev/zero from kernel_here(), for
 *                                         MILLIS or until a line arrives on stdin
 *   stackload COMM sleep COUNT MILLIS     block in nanosleep under sleep_here(), COUNT times or
 *                                         until a line arrives on stdin
 *   stackload COMM pingpong COMM2 MILLIS  bounce a byte through two pipes with a child COMM2,
 *                                         for MILLIS or until a line arrives on stdin
 *   stackload COMM open COUNT PATH        open and close PATH COUNT times from open_here()
 *                                         <- open_loop()
 *
 * It names itself COMM, prints "ready PID", waits for a line on stdin, works, prints "done",
 * then stays until stdin closes, so that its symbols can still be read.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

volatile unsigned long sink;

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

__attribute__((noinline)) void burn_here(void)
{
	for (int i = 0; i < 100000; i++)
		sink += i;
}

static char zeros[1 << 20];

__attribute__((noinline)) void kernel_here(int fd)
{
	if (read(fd, zeros, sizeof(zeros)) < 0)
		exit(1);
}

/* stdin is read with read(2), not stdio, so that poll(2) sees every line not yet taken. */
static int read_line(char *buf, size_t size)
{
	size_t n = 0;

	while (n + 1 < size && read(0, buf + n, 1) == 1)
		if (buf[n++] == '\n')
			break;
	buf[n] = 0;
	return n > 0;
}

static int stdin_has_line(void)
{
	struct pollfd p = { .fd = 0, .events = POLLIN };

	return poll(&p, 1, 0) == 1;
}

/* A loop's end: a time, or a line on stdin. stdin is looked at every 10 ms only: a poll(2) per
 * pass would add its own kernel stacks to the samples. */
struct limit {
	double end, next_check;
};

static struct limit limit_in(double millis)
{
	return (struct limit){ .end = now_ms() + millis };
}

static int within(struct limit *l)
{
	double now = now_ms();

	if (now >= l->end)
		return 0;
	if (now >= l->next_check) {
		if (stdin_has_line())
			return 0;
		l->next_check = now + 10;
	}
	return 1;
}

__attribute__((noinline)) void spin_loop(double millis)
{
	struct limit limit = limit_in(millis);
	int fd = open("/dev/zero", O_RDONLY);

	while (within(&limit)) {
		burn_here();
		kernel_here(fd);
	}
	close(fd);
}

/* The libc calls below keep no frame of their own: the frame that unwinds is our caller's. */
__attribute__((noinline)) void nap(long millis)
{
	struct timespec ts = { millis / 1000, (millis % 1000) * 1000000 };

	while (nanosleep(&ts, &ts))
		;
}

__attribute__((noinline)) void sleep_here(int count, long millis)
{
	for (int i = 0; i < count && !stdin_has_line(); i++)
		nap(millis);
}

/* syscall(2), not open(3): glibc's open wrapper uses rbp for itself, and the frame-pointer walk
 * from the syscall would not find our frames. */
__attribute__((noinline)) void open_here(const char *path)
{
	int fd = syscall(SYS_openat, AT_FDCWD, path, O_RDONLY);

	if (fd >= 0)
		close(fd);
}

__attribute__((noinline)) void open_loop(int count, const char *path)
{
	for (int i = 0; i < count; i++)
		open_here(path);
}

/* Answers until the parent closes its end. */
__attribute__((noinline)) void pong_side(int in, int out)
{
	char c;

	while (read(in, &c, 1) == 1)
		if (write(out, &c, 1) != 1)
			break;
}

__attribute__((noinline)) void ping_side(int in, int out, double millis)
{
	struct limit limit = limit_in(millis);
	char c = 'x';

	while (within(&limit))
		if (write(out, &c, 1) != 1 || read(in, &c, 1) != 1)
			exit(1);
	close(out);
}

int main(int argc, char **argv)
{
	char line[64];
	int to_child[2], to_parent[2];
	pid_t child = 0;

	if (argc < 4)
		return 2;
	prctl(PR_SET_NAME, argv[1]);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(argv[2], "pingpong")) {
		if (pipe(to_child) || pipe(to_parent))
			return 1;
		child = fork();
		if (child == 0) {
			prctl(PR_SET_NAME, argv[3]);
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			close(to_child[1]);
			close(to_parent[0]);
			pong_side(to_child[0], to_parent[1]);
			pause();
			_exit(0);
		}
		close(to_child[0]);
		close(to_parent[1]);
		printf("child %d\n", child);
	}
	printf("ready %d\n", getpid());
	if (!read_line(line, sizeof(line)))
		return 0;
	if (!strcmp(argv[2], "spin"))
		spin_loop(atof(argv[3]));
	else if (!strcmp(argv[2], "sleep") && argc > 4)
		sleep_here(atoi(argv[3]), atol(argv[4]));
	else if (!strcmp(argv[2], "open") && argc > 4)
		open_loop(atoi(argv[3]), argv[4]);
	else if (!strcmp(argv[2], "pingpong") && argc > 4)
		ping_side(to_parent[0], to_child[1], atof(argv[4]));
	else
		return 2;
	printf("done\n");
	while (read_line(line, sizeof(line)))
		;
	if (child) {
		kill(child, 9);
		waitpid(child, NULL, 0);
	}
	return 0;
}
