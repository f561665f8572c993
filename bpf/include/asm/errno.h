/*
 * <bpf/usdt.bpf.h> includes <linux/errno.h>, whose <asm/errno.h> lives in the host's
 * multiarch directory, which a -target bpf build does not search. Every Linux architecture
 * bpfutils builds for takes its errno values from asm-generic.
 */
#include <asm-generic/errno.h>
