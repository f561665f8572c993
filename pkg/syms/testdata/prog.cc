// C++ test program for pkg/syms: names the tests expect demangled.
#include <cstdio>
#include <unistd.h>

namespace outer {
volatile long sink;

struct Widget {
	__attribute__((noinline)) static long tick(long n)
	{
		for (long i = 0; i < n; i++)
			sink += i;
		return sink;
	}
};

template <typename T> __attribute__((noinline)) T twice(T v)
{
	for (T i = 0; i < v; i++)
		sink += i;
	return v + v;
}
} // namespace outer

int main()
{
	char c;
	std::printf("outer::Widget::tick(long) %p\n", (void *)&outer::Widget::tick);
	std::printf("int outer::twice<int>(int) %p\n", (void *)&outer::twice<int>);
	std::printf("ready\n");
	std::fflush(stdout);
	while (read(0, &c, 1) > 0)
		;
	return (int)outer::Widget::tick(1) + outer::twice(1) > 1000;
}
