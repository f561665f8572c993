package app

import (
	"context"
	"fmt"
	"time"

	"github.com/bpfutils/bpfutils/pkg/render"
	"github.com/bpfutils/bpfutils/pkg/tracer"
)

// StreamOptions tune Stream; the zero value streams until a signal.
type StreamOptions struct {
	Duration time.Duration // stop after this long (0: never)
	// Banner is the line that says tracing began ("" for none in text; JSON always has its
	// "start" line).
	Banner string
	// Header, when set, writes the column headers after the banner (a *render.Records).
	Header interface{ Header() }
	// LostFormat is how the tool reports lost events on stderr, with one %d
	// (libbpf-tools' wording differs between tools). Empty: "lost %d events".
	LostFormat string
	// LossCheck, when set, looks for losses of the tool's own (biosnoop: I/Os not seen
	// completing) and reports them, in the rhythm of lost events: once a second, whether events
	// come or not, and at the end. It runs on the goroutine that writes the output.
	LossCheck func()
}

// skipCounter reports, once each, the runs of the tool's programs the kernel skipped: events
// that never reached the event buffer, so no buffer counted them lost.
type skipCounter struct {
	t        *tracer.Tracer
	reported uint64
}

func newSkipCounter(t *tracer.Tracer) *skipCounter {
	if t == nil {
		return nil
	}
	// Programs are fresh: whatever they count from now on is this run's.
	return &skipCounter{t: t, reported: t.SkippedRuns()}
}

func (c *skipCounter) report(out *render.Sink) {
	if c == nil {
		return
	}
	total := c.t.SkippedRuns()
	if total <= c.reported {
		return
	}
	n := total - c.reported
	c.reported = total
	out.LostWhy(n, "skipped", fmt.Sprintf("lost %d events: the kernel skipped the tool's programs (another BPF program was running on the CPU)", n))
}

// finalDrain bounds how long Stream keeps reading after it was told to stop.
const finalDrain = 250 * time.Millisecond

// Stream prints the banner and header, then reads t's events and hands each record to handle
// until the run's context ends (SIGINT/SIGTERM) or the duration passes. Output is flushed after
// every batch; a signal wakes the reader at once.
func Stream(env *Env, t *tracer.Tracer, opts StreamOptions, handle func([]byte)) error {
	ev, err := t.Events()
	if err != nil {
		return err
	}
	out := env.Out
	if err := out.Start(opts.Banner); err != nil {
		return err
	}
	if opts.Header != nil {
		opts.Header.Header()
		if err := out.Flush(); err != nil {
			return err
		}
	}
	ctx := env.Ctx
	if opts.Duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, opts.Duration)
		defer cancel()
	}
	defer context.AfterFunc(ctx, ev.Wake)()
	lostFormat := opts.LostFormat
	if lostFormat == "" {
		lostFormat = "lost %d events"
	}
	reportLost := func() {
		if opts.LossCheck != nil {
			opts.LossCheck()
		}
		if n := ev.NewlyLost(); n > 0 {
			out.Lost(n, fmt.Sprintf(lostFormat, n))
		}
		env.reportSkipped()
	}
	defer out.Flush()
	lastLostCheck := time.Now()
	for ctx.Err() == nil {
		n, err := ev.Poll(100*time.Millisecond, handle)
		if err != nil {
			return err
		}
		if n > 0 {
			if err := out.Flush(); err != nil {
				return err
			}
		}
		if time.Since(lastLostCheck) >= time.Second {
			reportLost()
			lastLostCheck = time.Now()
		}
	}
	// Records already in the buffer when the signal came are still the user's (the perf-buffer
	// fallback hands them over from a goroutine: give it a moment). On a busy system new ones
	// never stop coming, so the last look is bounded.
	end := time.Now().Add(finalDrain)
	for quiet := 0; quiet < 2 && time.Now().Before(end); {
		n, err := ev.Poll(10*time.Millisecond, handle)
		if err != nil {
			break
		}
		if n == 0 {
			quiet++
		}
	}
	reportLost()
	return out.Flush()
}

// WriteEvents is the handler of a tool that writes every event as it comes: each record, cast to
// R (records shorter than minSize are dropped), written to recs.
func WriteEvents[R any](recs *render.Records[R], minSize uintptr) func([]byte) {
	return func(rec []byte) {
		if e := tracer.Cast[R](rec, minSize); e != nil {
			recs.Write(e)
		}
	}
}
