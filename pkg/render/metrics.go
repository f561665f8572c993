package render

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// baseUnits converts a histogram unit to the base unit metrics use (Prometheus conventions:
// seconds and bytes), with the factor that takes one to the other.
var baseUnits = map[string]struct {
	base   string
	factor float64
}{
	"nsecs":  {"seconds", 1e-9},
	"usecs":  {"seconds", 1e-6},
	"msecs":  {"seconds", 1e-3},
	"bytes":  {"bytes", 1},
	"kbytes": {"bytes", 1024},
	"Kbytes": {"bytes", 1024},
}

// BaseUnit returns the metrics unit of a histogram unit and the factor to it; units without a
// base unit (a queue length) are counted as they are.
func BaseUnit(unit string) (string, float64) {
	if b, ok := baseUnits[unit]; ok {
		return b.base, b.factor
	}
	return unit, 1
}

// Metric is one histogram in the metrics view: its labels and its cumulative buckets, counted
// since the tool started, with upper bounds in base units.
type Metric struct {
	Unit    string // base unit: seconds, bytes, ...
	Labels  []Label
	Buckets []MetricBucket // ascending upper bounds; the last is +Inf
	Count   uint64
}

// Label is one label of a metric.
type Label struct{ Name, Value string }

// MetricBucket counts the values up to and including Le (Prometheus "le").
type MetricBucket struct {
	Le    float64
	Count uint64
}

// metricSet accumulates a tool's histograms across reports (BPF maps are cleared after each).
type metricSet struct {
	mu     sync.Mutex
	series map[string]*series
}

type series struct {
	unit   string
	factor float64
	labels []Label
	highs  map[uint64]uint64 // upper bound (tool's unit) -> count in that slot
}

func newMetricSet() *metricSet { return &metricSet{series: map[string]*series{}} }

func (m *metricSet) add(d *Histograms, h *Hist) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var labels []Label
	for i, k := range d.Labels {
		if i < len(h.Labels) {
			labels = append(labels, Label{k, h.Labels[i]})
		}
	}
	unit, factor := BaseUnit(d.Unit)
	key := unit + "\x00" + fmt.Sprint(labels)
	s := m.series[key]
	if s == nil {
		s = &series{unit: unit, factor: factor, labels: labels, highs: map[uint64]uint64{}}
		m.series[key] = s
	}
	for _, b := range d.Buckets(h) {
		s.highs[b.High] += b.Count
	}
}

// Metrics returns the histograms kept in the metrics format, cumulative since the start.
func (s *Sink) Metrics() []Metric {
	s.metrics.mu.Lock()
	defer s.metrics.mu.Unlock()
	var out []Metric
	for _, se := range s.metrics.series {
		highs := make([]uint64, 0, len(se.highs))
		for h := range se.highs {
			highs = append(highs, h)
		}
		sort.Slice(highs, func(i, j int) bool { return highs[i] < highs[j] })
		m := Metric{Unit: se.unit, Labels: se.labels}
		for _, h := range highs {
			m.Count += se.highs[h]
			m.Buckets = append(m.Buckets, MetricBucket{Le: float64(h) * se.factor, Count: m.Count})
		}
		m.Buckets = append(m.Buckets, MetricBucket{Le: inf, Count: m.Count})
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return fmt.Sprint(out[i].Labels) < fmt.Sprint(out[j].Labels) })
	return out
}

var inf = func() float64 { f, _ := strconv.ParseFloat("+Inf", 64); return f }()

// WritePrometheus writes metrics as one Prometheus histogram family, name_<unit>, in the text
// exposition format. A log2 histogram does not know the sum of what it counted: no _sum line.
func WritePrometheus(w io.Writer, name, help string, ms []Metric) {
	if len(ms) == 0 {
		return
	}
	full := name + "_" + ms[0].Unit
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s histogram\n", full, help, full)
	for _, m := range ms {
		for _, b := range m.Buckets {
			le := "+Inf"
			if b.Le != inf {
				le = strconv.FormatFloat(b.Le, 'g', -1, 64)
			}
			fmt.Fprintf(w, "%s_bucket{%s} %d\n", full, promLabels(m.Labels, Label{"le", le}), b.Count)
		}
		fmt.Fprintf(w, "%s_count%s %d\n", full, braces(promLabels(m.Labels)), m.Count)
	}
}

func braces(s string) string {
	if s == "" {
		return ""
	}
	return "{" + s + "}"
}

func promLabels(labels []Label, more ...Label) string {
	var b strings.Builder
	for i, l := range append(append([]Label{}, labels...), more...) {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(l.Name + `="`)
		b.WriteString(strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(l.Value))
		b.WriteByte('"')
	}
	return b.String()
}
