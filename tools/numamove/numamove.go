// Package numamove shows, every second, how many pages NUMA balancing migrated to the node
// that uses them, and how long those migrations took.
package numamove

import (
	"time"

	"github.com/bpfutils/bpfutils/pkg/app"
	"github.com/bpfutils/bpfutils/pkg/bpfmap"
	"github.com/bpfutils/bpfutils/pkg/render"
	"github.com/bpfutils/bpfutils/pkg/tracer"
)

// totals mirrors struct numamove_totals in bpf/numamove.h.
type totals struct {
	Count uint64
	Ms    uint64
	Ns    uint64
}

type config struct{}

var Tool = app.Define(app.Def[config]{
	Name:    "numamove",
	Usage:   "Show page migrations of type NUMA misplaced per second.",
	Object:  "numamove",
	Layouts: map[string]any{"numamove_totals": totals{}},
	Examples: `
    numamove              # Show page migrations' count and latency`,
	Spec: func(c *config) tracer.Spec {
		return tracer.Spec{Probes: []tracer.Probe{
			{What: "misplaced migration start", Hooks: []tracer.Hook{
				{Prog: "misplaced_fentry", Kind: tracer.Fentry, Target: "migrate_misplaced_folio"},
				{Prog: "misplaced_kprobe", Kind: tracer.Kprobe, Target: "migrate_misplaced_folio"},
				{Prog: "misplaced_fentry", Kind: tracer.Fentry, Target: "migrate_misplaced_page"},
				{Prog: "misplaced_kprobe", Kind: tracer.Kprobe, Target: "migrate_misplaced_page"},
				{Prog: "misplaced_tp_start_raw", Kind: tracer.RawTP, Target: "migrate:mm_migrate_pages_start"},
				{Prog: "misplaced_tp_start_btf", Kind: tracer.TPBTF, Target: "migrate:mm_migrate_pages_start"},
			}},
			{What: "misplaced migration end", Hooks: []tracer.Hook{
				{Prog: "misplaced_fexit", Kind: tracer.Fexit, Target: "migrate_misplaced_folio"},
				{Prog: "misplaced_kretprobe", Kind: tracer.Kretprobe, Target: "migrate_misplaced_folio"},
				{Prog: "misplaced_fexit", Kind: tracer.Fexit, Target: "migrate_misplaced_page"},
				{Prog: "misplaced_kretprobe", Kind: tracer.Kretprobe, Target: "migrate_misplaced_page"},
				{Prog: "misplaced_tp_end_raw", Kind: tracer.RawTP, Target: "migrate:mm_migrate_pages"},
				{Prog: "misplaced_tp_end_btf", Kind: tracer.TPBTF, Target: "migrate:mm_migrate_pages"},
			}},
		}}
	},
	Outputs: func(c *config) []render.Describer { return []render.Describer{records()} },
	Run:     run,
})

// records declares the per-second line: TIME NUMA_migrations NUMA_migrations_ms.
func records() *render.Records[totals] {
	return render.NewRecords(render.KindTable,
		render.Clock[totals]("TIME", -10, false),
		render.Uint("NUMA_migrations", 18, "migrations", func(t *totals) uint64 { return t.Count }),
		render.Uint("NUMA_migrations_ms", 18, "migrations_ms", func(t *totals) uint64 { return t.Ms }).
			Note("each migration's whole milliseconds added up, as libbpf-tools counts"),
		render.JSONOnly(render.Uint("", 0, "migrations_ns", func(t *totals) uint64 { return t.Ns })),
	)
}

func run(env *app.Env, c *config, t *tracer.Tracer) error {
	if env.Verbose && (t.Uses("misplaced_tp_start_raw") || t.Uses("misplaced_tp_start_btf")) {
		env.Warnf("numamove: through the migrate:mm_migrate_pages tracepoints (no fentry or kprobe on migrate_misplaced_folio): " +
			"only the migration itself is timed, not the folio's isolation before it")
	}
	rows := records().To(env.Out)
	m := t.Map("totals")
	var prev totals
	zero := uint32(0)
	rows.Header()
	return app.Report(env, app.Every{Interval: time.Second, Count: -1}, "", func() error {
		cur, _ := bpfmap.Lookup[totals](m, &zero)
		d := totals{Count: cur.Count - prev.Count, Ms: cur.Ms - prev.Ms, Ns: cur.Ns - prev.Ns}
		prev = cur
		rows.Write(&d)
		return nil
	})
}
