package render

// Sum is BCC's -e summary of one interval of a histogram tool (biolatency, cpudist): how many
// values were counted and their sum, in Unit.
type Sum struct {
	Unit         string
	Total, Count uint64
}

func (s *Sum) avg() uint64 { return s.Total / s.Count }

// SumRecords declares the -e summary's JSON line, a "table" line with unit, avg, total and
// count; text has its own sentence.
func SumRecords() *Records[Sum] {
	return NewRecords(KindTable,
		JSONOnly(Str("", 0, "unit", func(s *Sum) string { return s.Unit })),
		JSONOnly(Uint("", 0, "avg", (*Sum).avg)),
		JSONOnly(Uint("", 0, "total", func(s *Sum) uint64 { return s.Total })),
		JSONOnly(Uint("", 0, "count", func(s *Sum) uint64 { return s.Count })),
	)
}

// Summary renders an interval's -e summary: "avg = 12 usecs, total: 36 usecs, count: 3" in
// text, as BCC prints it, and a "table" line in JSON. An interval that counted nothing has none.
func (s *Sink) Summary(sum Sum) {
	if sum.Count == 0 {
		return
	}
	s.Printf("\navg = %d %s, total: %d %s, count: %d\n\n", sum.avg(), sum.Unit, sum.Total, sum.Unit, sum.Count)
	if s.JSON() {
		SumRecords().To(s).Write(&sum)
	}
}
