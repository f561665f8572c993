// Package sigsnoop traces signals: who sent which signal to whom, and how it went. As killsnoop
// (or with -k) it traces the kill(), tkill() and tgkill() calls instead.
package sigsnoop

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"unsafe"

	"github.com/urfave/cli/v2"

	"github.com/bpfutils/bpfutils/pkg/app"
	"github.com/bpfutils/bpfutils/pkg/filter"
	"github.com/bpfutils/bpfutils/pkg/render"
	"github.com/bpfutils/bpfutils/pkg/signame"
	"github.com/bpfutils/bpfutils/pkg/tracer"
)

// event mirrors struct sigsnoop_event in bpf/sigsnoop.h.
type event struct {
	Pid   uint32
	Tpid  int32
	Sig   int32
	Ret   int32
	Comm  [16]byte
	Tcomm [16]byte
}

// config is sigsnoop's command line.
type config struct {
	Failed, Kill, Name bool
	Pid                uint32
	Signals            uint32 // -s: bit n-1 for signal n; 0 for all
}

// rodata mirrors sigsnoop's const volatile globals.
type rodata struct {
	Pid     uint32 `bpf:"filtered_pid"`
	Signals uint32 `bpf:"target_signals"`
	Failed  bool   `bpf:"failed_only"`
}

// lastStandardSignal is the highest signal -s takes, as in libbpf-tools (a 32-bit mask).
const lastStandardSignal = 31

var Tool = app.Define(app.Def[config]{
	Name:    "sigsnoop",
	Usage:   "Trace standard and real-time signals.",
	Object:  "sigsnoop",
	Caps:    []string{"CAP_DAC_READ_SEARCH"},
	Layouts: map[string]any{"sigsnoop_event": event{}},
	Aliases: []app.Alias{{Name: "killsnoop", Args: []string{"-k"}, Usage: "Trace signals issued by the kill() syscalls"}},
	Examples: `
    sigsnoop             # trace signals system-wide
    sigsnoop -k          # trace signals issued by kill syscall only
    sigsnoop -x          # trace failed signals only
    sigsnoop -p 1216     # only trace PID 1216
    sigsnoop -s 1,9,15   # trace signal 1, 9, 15`,
	Flags: func(c *config) []cli.Flag {
		return []cli.Flag{
			app.Bool(&c.Failed, "failed x", "Trace failed signals only."),
			app.Bool(&c.Kill, "kill k", "Trace signals issued by kill syscall only."),
			app.PID(&c.Pid, "pid p", "Process ID to trace (`PID`)", "pid"),
			app.Value(&c.Signals, "signal s", "Signals to trace (`SIGNAL`: numbers from 1 to 31, comma-separated).", parseSignals),
			app.Bool(&c.Name, "name n", "Output signal name instead of signal number."),
		}
	},
	Spec:    spec,
	Outputs: func(c *config) []render.Describer { return []render.Describer{records(c)} },
	Run:     run,
})

// parseSignals reads -s: a comma-separated list of signal numbers from 1 to 31.
func parseSignals(s string) (uint32, error) {
	var mask uint32
	for _, w := range strings.Split(s, ",") {
		n, err := strconv.Atoi(w)
		if err != nil || n < 1 || n > lastStandardSignal {
			return 0, fmt.Errorf("invalid SIGNAL %q: -s takes signal numbers from 1 to %d, separated by commas", w, lastStandardSignal)
		}
		mask |= 1 << (n - 1)
	}
	return mask, nil
}

func tracepoint(what, prog, target string) tracer.Probe {
	return tracer.Probe{What: what, Hooks: []tracer.Hook{{Prog: prog, Kind: tracer.Tracepoint, Target: target}}}
}

func spec(c *config) tracer.Spec {
	s := tracer.Spec{Rodata: rodata{Pid: c.Pid, Signals: c.Signals, Failed: c.Failed}}
	if !c.Kill {
		s.Probes = []tracer.Probe{tracepoint("signal generation", "signal_generated", "signal:signal_generate")}
		return s
	}
	for _, call := range []string{"kill", "tkill", "tgkill"} {
		s.Probes = append(s.Probes,
			tracepoint(call+" entry", call+"_entry", "syscalls:sys_enter_"+call),
			tracepoint(call+" exit", call+"_exit", "syscalls:sys_exit_"+call))
	}
	s.Probes = append(s.Probes, tracepoint("kill target's name", "kill_target", "signal:signal_generate"))
	return s
}

// record is one signal as the columns read it.
type record struct {
	e           *event
	comm, tcomm []byte
}

var notAvailable = []byte("N/A")

func records(c *config) *render.Records[record] {
	return render.NewRecords(render.KindEvent,
		render.Clock[record]("TIME", -8, false),
		render.Uint("PID", -7, "pid", func(r *record) uint64 { return uint64(r.e.Pid) }),
		render.Text("COMM", -16, "comm", func(r *record) []byte { return r.comm }),
		render.Custom("SIG", -12, func(l *render.Line, r *record) {
			if name, ok := signame.Name(int(r.e.Sig)); ok && c.Name {
				l.Str(name, 0)
				return
			}
			l.Int(int64(r.e.Sig), 0)
		}).JSONInt("sig", func(r *record) int64 { return int64(r.e.Sig) }),
		render.JSONOnly(render.Str("", 0, "sig_name", func(r *record) string {
			name, _ := signame.Name(int(r.e.Sig))
			return name
		}).Note(`"SIGHUP".."SIGSYS", "SIGNAL-32".."SIGNAL-64", "N/A" for 0, "" beyond 64`)),
		render.Int("TPID", -7, "tpid", func(r *record) int64 { return int64(r.e.Tpid) }),
		render.Text("TCOMM", -16, "tcomm", func(r *record) []byte { return r.tcomm }).
			Note(`"N/A" when the target is not known`),
		render.Int("RESULT", -6, "ret", func(r *record) int64 { return int64(r.e.Ret) }).
			Note("-k: the call's result (0 or -errno); else the signal's si_errno"),
	)
}

var eventSize = unsafe.Sizeof(event{})

func run(env *app.Env, c *config, t *tracer.Tracer) error {
	recs := records(c).To(env.Out)
	var r record
	var procComm [16]byte
	return app.Stream(env, t, app.StreamOptions{Header: recs}, func(rec []byte) {
		e := tracer.Cast[event](rec, eventSize)
		if e == nil {
			return
		}
		r.e, r.comm, r.tcomm = e, filter.CommBytes(e.Comm[:]), filter.CommBytes(e.Tcomm[:])
		if len(r.tcomm) == 0 {
			r.tcomm = targetComm(e.Tpid, &procComm)
		}
		recs.Write(&r)
	})
}

// targetComm names the target of a kill that generated no signal (refused, or signal 0), which
// the BPF side could not name: it is usually still there.
func targetComm(tpid int32, buf *[16]byte) []byte {
	if tpid <= 0 {
		return notAvailable
	}
	f, err := os.Open("/proc/" + strconv.Itoa(int(tpid)) + "/comm")
	if err != nil {
		return notAvailable
	}
	defer f.Close()
	n, _ := f.Read(buf[:])
	if name := bytes.TrimSuffix(buf[:n], []byte("\n")); len(name) > 0 {
		return name
	}
	return notAvailable
}
