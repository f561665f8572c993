package tracer

// BTFTracepoint is a probe on tracepoint target ("category:name") through raw_tp, or tp_btf where
// raw_tp fails; the BPF object names the two programs prog+"_raw" and prog+"_btf" (the same handler
// behind SEC("raw_tp/name") and SEC("tp_btf/name")). raw_tp comes first: its programs read their
// arguments with CO-RE, which a minimal BTF serves, while libbpf needs the kernel's whole BTF
// (megabytes of memory) to find a tp_btf program's target.
func BTFTracepoint(what, prog, target string) Probe {
	return Probe{What: what, Hooks: []Hook{
		{Prog: prog + "_raw", Kind: RawTP, Target: target},
		{Prog: prog + "_btf", Kind: TPBTF, Target: target},
	}}
}
