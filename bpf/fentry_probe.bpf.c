/* Loaded once per traced function to learn whether fentry/fexit works for it on this kernel. */
#include "bpfutils.bpf.h"

SEC("fentry")
int BPF_PROG(fentry_probe)
{
	return 0;
}
