package tracer

import (
	"slices"
	"strings"
)

// privilegeFirst puts the reasons that name a missing capability ahead of the others: they are
// what the user can do something about, and an error line is cut at its end when it is long.
func privilegeFirst(reasons []string) []string {
	out := slices.Clone(reasons)
	slices.SortStableFunc(out, func(a, b string) int {
		pa, pb := strings.Contains(a, "CAP_"), strings.Contains(b, "CAP_")
		switch {
		case pa && !pb:
			return -1
		case pb && !pa:
			return 1
		}
		return 0
	})
	return out
}
