package tracer

// BTFTracepoint is a probe on tracepoint target ("category:name") through tp_btf, or raw_tp on
// kernels without it; the BPF object names the two programs prog+"_btf" and prog+"_raw" (the
// same handler behind SEC("tp_btf/name") and SEC("raw_tp/name")).
func BTFTracepoint(what, prog, target string) Probe {
	return Probe{What: what, Hooks: []Hook{
		{Prog: prog + "_btf", Kind: TPBTF, Target: target},
		{Prog: prog + "_raw", Kind: RawTP, Target: target},
	}}
}
