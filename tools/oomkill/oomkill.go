// Package oomkill traces OOM kills: the task that ran into the out-of-memory condition, the
// victim the kernel chose, the size of the OOM domain, the load average and, beyond
// libbpf-tools, the victim's memory cgroup.
package oomkill

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/urfave/cli/v2"

	"github.com/bpfutils/bpfutils/pkg/app"
	"github.com/bpfutils/bpfutils/pkg/filter"
	"github.com/bpfutils/bpfutils/pkg/loadavg"
	"github.com/bpfutils/bpfutils/pkg/render"
	"github.com/bpfutils/bpfutils/pkg/tracer"
)

const (
	cgLevels = 8
	cgName   = 128
	noLimit  = ^uint64(0)
)

// How the kill was seen (enum oomkill_origin).
const (
	originOOMControl = 0
	originVictimTask = 1
	originVictimPid  = 2
)

// event mirrors struct oomkill_event in bpf/oomkill.h.
type event struct {
	Pages       uint64
	Fpid        uint32
	Tpid        uint32
	Fcomm       [16]byte
	Tcomm       [16]byte
	Origin      uint32
	CgLevels    uint32
	CgTruncated uint32
	CgKnown     uint32
	Cgroup      [cgLevels][cgName]byte
}

// kill is one event made ready to print: what the kernel did not say, user space found.
type kill struct {
	e         *event
	victim    []byte // comm
	memcg     []byte // path in the memory controller's hierarchy; empty: unknown
	pages     uint64
	estimated bool
	loadavg   []byte
	hasLoad   bool
}

// config is oomkill's command line.
type config struct {
	Memcg bool
}

var Tool = app.Define(app.Def[config]{
	Name:    "oomkill",
	Usage:   "Trace OOM kills.",
	Object:  "oomkill",
	Layouts: map[string]any{"oomkill_event": event{}},
	Consts: map[string]int64{
		"OOMKILL_ORIGIN_OOM_CONTROL": originOOMControl,
		"OOMKILL_ORIGIN_VICTIM_TASK": originVictimTask,
		"OOMKILL_ORIGIN_VICTIM_PID":  originVictimPid,
	},
	Examples: `
    oomkill               # trace OOM kills
    oomkill --memcg       # also name the victim's memory cgroup`,
	Flags: func(c *config) []cli.Flag {
		return []cli.Flag{
			app.Bool(&c.Memcg, "memcg", "also print the victim's memory cgroup (JSON always has it)"),
		}
	},
	Spec: func(c *config) tracer.Spec {
		return tracer.Spec{Probes: []tracer.Probe{{What: "OOM kills", Hooks: []tracer.Hook{
			{Prog: "oom_kill_fentry", Kind: tracer.Fentry, Target: "oom_kill_process"},
			{Prog: "oom_kill_kprobe", Kind: tracer.Kprobe, Target: "oom_kill_process"},
			{Prog: "mark_victim_raw", Kind: tracer.RawTP, Target: "oom:mark_victim"},
			{Prog: "mark_victim_btf", Kind: tracer.TPBTF, Target: "oom:mark_victim"},
		}}}}
	},
	Outputs: func(c *config) []render.Describer { return []render.Describer{records(c)} },
	Run:     run,
})

// records declares oomkill's line, a sentence rather than columns, and its JSON members.
func records(c *config) *render.Records[kill] {
	return render.NewRecords(render.KindEvent,
		render.Custom("", 0, func(l *render.Line, k *kill) { sentence(l, k, c.Memcg) }),
		render.JSONOnly(render.Uint("", 0, "trigger_pid", func(k *kill) uint64 { return uint64(k.e.Fpid) })),
		render.JSONOnly(render.Text("", 0, "trigger_comm", func(k *kill) []byte { return filter.CommBytes(k.e.Fcomm[:]) })),
		render.JSONOnly(render.Uint("", 0, "victim_pid", func(k *kill) uint64 { return uint64(k.e.Tpid) })),
		render.JSONOnly(render.Text("", 0, "victim_comm", func(k *kill) []byte { return k.victim })),
		render.JSONOnly(render.Uint("", 0, "pages", func(k *kill) uint64 { return k.pages })).
			Note("the OOM domain's pages (memory+swap); estimated when pages_estimated"),
		render.JSONOnly(render.Custom[kill]("", 0, nil).JSONWith("pages_estimated", "boolean",
			func(j *render.JSON, key string, k *kill) { j.Bool(key, k.estimated) })).
			Note("true through the mark_victim tracepoint: the smallest memory limit above the victim, else the machine's memory, plus swap"),
		render.JSONOnly(render.Text("", 0, "memcg", func(k *kill) []byte { return k.memcg })).
			Note(`the victim's memory cgroup, in the hierarchy the memory controller is bound to; "" when unknown`),
		render.JSONOnly(render.Text("", 0, "loadavg", func(k *kill) []byte { return k.loadavg })),
	)
}

