package wakeuptime

import (
	"bytes"
	"testing"

	"github.com/bpfutils/bpfutils/pkg/stacks"
	"github.com/bpfutils/bpfutils/pkg/syms"
)

var sample = []stacks.Entry{
	{Comm: "pinger", Target: "ponger", Value: 15230, Kernel: stacks.Stack{State: stacks.Present, Frames: []syms.Symbol{
		{Addr: 0xffffffff8110a2b4, Name: "try_to_wake_up", Offset: 0x254, Known: true},
		{Addr: 0xffffffff8110a5e0, Name: "autoremove_wake_function", Offset: 0x10, Known: true},
		{Addr: 0xffffffffc0001234},
		{Addr: 0xffffffff8131c7d2, Name: "pipe_write", Offset: 0x2a2, Known: true},
	}}},
	{Comm: "swapper/1", Target: "sleepy", Value: 7, Kernel: stacks.Stack{State: stacks.Missed}},
}

func TestFormats(t *testing.T) {
	var multi, folded bytes.Buffer
	for i := range sample {
		(&stacks.Style{Wakeup: true}).Write(&multi, &sample[i])
		(&stacks.Style{Wakeup: true, Folded: true}).Write(&folded, &sample[i])
	}
	// libbpf-tools' "\n\t%-16s %s\n", "\t%-16lx %s+0x%lx\n", "\t%-16lx Unknown\n",
	// "\t%16s %s\n", "\t%lld\n".
	wantMulti := "\n\ttarget:          ponger\n" +
		"\tffffffff8110a2b4 try_to_wake_up+0x254\n" +
		"\tffffffff8110a5e0 autoremove_wake_function+0x10\n" +
		"\tffffffffc0001234 Unknown\n" +
		"\tffffffff8131c7d2 pipe_write+0x2a2\n" +
		"\t          waker: pinger\n" +
		"\t15230\n" +
		"\n\ttarget:          sleepy\n" +
		"\t          waker: swapper/1\n" +
		"\t7\n"
	if multi.String() != wantMulti {
		t.Errorf("multi-line:\n%s\nwant:\n%s", multi.String(), wantMulti)
	}
	wantFolded := "pinger;pipe_write;[unknown];autoremove_wake_function;try_to_wake_up;ponger 15230\n" +
		"swapper/1;[Missed Kernel Stack];sleepy 7\n"
	if folded.String() != wantFolded {
		t.Errorf("folded:\n%s\nwant:\n%s", folded.String(), wantFolded)
	}
}
