package app

import (
	"github.com/urfave/cli/v2"

	"github.com/bpfutils/bpfutils/pkg/cpus"
	"github.com/bpfutils/bpfutils/pkg/filter"
)

// CPU reads a "only this CPU" option (hardirqs -s, softirqs -c, profile -C): -1 when absent.
func CPU(c *cli.Context, flag string) (int, error) {
	if !c.IsSet(flag) {
		return -1, nil
	}
	possible, _ := cpus.Possible()
	n, err := filter.CPU(c.String(flag), len(possible))
	if err != nil {
		return 0, UsageError{err}
	}
	return n, nil
}

// IDs reads a comma-separated list of pids or tids (profile and offcputime -p/-t), at most max
// of them: nil when the option is absent.
func IDs(c *cli.Context, flag string, max int) ([]uint32, error) {
	s := c.String(flag)
	if s == "" {
		return nil, nil
	}
	ids, err := filter.CommaIDs(flag, s, max)
	if err != nil {
		return nil, UsageError{err}
	}
	return ids, nil
}
