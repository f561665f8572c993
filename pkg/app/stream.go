package app

import (
	"context"
	"time"

	"github.com/bpfutils/bpfutils/pkg/tracer"
)

// StreamOptions tune Stream; the zero value streams until a signal.
type StreamOptions struct {
	Duration time.Duration // stop after this long (0: never)
	// LostFormat is how the tool reports lost events on stderr, with one %d
	// (libbpf-tools' wording differs between tools). Empty: "lost %d events".
	LostFormat string
}

// finalDrain bounds how long Stream keeps reading after it was told to stop.
const finalDrain = 250 * time.Millisecond

// Stream reads t's events and hands each record to handle until ctx ends (the tool's context
// ends on SIGINT/SIGTERM) or the duration passes. Output is flushed after every batch.
func Stream(ctx context.Context, t *tracer.Tracer, opts StreamOptions, handle func([]byte)) error {
	ev, err := t.Events()
	if err != nil {
		return err
	}
	if opts.Duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, opts.Duration)
		defer cancel()
	}
	lostFormat := opts.LostFormat
	if lostFormat == "" {
		lostFormat = "lost %d events"
	}
	defer Output.Flush()
	lastLostCheck := time.Now()
	for ctx.Err() == nil {
		n, err := ev.Poll(100*time.Millisecond, handle)
		if err != nil {
			return err
		}
		if n > 0 {
			if err := Output.Flush(); err != nil {
				return err
			}
		}
		if time.Since(lastLostCheck) >= time.Second {
			ev.ReportLost(lostFormat)
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
	ev.ReportLost(lostFormat)
	return nil
}
