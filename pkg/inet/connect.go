package inet

import "github.com/bpfutils/bpfutils/pkg/tracer"

// ConnectProbe is the probe of tcp_v4_connect (version "4") or tcp_v6_connect ("6") of a
// connect-tracing tool whose BPF object names its programs connect_v4_fexit, connect_v4_kprobe
// and so on; fallback is its hook for kernels where neither fexit nor kprobes work.
func ConnectProbe(version string, fallback tracer.Hook) tracer.Probe {
	target := "tcp_v" + version + "_connect"
	return tracer.Probe{What: "IPv" + version + " connects", Hooks: []tracer.Hook{
		{Prog: "connect_v" + version + "_fexit", Kind: tracer.Fexit, Target: target},
		{Prog: "connect_v" + version + "_kprobe", Kind: tracer.Kprobe, Target: target},
		fallback,
	}}
}
