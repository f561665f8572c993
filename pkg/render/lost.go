package render

import "fmt"

// LostWhy reports n things lost for a reason other than the event buffer's (Lost): text on
// standard error in the tool's wording, and in JSON also a "lost" line with the count and the
// reason, so that a log pipeline tells the gaps apart.
func (s *Sink) LostWhy(n uint64, reason, text string) {
	if n == 0 {
		return
	}
	if s.JSON() {
		s.Begin(KindLost).Uint("count", n).Str("reason", reason)
		s.Emit()
	}
	s.w.Flush()
	fmt.Fprintln(s.stderr, text)
}
