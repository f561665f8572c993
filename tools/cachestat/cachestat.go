// Package cachestat counts, every interval, the page cache's hits and misses and the buffers
// dirtied, with the size of the buffer and page caches.
package cachestat

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/bpfutils/bpfutils/pkg/app"
	"github.com/bpfutils/bpfutils/pkg/bpfmap"
	"github.com/bpfutils/bpfutils/pkg/render"
	"github.com/bpfutils/bpfutils/pkg/tracer"
)

// counts mirrors struct cachestat_counts in bpf/cachestat.h.
type counts struct {
	Accesses int64
	Misses   int64
	Dirties  uint64
}

// config is cachestat's command line.
type config struct {
	Timestamp bool
	Every     app.Every
}

// rodata mirrors cachestat's const volatile globals.
type rodata struct {
	AccessesFromReads bool `bpf:"accesses_from_reads"`
}

var Tool = app.Define(app.Def[config]{
	Name:      "cachestat",
	Usage:     "Count cache kernel function calls.",
	ArgsUsage: "[interval] [count]",
	Object:    "cachestat",
	// The tracepoints: their ids are read in tracefs.
	Caps:    []string{"CAP_DAC_READ_SEARCH"},
	Layouts: map[string]any{"cachestat_counts": counts{}},
	Examples: `
    cachestat          # shows hits and misses to the file system page cache
    cachestat -T       # include timestamps
    cachestat 1 10     # print 1 second summaries, 10 times`,
	Flags: func(c *config) []cli.Flag {
		return []cli.Flag{app.Bool(&c.Timestamp, "timestamp T", "Print timestamp")}
	},
	Args: func(c *config) []app.Arg {
		c.Every.Interval = time.Second
		return app.IntervalArgs(&c.Every)
	},
	Spec:    func(c *config) tracer.Spec { return tracer.Spec{Probes: probes()} },
	Outputs: func(c *config) []render.Describer { return []render.Describer{records(c)} },
	Run:     run,
})

// kernelHooks lists fentry, then kprobe, hooks of prog on each of fns, newest name first.
func kernelHooks(prog string, fns ...string) []tracer.Hook {
	var hooks []tracer.Hook
	for _, kind := range []tracer.Kind{tracer.Fentry, tracer.Kprobe} {
		suffix := "_fentry"
		if kind == tracer.Kprobe {
			suffix = "_kprobe"
		}
		for _, fn := range fns {
			hooks = append(hooks, tracer.Hook{Prog: prog + suffix, Kind: kind, Target: fn})
		}
	}
	return hooks
}

func probes() []tracer.Probe {
	tp := func(prog, target, sets string) tracer.Hook {
		return tracer.Hook{Prog: prog, Kind: tracer.Tracepoint, Target: target, Sets: sets}
	}
	// libbpf-tools' add_to_page_cache_lru, mark_page_accessed and account_page_dirtied
	// became folio functions in 5.16-5.18, which the old names call where they remain.
	accesses := kernelHooks("access", "folio_mark_accessed", "mark_page_accessed")
	return []tracer.Probe{
		{What: "page cache misses", Hooks: append(kernelHooks("miss", "filemap_add_folio", "add_to_page_cache_lru"),
			tp("miss_tp", "filemap:mm_filemap_add_to_page_cache", ""))},
		{What: "page cache accesses", Hooks: append(accesses[:len(accesses):len(accesses)],
			tp("access_tp", "filemap:mm_filemap_get_pages", "accesses_from_reads"))},
		// After fentry or kprobe on the access function, this chooses the same program.
		{What: "page cache accesses by faults", Optional: true, Hooks: append(accesses[:len(accesses):len(accesses)],
			tp("fault_tp", "filemap:mm_filemap_fault", ""))},
		{What: "pages dirtied", Hooks: append(kernelHooks("dirtied", "folio_account_dirtied", "account_page_dirtied"),
			tp("dirtied_tp", "writeback:writeback_dirty_folio", ""), tp("dirtied_tp", "writeback:writeback_dirty_page", ""))},
		{What: "buffers dirtied", Hooks: append(kernelHooks("buffer_dirty", "mark_buffer_dirty"),
			tp("buffer_dirty_tp", "block:block_dirty_buffer", ""))},
	}
}

