package app

import (
	"github.com/urfave/cli/v2"

	"github.com/bpfutils/bpfutils/pkg/blockdev"
)

// DiskFilter reads the disk table and resolves the block tools' -d DISK option named flag:
// filter is false when the option is absent; an unknown disk is a usage error.
func DiskFilter(c *cli.Context, flag string) (disks *blockdev.Table, dev uint32, filter bool, err error) {
	if disks, err = blockdev.Load(); err != nil {
		return nil, 0, false, err
	}
	if dev, filter, err = disks.Filter(c.String(flag)); err != nil {
		return nil, 0, false, UsageError{err}
	}
	return disks, dev, filter, nil
}
