package app

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/bpfutils/bpfutils/pkg/filter"
)

// Forever stands for "until Ctrl-C" where libbpf-tools sleeps 99999999 seconds.
const Forever = 99999999 * time.Second

// Interval reads the positional [interval] [count] pair; absent values mean one report at
// Ctrl-C (or every defInterval when the tool has a default).
func Interval(c *cli.Context, defInterval time.Duration) (interval time.Duration, count int, err error) {
	interval, count = defInterval, -1
	if interval == 0 {
		interval = Forever
	}
	args := c.Args()
	if args.Len() > 2 {
		return 0, 0, Usagef("unrecognized positional argument: %s", args.Get(2))
	}
	if args.Len() >= 1 {
		n, err := filter.Positive("interval", args.Get(0))
		if err != nil {
			return 0, 0, UsageError{err}
		}
		interval = seconds(n)
	}
	if args.Len() == 2 {
		n, err := filter.Positive("count", args.Get(1))
		if err != nil {
			return 0, 0, UsageError{err}
		}
		count = n
	}
	return interval, count, nil
}

// Duration reads an optional single positional [duration] in seconds (0: until Ctrl-C).
func Duration(c *cli.Context) (time.Duration, error) {
	args := c.Args()
	if args.Len() > 1 {
		return 0, Usagef("unrecognized positional argument: %s", args.Get(1))
	}
	if args.Len() == 0 {
		return 0, nil
	}
	n, err := filter.Positive("duration", args.Get(0))
	if err != nil {
		return 0, UsageError{err}
	}
	return seconds(n), nil
}

// seconds converts a positional count of seconds; anything from Forever on means Forever (and
// cannot overflow time.Duration).
func seconds(n int) time.Duration {
	if n >= int(Forever/time.Second) {
		return Forever
	}
	return time.Duration(n) * time.Second
}

// Report calls print every interval until count reports were made or ctx ended (the tool's
// context ends on SIGINT/SIGTERM); then it prints once more, so the summary of the last partial
// interval is not lost.
func Report(ctx context.Context, interval time.Duration, count int, print func() error) error {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for n := 0; count < 0 || n < count; n++ {
		select {
		case <-ctx.Done():
			return print()
		case <-tick.C:
		}
		if err := print(); err != nil {
			return err
		}
	}
	return nil
}

// ReportOnce prints once: after duration, or at Ctrl-C when duration is 0 (the stack tools'
// optional [duration]).
func ReportOnce(ctx context.Context, duration time.Duration, print func() error) error {
	if duration == 0 {
		duration = Forever
	}
	return Report(ctx, duration, 1, print)
}

// Output is stdout with a buffer, flushed by the tools after each batch of events and each
// report: one write per batch instead of one per line.
var Output = bufio.NewWriterSize(os.Stdout, 64*1024)

// Stdout is what tools print to.
func Stdout() io.Writer { return Output }

// Timestamp is libbpf-tools' str_timestamp("%H:%M:%S").
func Timestamp() string { return time.Now().Format("15:04:05") }

// Warnf prints a warning line on stderr.
func Warnf(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) }
