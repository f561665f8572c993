// Test program for pkg/syms: prints the addresses of functions whose names the tests expect,
// then waits for stdin to close.
#include <stdio.h>
#include <unistd.h>

volatile int sink;

__attribute__((noinline)) int target_alpha(int x)
{
	for (int i = 0; i < x; i++)
		sink += i * x;
	return sink;
}

__attribute__((noinline)) static int local_gamma(int x)
{
	for (int i = 0; i < x; i++)
		sink -= i ^ x;
	return sink;
}

#ifdef WITH_LIB
void *lib_delta_addr(void);
void *lib_epsilon_addr(void);
#endif

int main(void)
{
	char c;

	printf("target_alpha %p\n", (void *)target_alpha);
	printf("local_gamma %p\n", (void *)local_gamma);
#ifdef WITH_LIB
	printf("lib_delta %p\n", lib_delta_addr());
	printf("lib_epsilon %p\n", lib_epsilon_addr());
#endif
	printf("ready\n");
	fflush(stdout);
	while (read(0, &c, 1) > 0)
		;
	return target_alpha(1) + local_gamma(1) > 1000;
}
