package app

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/urfave/cli/v2"
)

// Duration binds -d, how long the trace runs, in whole seconds (left unset: until Ctrl-C).
func Duration(dst *time.Duration) cli.Flag {
	return Value(dst, "duration d", "Total duration of trace in seconds", parseDuration)
}

// parseDuration reads -d's seconds: positive, and few enough to fit a time.Duration.
func parseDuration(s string) (time.Duration, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || n > math.MaxInt64/int64(time.Second) {
		return 0, fmt.Errorf("invalid DURATION: %s", s)
	}
	return time.Duration(n) * time.Second, nil
}
