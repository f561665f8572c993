package render

import (
	"github.com/bpfutils/bpfutils/pkg/hist"
)

// Histograms declares the histograms a tool reports: their unit, the labels that tell them
// apart, and their slots. Reading a BPF map, clearing it and rendering are separate steps: the
// tool reads the map into Hist values and hands them to the sink.
type Histograms struct {
	// Unit of the values counted: "usecs", "msecs", "nsecs", "kbytes", or a count's own name.
	Unit string
	// Axis is the text histogram's label when it differs from Unit (bitesize's "Kbytes"; a
	// comm in cpufreq's, which the sink escapes as all traced strings: Sink.Escape).
	Axis string
	// Labels name, in order, the values that tell one histogram from another (disk, flags, pid).
	Labels []string
	// Linear slots start at Base and are Step wide; otherwise slot i holds [2^i, 2^(i+1)).
	Linear     bool
	Base, Step int
}

// Hist is one histogram of a report.
type Hist struct {
	// Caption is the text printed above the histogram, in the tool's own words ("\ndisk = vda\n");
	// a string of the traced system in it (a comm, an irq name) goes through Sink.Escape.
	Caption string
	Labels  []string // values of the declared labels, in their order
	Counts  []uint64
}

// Bucket is one slot of a histogram: values from Low to High (both included) were seen Count
// times.
type Bucket struct {
	Low, High uint64
	Count     uint64
}

// Buckets lists h's slots up to the last that counted anything (log2), or the slots that did
// (linear): the rows a text histogram shows.
func (d *Histograms) Buckets(h *Hist) []Bucket {
	var out []Bucket
	if d.Linear {
		for i, c := range h.Counts {
			if c != 0 {
				low := uint64(d.Base + i*d.Step)
				out = append(out, Bucket{Low: low, High: low + uint64(d.Step) - 1, Count: c})
			}
		}
		return out
	}
	last := -1
	for i, c := range h.Counts {
		if c != 0 {
			last = i
		}
	}
	for i := 0; i <= last; i++ {
		low := uint64(1) << i
		high := low<<1 - 1
		if i == 0 {
			low = 0 // slot 0 also holds the value 0
		}
		out = append(out, Bucket{Low: low, High: high, Count: h.Counts[i]})
	}
	return out
}

// Total is the number of values h counted.
func (h *Hist) Total() uint64 {
	var n uint64
	for _, c := range h.Counts {
		n += c
	}
	return n
}

// Histogram renders one histogram: in text its caption and the libbpf-tools layout (nothing when
// it is empty), in JSON a "histogram" line with its labels and buckets, and in the metrics view
// an addition to the cumulative counts.
func (s *Sink) Histogram(d *Histograms, h *Hist) {
	switch s.Format {
	case FormatText:
		s.w.WriteString(h.Caption)
		axis := s.Escape(cmpOr(d.Axis, d.Unit))
		if d.Linear {
			hist.Linear(s.w, h.Counts, d.Base, d.Step, axis)
		} else {
			hist.Log2(s.w, h.Counts, axis)
		}
	case FormatJSON:
		if h.Total() == 0 {
			return
		}
		j := s.Begin(KindHistogram).Str("unit", d.Unit)
		d.writeLabels(j, h)
		j.Array("buckets")
		for _, b := range d.Buckets(h) {
			j.Open().Uint("low", b.Low).Uint("high", b.High).Uint("count", b.Count).Close()
		}
		j.CloseArray()
		s.Emit()
	case FormatMetrics:
		s.metrics.add(d, h)
	}
}

func (d *Histograms) writeLabels(j *JSON, h *Hist) {
	if len(d.Labels) == 0 {
		return
	}
	j.Object("labels")
	for i, k := range d.Labels {
		if i < len(h.Labels) {
			j.Text(k, []byte(h.Labels[i]))
		}
	}
	j.Close()
}

// Describe lists a histogram line's members.
func (d *Histograms) Describe() Shape {
	s := Shape{Kind: KindHistogram, Fields: []Field{{Key: "unit", Type: "string", Note: `"` + d.Unit + `"`}}}
	if len(d.Labels) > 0 {
		s.Fields = append(s.Fields, Field{Key: "labels", Type: "object", Note: "keys: " + joinKeys(d.Labels)})
	}
	kind := "log2"
	if d.Linear {
		kind = "linear"
	}
	s.Fields = append(s.Fields, Field{Key: "buckets", Type: "array", Note: kind + " slots: {low, high, count}"})
	return s
}

func joinKeys(keys []string) string {
	out := ""
	for i, k := range keys {
		if i > 0 {
			out += ", "
		}
		out += k
	}
	return out
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// Counts widens a BPF histogram's slots to uint64.
func Counts[T ~uint32 | ~uint64](slots []T) []uint64 {
	out := make([]uint64, len(slots))
	for i, v := range slots {
		out[i] = uint64(v)
	}
	return out
}
