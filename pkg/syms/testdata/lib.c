// Shared library for pkg/syms tests: one exported and one local function.
volatile int lib_sink;

__attribute__((noinline)) int lib_delta(int x)
{
	for (int i = 0; i < x; i++)
		lib_sink += i;
	return lib_sink;
}

__attribute__((noinline)) static int lib_epsilon(int x)
{
	for (int i = 0; i < x; i++)
		lib_sink -= i;
	return lib_sink;
}

void *lib_delta_addr(void) { return (void *)lib_delta; }
void *lib_epsilon_addr(void) { return (void *)lib_epsilon; }
