// Package render turns what a tool reports into output: text that matches libbpf-tools byte for
// byte, JSON lines (docs/json.md), or a metrics view for an exporter. A tool declares its records
// once (Records for events and table rows, Histograms, stacks through pkg/stacks) and hands each
// value to a Sink, which renders it in the format the user chose.
package render

import (
	"bufio"
	"fmt"
	"io"
	"time"
)

// Format is how a Sink renders.
type Format uint8

const (
	FormatText Format = iota
	FormatJSON
	// Metrics keeps histograms (cumulative, in base units) for an exporter and prints nothing.
	FormatMetrics
)

// Kinds of JSON lines: the "type" member.
const (
	KindEvent     = "event"
	KindHistogram = "histogram"
	KindTable     = "table"
	KindStack     = "stack"
	KindLost      = "lost"
	KindStart     = "start"
)

// Sink is where one run of a tool writes: standard output (buffered: one write per batch of
// events), standard error, and the format.
type Sink struct {
	Tool   string
	Format Format
	w      *bufio.Writer
	stderr io.Writer
	j      JSON
	// Now is the wall clock of JSON "time" members (tests fix it).
	Now func() time.Time
	// Raw prints strings of the traced system in text as they are, control bytes included
	// (--raw, for a program reading the output); otherwise they are escaped (escape.go).
	Raw     bool
	metrics *metricSet
}

// NewSink returns a sink for tool writing to stdout and stderr.
func NewSink(tool string, f Format, stdout, stderr io.Writer) *Sink {
	return &Sink{Tool: tool, Format: f, w: bufio.NewWriterSize(stdout, 64*1024), stderr: stderr,
		Now: time.Now, metrics: newMetricSet()}
}

// Text reports whether the sink renders text.
func (s *Sink) Text() bool { return s.Format == FormatText }

// JSON reports whether the sink renders JSON lines.
func (s *Sink) JSON() bool { return s.Format == FormatJSON }

// Writer is the buffered standard output, for text the declarations do not cover (a tool's
// headings). Nothing written here reaches JSON output: write through Printf, or check Text.
func (s *Sink) Writer() *bufio.Writer { return s.w }

// Stderr is where warnings and lost-event lines go.
func (s *Sink) Stderr() io.Writer { return s.stderr }

// Printf writes text output only: banners, headings, separators. In JSON they are left out.
func (s *Sink) Printf(format string, args ...any) {
	if s.Text() {
		fmt.Fprintf(s.w, format, args...)
	}
}

// Warnf writes one line to standard error, in every format.
func (s *Sink) Warnf(format string, args ...any) {
	s.w.Flush()
	fmt.Fprintf(s.stderr, format+"\n", args...)
}

// Start says that tracing began: the banner line in text ("Tracing block device I/O... Hit
// Ctrl-C to end."; nothing when empty), a "start" object in JSON. Flushed at once, so a reader
// knows that what follows is seen.
func (s *Sink) Start(banner string) error {
	switch s.Format {
	case FormatText:
		if banner != "" {
			s.w.WriteString(banner)
			s.w.WriteByte('\n')
		}
	case FormatJSON:
		j := s.Begin(KindStart)
		if banner != "" {
			j.Str("message", banner)
		}
		s.Emit()
	}
	return s.w.Flush()
}

// ReportStart opens one periodic report in text: an empty line, then with -T the time.
func (s *Sink) ReportStart(timestamp bool) {
	if !s.Text() {
		return
	}
	s.w.WriteByte('\n')
	if timestamp {
		fmt.Fprintf(s.w, "%-8s\n", s.Now().Format("15:04:05"))
	}
}

// Begin starts a JSON line of the given kind, with the tool's name and the wall-clock time;
// the caller adds members and calls Emit.
func (s *Sink) Begin(kind string) *JSON {
	return s.j.Reset().Open().Str("type", kind).Str("tool", s.Tool).Time("time", s.Now())
}

// Emit ends the JSON line Begin started and queues it for output.
func (s *Sink) Emit() {
	s.j.Close()
	s.j.b = append(s.j.b, '\n')
	s.w.Write(s.j.b)
}

// Lost reports n events that the kernel could not hand over: text on standard error in the
// tool's wording, and in JSON also a "lost" line on standard output, so a log pipeline counts
// its gaps.
func (s *Sink) Lost(n uint64, text string) { s.LostWhy(n, "", text) }

// LostWhy is Lost for things lost for a reason other than the event buffer's: the JSON line
// carries the reason too, so that a log pipeline tells the gaps apart.
func (s *Sink) LostWhy(n uint64, reason, text string) {
	if n == 0 {
		return
	}
	if s.JSON() {
		j := s.Begin(KindLost).Uint("count", n)
		if reason != "" {
			j.Str("reason", reason)
		}
		s.Emit()
	}
	s.w.Flush()
	fmt.Fprintln(s.stderr, text)
}

// Flush writes out what is buffered and returns the first write error of the run.
func (s *Sink) Flush() error { return s.w.Flush() }