// sentence is libbpf-tools' line: time, trigger, victim, pages, then /proc/loadavg when it
// could be read; --memcg adds the victim's memory cgroup before the load average.
func sentence(l *render.Line, k *kill, memcg bool) {
	l.Clock(time.Now(), false)
	l.Str(` Triggered by PID `, 0).Uint(uint64(k.e.Fpid), 0)
	l.Str(` ("`, 0).Text(filter.CommBytes(k.e.Fcomm[:]), 0)
	l.Str(`"), OOM kill of PID `, 0).Uint(uint64(k.e.Tpid), 0)
	l.Str(` ("`, 0).Text(k.victim, 0)
	l.Str(`"), `, 0).Uint(k.pages, 0).Str(" pages", 0)
	if memcg {
		l.Str(", memcg ", 0)
		if len(k.memcg) == 0 {
			l.Str("?", 0)
		} else {
			l.Text(k.memcg, 0)
		}
	}
	if k.hasLoad {
		l.Str(", loadavg: ", 0).Text(k.loadavg, 0)
	}
}

func run(env *app.Env, c *config, t *tracer.Tracer) error {
	viaTracepoint := t.Uses("mark_victim_raw") || t.Uses("mark_victim_btf")
	if viaTracepoint && env.Verbose {
		env.Warnf("oomkill: through the oom:mark_victim tracepoint (no kprobe or fentry on oom_kill_process): " +
			"pages are estimated (no oom_control), and a task the kernel lets exit instead of killing it is reported too")
	}
	recs := records(c).To(env.Out)
	var k kill
	return app.Stream(env, t, app.StreamOptions{
		Banner:     "Tracing OOM kills... Ctrl-C to stop.",
		LostFormat: "Lost %d events!",
	}, func(rec []byte) {
		e := tracer.Cast[event](rec, eventSize)
		if e == nil {
			return
		}
		k = complete(e)
		recs.Write(&k)
	})
}

// complete fills in what the chosen hook could not read.
func complete(e *event) kill {
	k := kill{e: e, victim: filter.CommBytes(e.Tcomm[:]), pages: e.Pages}
	if e.CgKnown != 0 {
		k.memcg = memcgPath(e)
	}
	if e.Origin == originVictimPid {
		// The kernel gave the pid only, and the victim was not the trigger: read /proc while
		// the victim still exits (it may be gone already).
		if len(k.victim) == 0 {
			if comm, err := os.ReadFile("/proc/" + strconv.Itoa(int(e.Tpid)) + "/comm"); err == nil {
				k.victim = bytes.TrimRight(comm, "\n")
			}
		}
		if e.CgKnown == 0 {
			k.memcg = procMemcg(int(e.Tpid))
		}
	}
	if e.Origin != originOOMControl {
		k.estimated = true
		k.pages = estimatePages(e.Pages)
	}
	k.loadavg, k.hasLoad = loadavg.Read()
	return k
}

// memcgPath joins the levels the BPF side read, root first.
func memcgPath(e *event) []byte {
	n := min(int(e.CgLevels), cgLevels)
	var b []byte
	if e.CgTruncated != 0 {
		b = append(b, "/..."...)
	}
	for i := n - 1; i >= 0; i-- {
		b = append(b, '/')
		b = append(b, filter.CommBytes(e.Cgroup[i][:])...)
	}
	if len(b) == 0 {
		b = append(b, '/')
	}
	return b
}

// procMemcg is the memory cgroup /proc/PID/cgroup names: the v1 memory line, else the v2 one.
func procMemcg(pid int) []byte {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cgroup")
	if err != nil {
		return nil
	}
	var v2 []byte
	for _, line := range strings.Split(string(data), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		for _, ctl := range strings.Split(parts[1], ",") {
			if ctl == "memory" {
				return []byte(parts[2])
			}
		}
		if parts[0] == "0" && parts[1] == "" {
			v2 = []byte(parts[2])
		}
	}
	return v2
}

// estimatePages approximates oc->totalpages, which the tracepoint does not carry: a memcg OOM
// domain holds its memory limit plus swap, the whole machine its memory plus swap. least is the
// smallest memory limit above the victim, in pages (noLimit: none, or not known).
func estimatePages(least uint64) uint64 {
	ram, swap := machinePages()
	return min(least, ram) + swap
}

// machinePages reads MemTotal and SwapTotal from /proc/meminfo, in pages.
func machinePages() (ram, swap uint64) {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	page := uint64(os.Getpagesize())
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 {
			continue
		}
		kb, err := strconv.ParseUint(f[1], 10, 64)
		if err != nil {
			continue
		}
		switch f[0] {
		case "MemTotal:":
			ram = kb * 1024 / page
		case "SwapTotal:":
			swap = kb * 1024 / page
		}
	}
	return ram, swap
}

var eventSize = unsafe.Sizeof(event{})
