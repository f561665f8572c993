package main

import (
	"fmt"
	"os"
	"strings"
	"time"
)

// soakResult follows the tool's memory through a long run under steady load: it must stay flat.
type soakResult struct {
	Tool        string       `json:"tool"`
	Duration    string       `json:"duration"`
	Rate        int          `json:"rate_per_s"`
	Generated   int          `json:"generated"`
	Seen        int          `json:"seen"`
	Lost        int64        `json:"lost_reported"`
	StartRSSKB  int64        `json:"start_rss_kb"` // once attached, before the load
	WarmRSSKB   int64        `json:"warm_rss_kb"`  // after the warm-up
	EndRSSKB    int64        `json:"end_rss_kb"`   // just before stopping
	PeakRSSKB   int64        `json:"peak_rss_kb"`  // VmHWM just before stopping
	GrowthKB    int64        `json:"growth_kb"`    // end - warm
	Flat        bool         `json:"flat"`         // growth within soakTolerance
	CPUPerKEvMS float64      `json:"cpu_ms_per_1000_events"`
	Samples     []soakSample `json:"samples"`
}

type soakSample struct {
	Seconds float64 `json:"s"`
	RSSKB   int64   `json:"rss_kb"`
	Seen    int64   `json:"seen"`
}

// Growth past the warm-up that still counts as flat: page-granular noise of the Go heap and
// the ring buffer's pages as they are first touched.
const soakToleranceKB = 512

// soak runs tool for d under rate events per second, sampling VmRSS along the way.
func soak(s storm, link, work string, d time.Duration, rate int) (*soakResult, error) {
	dir, err := os.MkdirTemp(work, "soak-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	w, err := s.prepare(dir)
	if err != nil {
		return nil, err
	}
	if w.cleanup != nil {
		defer w.cleanup()
	}
	tr, err := startTool(link, s.args, w.match, false)
	if err != nil {
		return nil, err
	}
	events := int(d.Seconds() * float64(rate))
	res := &soakResult{Tool: s.tool, Duration: d.String(), Rate: rate, Generated: events}
	res.StartRSSKB = procStatus(tr.pid())["VmRSS"]
	fmt.Fprintf(os.Stderr, "== soak: %s for %s at %d events/s (RSS at start %d kB)\n", s.tool, d, rate, res.StartRSSKB)

	cpu0 := cpuNS(tr.pid())
	t0 := time.Now()
	werr := make(chan error, 1)
	go func() { werr <- w.run(events, rate) }()
	every := max(d/60, time.Second)
	warmup := min(d/10, 30*time.Second)
	tick := time.NewTicker(every)
	defer tick.Stop()
	sample := func() {
		rss := procStatus(tr.pid())["VmRSS"]
		el := time.Since(t0)
		res.Samples = append(res.Samples, soakSample{Seconds: el.Round(time.Millisecond).Seconds(), RSSKB: rss, Seen: tr.matched.Load()})
		if res.WarmRSSKB == 0 && el >= warmup {
			res.WarmRSSKB = rss
		}
	}
	var runErr error
loop:
	for {
		select {
		case runErr = <-werr:
			break loop
		case <-tick.C:
			sample()
			fmt.Fprintf(os.Stderr, "   %4.0fs  RSS %6d kB  seen %d\n", time.Since(t0).Seconds(),
				res.Samples[len(res.Samples)-1].RSSKB, res.Samples[len(res.Samples)-1].Seen)
		}
	}
	if runErr != nil {
		tr.finish()
		return nil, fmt.Errorf("workload: %w", runErr)
	}
	tr.waitMatched(int64(events), time.Second)
	sample()
	cpu := cpuNS(tr.pid()) - cpu0
	st := procStatus(tr.pid())
	res.EndRSSKB, res.PeakRSSKB = st["VmRSS"], st["VmHWM"]
	if res.WarmRSSKB == 0 {
		res.WarmRSSKB = res.EndRSSKB
	}
	if err := tr.finish(); err != nil {
		return nil, err
	}
	res.Seen = int(tr.matched.Load())
	res.Lost = lostReported(tr.errText())
	res.GrowthKB = trendKB(res.Samples, warmup)
	res.Flat = res.GrowthKB <= soakToleranceKB
	if n := tr.lines.Load(); n > 0 {
		res.CPUPerKEvMS = float64(cpu) / 1e6 / float64(n) * 1000
	}
	return res, nil
}

// trendKB compares the median RSS of the last third of the samples after the warm-up with that
// of the first third: the heap breathes with every collection, a leak climbs.
func trendKB(samples []soakSample, warmup time.Duration) int64 {
	var rss []float64
	for _, s := range samples {
		if s.Seconds >= warmup.Seconds() {
			rss = append(rss, float64(s.RSSKB))
		}
	}
	n := len(rss) / 3
	if n == 0 {
		return 0
	}
	_, first, _ := summarize(rss[:n])
	_, last, _ := summarize(rss[len(rss)-n:])
	return int64(last - first)
}

func (s *soakResult) markdown(b *strings.Builder) {
	fmt.Fprintf(b, "\n## Soak: %s for %s at %d events/s\n\n", s.Tool, s.Duration, s.Rate)
	b.WriteString("| figure | value |\n|---|---:|\n")
	fmt.Fprintf(b, "| RSS at start (attached) | %d kB |\n", s.StartRSSKB)
	fmt.Fprintf(b, "| RSS after warm-up | %d kB |\n", s.WarmRSSKB)
	fmt.Fprintf(b, "| RSS at end | %d kB |\n", s.EndRSSKB)
	fmt.Fprintf(b, "| peak RSS (VmHWM) | %d kB |\n", s.PeakRSSKB)
	verdict := "flat"
	if !s.Flat {
		verdict = "**growing**"
	}
	fmt.Fprintf(b, "| growth after warm-up (median of last third - of first third) | %+d kB (%s: at most %d kB) |\n", s.GrowthKB, verdict, soakToleranceKB)
	fmt.Fprintf(b, "| events seen / generated | %d / %d |\n", s.Seen, s.Generated)
	fmt.Fprintf(b, "| lost events reported | %d |\n", s.Lost)
	fmt.Fprintf(b, "| CPU per 1,000 events | %.2f ms |\n", s.CPUPerKEvMS)
}