// row is one interval's report.
type row struct {
	Hits, Misses        int64
	Dirties             uint64
	Ratio               float64 // percent
	BuffersMB, CachedMB uint64
}

// records declares the lines: [TIME] HITS MISSES DIRTIES HITRATIO BUFFERS_MB CACHED_MB.
func records(c *config) *render.Records[row] {
	return render.NewRecords(render.KindTable,
		render.Clock[row]("TIME", -8, false).If(c.Timestamp),
		render.Int("HITS", 8, "hits", func(r *row) int64 { return r.Hits }),
		render.Int("MISSES", 8, "misses", func(r *row) int64 { return r.Misses }),
		render.Uint("DIRTIES", 8, "dirties", func(r *row) uint64 { return r.Dirties }),
		render.Custom("HITRATIO", 8, func(l *render.Line, r *row) { l.Float(r.Ratio, 7, 2).Byte('%') }).
			JSONFloat("hit_ratio_percent", func(r *row) float64 { return r.Ratio }),
		render.Uint("BUFFERS_MB", 12, "buffers_mb", func(r *row) uint64 { return r.BuffersMB }),
		render.Uint("CACHED_MB", 10, "cached_mb", func(r *row) uint64 { return r.CachedMB }),
	)
}

func run(env *app.Env, c *config, t *tracer.Tracer) error {
	if env.Verbose && t.Uses("access_tp") {
		env.Warnf("cachestat: accesses through the filemap:mm_filemap_get_pages and mm_filemap_fault tracepoints " +
			"(no fentry or kprobe on folio_mark_accessed): the pages each read asks for and each fault count, " +
			"writes' and other kernel users' accesses do not")
	}
	rows := records(c).To(env.Out)
	m := t.Map("counts")
	var prev counts
	zero := uint32(0)
	rows.Header()
	return app.Report(env, c.Every, "", func() error {
		perCPU, err := bpfmap.PerCPU[counts](m, &zero)
		if err != nil {
			return err
		}
		var cur counts
		for _, v := range perCPU {
			cur.Accesses += v.Accesses
			cur.Misses += v.Misses
			cur.Dirties += v.Dirties
		}
		r := interval(cur, prev)
		prev = cur
		if r.BuffersMB, r.CachedMB, err = meminfo(); err != nil {
			return err
		}
		rows.Write(&r)
		return nil
	})
}

// interval makes a report of the growth from prev to cur as libbpf-tools does: negative
// totals count as none, and more misses than accesses (read-ahead adds pages no one asked
// for yet) as all misses.
func interval(cur, prev counts) row {
	total := max(cur.Accesses-prev.Accesses, 0)
	misses := max(cur.Misses-prev.Misses, 0)
	hits := total - misses
	if hits < 0 {
		misses, hits = total, 0
	}
	r := row{Hits: hits, Misses: misses, Dirties: cur.Dirties - prev.Dirties}
	if total > 0 {
		r.Ratio = 100 * float64(hits) / float64(total)
	}
	return r
}

// meminfoPath is read for Buffers and Cached; a variable for the tests.
var meminfoPath = "/proc/meminfo"

// meminfo returns the Buffers and Cached lines of /proc/meminfo in MB.
func meminfo() (buffersMB, cachedMB uint64, err error) {
	f, err := os.Open(meminfoPath)
	if err != nil {
		return 0, 0, fmt.Errorf("failed to get meminfo: %w", err)
	}
	defer f.Close()
	found := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() && found < 2 {
		name, rest, ok := bytes.Cut(sc.Bytes(), []byte(":"))
		if !ok {
			continue
		}
		var dst *uint64
		switch string(name) {
		case "Buffers":
			dst = &buffersMB
		case "Cached":
			dst = &cachedMB
		default:
			continue
		}
		kb, err := strconv.ParseUint(string(bytes.TrimSuffix(bytes.TrimSpace(rest), []byte(" kB"))), 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("failed to get meminfo: bad line %q", sc.Text())
		}
		*dst = kb / 1024
		found++
	}
	if found < 2 {
		return 0, 0, fmt.Errorf("failed to get meminfo: no Buffers and Cached in %s", meminfoPath)
	}
	return buffersMB, cachedMB, nil
}
