package app

import "time"

// Forever stands for "until Ctrl-C" where libbpf-tools sleeps 99999999 seconds.
const Forever = 99999999 * time.Second

// seconds converts a positional count of seconds; anything from Forever on means Forever (and
// cannot overflow time.Duration).
func seconds(n int) time.Duration {
	if n >= int(Forever/time.Second) {
		return Forever
	}
	return time.Duration(n) * time.Second
}

// Report prints the banner, then calls print every interval until count reports were made or
// the run's context ended (SIGINT/SIGTERM); then it prints once more, so the summary of the
// last partial interval is not lost. Output is flushed after each report.
func Report(env *Env, every Every, banner string, print func() error) error {
	if err := env.Out.Start(banner); err != nil {
		return err
	}
	report := func() error {
		if err := print(); err != nil {
			return err
		}
		env.reportSkipped()
		return env.Out.Flush()
	}
	tick := time.NewTicker(every.Interval)
	defer tick.Stop()
	for n := 0; every.Count < 0 || n < every.Count; n++ {
		select {
		case <-env.Ctx.Done():
			return report()
		case <-tick.C:
		}
		if err := report(); err != nil {
			return err
		}
	}
	return nil
}

// ReportOnce prints once: after duration, or at Ctrl-C when duration is 0 (the stack tools'
// optional [duration]).
func ReportOnce(env *Env, duration time.Duration, banner string, print func() error) error {
	if duration == 0 {
		duration = Forever
	}
	return Report(env, Every{Interval: duration, Count: 1}, banner, print)
}
