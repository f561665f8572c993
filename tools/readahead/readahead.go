// Package readahead shows how much of what the kernel reads ahead is used, and how long pages
// read ahead wait for their first access.
package readahead

import (
	"time"

	"github.com/urfave/cli/v2"

	"github.com/bpfutils/bpfutils/pkg/app"
	"github.com/bpfutils/bpfutils/pkg/bpfmap"
	"github.com/bpfutils/bpfutils/pkg/filter"
	"github.com/bpfutils/bpfutils/pkg/render"
	"github.com/bpfutils/bpfutils/pkg/tracer"
)

const (
	maxSlots = 20    // READAHEAD_MAX_SLOTS
	maxPages = 10240 // READAHEAD_MAX_PAGES
)

// hist mirrors struct readahead_hist in bpf/readahead.h.
type hist struct {
	Unused int64
	Total  uint64
	Slots  [maxSlots]uint32
}

// page mirrors struct readahead_page in bpf/readahead.h.
type page struct {
	Ino   uint64
	Index uint64
	Dev   uint32
	Pad   uint32
}

// config is readahead's command line.
type config struct {
	Duration time.Duration
}

// rodata mirrors readahead's const volatile globals.
type rodata struct {
	BirthsByIndex bool `bpf:"births_by_index"`
}

var Tool = app.Define(app.Def[config]{
	Name:   "readahead",
	Usage:  "Show fs automatic read-ahead usage.",
	Object: "readahead",
	// The tracepoints: their ids are read in tracefs.
	Caps:    []string{"CAP_DAC_READ_SEARCH"},
	Layouts: map[string]any{"readahead_hist": hist{}, "readahead_page": page{}},
	Consts:  map[string]int64{"max_entries:birth": maxPages},
	Examples: `
    readahead              # summarize on-CPU time as a histogram
    readahead -d 10        # trace for 10 seconds only`,
	Flags: func(c *config) []cli.Flag {
		return []cli.Flag{app.Value(&c.Duration, "duration d", "Duration to trace", parseDuration)}
	},
	Spec:    func(c *config) tracer.Spec { return tracer.Spec{Rodata: rodata{}, Probes: probes()} },
	Outputs: func(c *config) []render.Describer { return []render.Describer{counts(), histograms} },
	Run:     run,
})

func parseDuration(s string) (time.Duration, error) {
	n, err := filter.Positive("duration", s)
	if err != nil {
		return 0, err
	}
	if n >= int(app.Forever/time.Second) {
		return app.Forever, nil
	}
	return time.Duration(n) * time.Second, nil
}

// hooks lists prog (kind) on each function, in order.
func hooks(prog string, kind tracer.Kind, fns ...string) []tracer.Hook {
	var hs []tracer.Hook
	for _, fn := range fns {
		hs = append(hs, tracer.Hook{Prog: prog, Kind: kind, Target: fn})
	}
	return hs
}

func join(lists ...[]tracer.Hook) []tracer.Hook {
	var all []tracer.Hook
	for _, l := range lists {
		all = append(all, l...)
	}
	return all
}

func probes() []tracer.Probe {
	// The read-ahead function, newest name first (libbpf-tools' order).
	raFuncs := []string{"page_cache_ra_order", "do_page_cache_ra", "__do_page_cache_readahead"}
	raEntry := join(hooks("ra_fentry", tracer.Fentry, raFuncs...), hooks("ra_kprobe", tracer.Kprobe, raFuncs...))
	raExit := join(hooks("ra_fexit", tracer.Fexit, raFuncs...), hooks("ra_kretprobe", tracer.Kretprobe, raFuncs...))
	orderTP := tracer.Hook{Prog: "ra_order_tp", Kind: tracer.Tracepoint, Target: "readahead:page_cache_ra_order"}
	unboundedTP := tracer.Hook{Prog: "ra_unbounded_tp", Kind: tracer.Tracepoint, Target: "readahead:page_cache_ra_unbounded"}
	accessFuncs := []string{"folio_mark_accessed", "mark_page_accessed"}
	access := join(hooks("access_fentry", tracer.Fentry, accessFuncs...), hooks("access_kprobe", tracer.Kprobe, accessFuncs...))
	return []tracer.Probe{
		{What: "read-ahead", Hooks: join(raEntry, []tracer.Hook{orderTP})},
		// After fentry or a kprobe this chooses the same program as read-ahead's; through
		// tracepoints, the windows that do not go through page_cache_ra_order.
		{What: "read-ahead (unbounded)", Hooks: join(raEntry, []tracer.Hook{unboundedTP}), Optional: true},
		// Through tracepoints nothing to do at the end: the tracepoint already chosen again.
		{What: "read-ahead returns", Hooks: join(raExit, []tracer.Hook{orderTP})},
		{What: "page cache allocations", Hooks: join(
			hooks("alloc_folio_fexit", tracer.Fexit, "filemap_alloc_folio_noprof", "filemap_alloc_folio"),
			hooks("alloc_page_fexit", tracer.Fexit, "__page_cache_alloc"),
			hooks("alloc_kretprobe", tracer.Kretprobe, "filemap_alloc_folio_noprof", "filemap_alloc_folio", "__page_cache_alloc"),
			[]tracer.Hook{{Prog: "add_tp", Kind: tracer.Tracepoint, Target: "filemap:mm_filemap_add_to_page_cache", Sets: "births_by_index"}},
		)},
		{What: "page accesses", Hooks: join(access,
			[]tracer.Hook{{Prog: "read_tp", Kind: tracer.Tracepoint, Target: "filemap:mm_filemap_get_pages"}})},
		{What: "page accesses by faults", Optional: true, Hooks: join(access,
			[]tracer.Hook{{Prog: "fault_tp", Kind: tracer.Tracepoint, Target: "filemap:mm_filemap_fault"}})},
	}
}

var histograms = &render.Histograms{Unit: "msecs"}

// pageCounts is the summary line.
type pageCounts struct {
	Unused, Total int64
}

// counts declares the summary, "Readahead unused/total pages: %d/%d" in text.
func counts() *render.Records[pageCounts] {
	return render.NewRecords(render.KindTable,
		render.Custom("", 0, func(l *render.Line, p *pageCounts) {
			l.Str("Readahead unused/total pages: ", 0).Int(p.Unused, 0).Byte('/').Int(p.Total, 0)
		}).JSONInt("unused_pages", func(p *pageCounts) int64 { return p.Unused }),
		render.JSONOnly(render.Int("", 0, "total_pages", func(p *pageCounts) int64 { return p.Total })),
	)
}

func run(env *app.Env, c *config, t *tracer.Tracer) error {
	if env.Verbose && t.Uses("add_tp") {
		env.Warnf("readahead: pages read ahead through the filemap:mm_filemap_add_to_page_cache tracepoint, by file and index " +
			"(no fexit on the page cache's allocator): every page of a large folio counts")
	}
	if env.Verbose && t.Uses("read_tp") {
		env.Warnf("readahead: accesses through the filemap:mm_filemap_get_pages and mm_filemap_fault tracepoints " +
			"(no fentry or kprobe on folio_mark_accessed): every page a read covers is used; a page faulted in " +
			"by the read-ahead its own fault started is not")
	}
	summary := counts().To(env.Out)
	m := t.Map("hist")
	zero := uint32(0)
	return app.ReportOnce(env, c.Duration, "Tracing fs read-ahead ... Hit Ctrl-C to end.", func() error {
		h, _ := bpfmap.Lookup[hist](m, &zero)
		env.Out.Printf("\n")
		// As libbpf-tools prints them: the pages still waiting when tracing ended are unused.
		summary.Write(&pageCounts{Unused: h.Unused, Total: int64(h.Total)})
		env.Out.Histogram(histograms, &render.Hist{Counts: render.Counts(h.Slots[:])})
		return nil
	})
}
